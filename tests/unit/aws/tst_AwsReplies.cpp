// AwsReplies on malformed, truncated and hostile replies: each is refused with a ParseError that
// says where, never a crash, never a half-read list. (Well-formed replies are read from the live
// emulator in tst_AwsRequest::repliesReadAsTheEmulatorStateSays.)
#include "aws/AwsReplies.h"

#include <QTest>

using namespace hopscope;

namespace {

QByteArray targetHealth(const QByteArray &members)
{
    return "<DescribeTargetHealthResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/"
           "2015-12-01/\"><DescribeTargetHealthResult><TargetHealthDescriptions>"
        + members
        + "</TargetHealthDescriptions></DescribeTargetHealthResult><ResponseMetadata><RequestId>r"
          "</RequestId></ResponseMetadata></DescribeTargetHealthResponse>";
}

const QByteArray s_member
    = "<member><Target><Id>10.0.1.11</Id><Port>8080</Port></Target>"
      "<HealthCheckPort>8080</HealthCheckPort><TargetHealth><State>draining"
      "</State><Reason>Target.DeregistrationInProgress</Reason><Description>"
      "Target deregistration is in progress</Description></TargetHealth></member>";

} // namespace

class tst_AwsReplies : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void targetHealthReadsAMember();
    void hostileXml_data();
    void hostileXml();
    void hostileJson_data();
    void hostileJson();
};

void tst_AwsReplies::targetHealthReadsAMember()
{
    const auto r = AwsReplies::describeTargetHealth(targetHealth(s_member + s_member));
    QVERIFY2(r.ok(), qPrintable(r.errorText()));
    QCOMPARE(r->size(), 2);
    QCOMPARE(r->first().id, QStringLiteral("10.0.1.11"));
    QCOMPARE(r->first().port, quint16(8080));
    QCOMPARE(r->first().state, QStringLiteral("draining"));
    QCOMPARE(r->first().reason, QStringLiteral("Target.DeregistrationInProgress"));
    // An empty list is left out by AWS: no targets, not an error.
    const auto empty = AwsReplies::describeTargetHealth(
        "<DescribeTargetHealthResponse><DescribeTargetHealthResult/></"
        "DescribeTargetHealthResponse>");
    QVERIFY2(empty.ok() && empty->isEmpty(), qPrintable(empty.errorText()));
}

void tst_AwsReplies::hostileXml_data()
{
    QTest::addColumn<QByteArray>("xml");
    QTest::addColumn<QString>("error");
    const QByteArray whole = targetHealth(s_member);
    QTest::newRow("empty") << QByteArray() << "empty reply";
    QTest::newRow("truncated") << whole.left(whole.size() / 2) << "line 1: truncated XML";
    QTest::newRow("html") << QByteArray("<html><body>502 Bad Gateway</body></html>")
                          << "<html> instead of <DescribeTargetHealthResponse>";
    QTest::newRow("error reply") << QByteArray(
        "<ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>")
                                 << "an error reply (Throttling)";
    QTest::newRow("no state")
        << targetHealth("<member><Target><Id>x</Id></Target></member>")
        << "TargetHealthDescriptions.member[1].TargetHealth.State: is missing";
    QTest::newRow("no id") << targetHealth(
        "<member><TargetHealth><State>healthy</State></TargetHealth></member>")
                           << "TargetHealthDescriptions.member[1].Target.Id: is missing";
    QTest::newRow("bad port")
        << targetHealth("<member><Target><Id>x</Id><Port>70000</Port></Target><TargetHealth><State>"
                        "healthy</State></TargetHealth></member>")
        << "TargetHealthDescriptions.member[1].Target.Port: is not a port: '70000'";
    QTest::newRow("entity expansion")
        << QByteArray("<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x \"xxxxxxxxxx\"><!ENTITY y "
                      "\"&x;&x;&x;&x;&x;&x;&x;&x;\">]><DescribeTargetHealthResponse>&y;"
                      "</DescribeTargetHealthResponse>")
        << "a DTD in the reply";
    QByteArray deep;
    for (int i = 0; i < 1000; ++i) {
        deep += "<a>";
    }
    QTest::newRow("deep") << deep << "line 1: elements nested deeper than 32";
    QByteArray many = "<DescribeTargetHealthResponse>";
    for (int i = 0; i < AwsReplies::MaxXmlElements + 1; ++i) {
        many += "<b/>";
    }
    QTest::newRow("many elements") << many + "</DescribeTargetHealthResponse>"
                                   << "line 1: more than 200000 elements";
    QTest::newRow("two roots") << whole + whole << "line 1: not XML: Extra content at end of document.";
}

void tst_AwsReplies::hostileXml()
{
    QFETCH(QByteArray, xml);
    QFETCH(QString, error);
    const auto r = AwsReplies::describeTargetHealth(xml);
    QVERIFY(!r.ok());
    QCOMPARE(r.errorText(), error);
}

void tst_AwsReplies::hostileJson_data()
{
    QTest::addColumn<int>("which");
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("error");
    QTest::newRow("not json") << 0 << QByteArray("<html>") << "offset 1: not JSON: illegal value";
    QTest::newRow("array") << 0 << QByteArray("[]") << "not a JSON object";
    QTest::newRow("no instances") << 0 << QByteArray("{}") << "Instances: is missing";
    QTest::newRow("instances not array")
        << 0 << QByteArray(R"({"Instances":{}})") << "Instances: is not an array";
    QTest::newRow("no id") << 0 << QByteArray(R"({"Instances":[{"HealthStatus":"HEALTHY"}]})")
                           << "Instances[0].InstanceId: is missing";
    QTest::newRow("attribute not string")
        << 0
        << QByteArray(
               R"({"Instances":[{"InstanceId":"a","Attributes":{"AWS_INSTANCE_PORT":8080}}]})")
        << "Instances[0].Attributes.AWS_INSTANCE_PORT: is not a string";
    QTest::newRow("port out of range")
        << 0
        << QByteArray(
               R"({"Instances":[{"InstanceId":"a","Attributes":{"AWS_INSTANCE_PORT":"0"}}]})")
        << "Instances[0].Attributes.AWS_INSTANCE_PORT: is not a port: '0'";
    QTest::newRow("truncated") << 0 << QByteArray(R"({"Instances":[{"InstanceId":"a")")
                               << "offset 31: not JSON: unterminated string";
    QTest::newRow("service missing") << 1 << QByteArray("{}") << "Service: is missing";
    QTest::newRow("status not object")
        << 2 << QByteArray(R"({"Status":[]})") << "Status: is not an object";
    QTest::newRow("task arn missing") << 3 << QByteArray(R"({"tasks":[{"lastStatus":"RUNNING"}]})")
                                      << "tasks[0].taskArn: is missing";
    QTest::newRow("task arns not strings")
        << 4 << QByteArray(R"({"taskArns":[1]})") << "taskArns[0]: is not a string";
}

void tst_AwsReplies::hostileJson()
{
    QFETCH(int, which);
    QFETCH(QByteArray, json);
    QFETCH(QString, error);
    QString got;
    switch (which) {
    case 0:
        got = AwsReplies::discoverInstances(json).errorText();
        break;
    case 1:
        got = AwsReplies::getService(json).errorText();
        break;
    case 2:
        got = AwsReplies::instancesHealthStatus(json).errorText();
        break;
    case 3:
        got = AwsReplies::describeTasks(json).errorText();
        break;
    default:
        got = AwsReplies::listTasks(json).errorText();
        break;
    }
    QCOMPARE(got, error);
}

QTEST_GUILESS_MAIN(tst_AwsReplies)
#include "tst_AwsReplies.moc"

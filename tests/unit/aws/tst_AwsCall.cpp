// AwsCall's wire bodies and AwsError's reading of AWS's documented error shapes (JSON 1.1
// "__type" with and without the namespace prefix, Query <ErrorResponse>), including replies that
// are not what the protocol says: empty, truncated XML, HTML from a proxy, a huge message.
#include "aws/AwsCall.h"

#include <QJsonDocument>
#include <QTest>

using namespace hopscope;

class tst_AwsCall : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void bodies();
    void pageTokens();
    void errors_data();
    void errors();
    void hugeMessageIsCapped();
};

void tst_AwsCall::bodies()
{
    const AwsCall cm = AwsCall::cloudMap("DiscoverInstances",
        QJsonObject { { QStringLiteral("NamespaceName"), QStringLiteral("corp.internal") } });
    QCOMPARE(cm.amzTarget(), QByteArrayLiteral("Route53AutoNaming_v20170314.DiscoverInstances"));
    QCOMPARE(cm.contentType(), QByteArrayLiteral("application/x-amz-json-1.1"));
    QCOMPARE(cm.body(), QByteArrayLiteral("{\"NamespaceName\":\"corp.internal\"}"));
    const AwsCall tg = AwsCall::elbv2("DescribeTargetHealth",
        { { "TargetGroupArn", "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/a b/1" } });
    QVERIFY(tg.amzTarget().isEmpty());
    QCOMPARE(tg.body(),
        QByteArrayLiteral(
            "Action=DescribeTargetHealth&Version=2015-12-01&TargetGroupArn="
            "arn%3Aaws%3Aelasticloadbalancing%3Aeu-west-1%3A1%3Atargetgroup%2Fa%20b%2F1"));
    QCOMPARE(tg.describe(), QStringLiteral("elasticloadbalancing DescribeTargetHealth"));
}

void tst_AwsCall::pageTokens()
{
    const AwsCall cm = AwsCall::cloudMap("ListServices");
    QCOMPARE(cm.nextPageToken(R"({"Services":[],"NextToken":"abc"})"), QByteArrayLiteral("abc"));
    QVERIFY(cm.nextPageToken(R"({"Services":[]})").isEmpty());
    QVERIFY(cm.nextPageToken("not json").isEmpty());
    QCOMPARE(QJsonDocument::fromJson(cm.withPageToken("abc").body())[u"NextToken"].toString(),
        QStringLiteral("abc"));
    const AwsCall ecs = AwsCall::ecs("ListTasks");
    QCOMPARE(ecs.nextPageToken(R"({"taskArns":[],"nextToken":"t2"})"), QByteArrayLiteral("t2"));
    const AwsCall q = AwsCall::elbv2("DescribeTargetGroups");
    const QByteArray page = "<DescribeTargetGroupsResponse><DescribeTargetGroupsResult>"
                            "<TargetGroups/><NextMarker>m-2</NextMarker>"
                            "</DescribeTargetGroupsResult></DescribeTargetGroupsResponse>";
    QCOMPARE(q.nextPageToken(page), QByteArrayLiteral("m-2"));
    // A second page replaces the marker, never adds another.
    const AwsCall third = q.withPageToken("m-2").withPageToken("m-4");
    QCOMPARE(third.body(),
        QByteArrayLiteral("Action=DescribeTargetGroups&Version=2015-12-01&Marker=m-4"));
    QVERIFY(q.nextPageToken("<Truncated><NextMark").isEmpty());
}

void tst_AwsCall::errors_data()
{
    QTest::addColumn<int>("protocol");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("code");
    const int json = int(AwsCall::Protocol::Json11);
    const int query = int(AwsCall::Protocol::Query);
    const auto xml = [](const char *code, const char *message) -> QByteArray {
        return QByteArray("<ErrorResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/"
                          "2015-12-01/\"><Error><Type>Sender</Type><Code>")
            + code + "</Code><Message>" + message
            + "</Message></Error><RequestId>r</RequestId></ErrorResponse>";
    };
    QTest::newRow("json throttling")
        << json << 400
        << QByteArray(R"({"__type":"ThrottlingException","message":"Rate exceeded"})")
        << int(AwsError::Kind::Throttled) << "ThrottlingException";
    QTest::newRow("json namespaced code")
        << json << 400
        << QByteArray(
               R"({"__type":"com.amazonaws.servicediscovery#ServiceNotFound","Message":"x"})")
        << int(AwsError::Kind::NotFound) << "ServiceNotFound";
    QTest::newRow("json signature")
        << json << 400
        << QByteArray(
               R"({"__type":"InvalidSignatureException","message":"The request signature we calculated does not match"})")
        << int(AwsError::Kind::Signature) << "InvalidSignatureException";
    QTest::newRow("json signature expired")
        << json << 400
        << QByteArray(
               R"({"__type":"InvalidSignatureException","message":"Signature expired: 20261130T070000Z is now earlier than 20261130T071000Z"})")
        << int(AwsError::Kind::ClockSkew) << "InvalidSignatureException";
    QTest::newRow("json unknown key")
        << json << 400
        << QByteArray(
               R"({"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."})")
        << int(AwsError::Kind::Credentials) << "UnrecognizedClientException";
    QTest::newRow("json access denied")
        << json << 400
        << QByteArray(
               R"({"__type":"AccessDeniedException","Message":"not authorized to perform: servicediscovery:DiscoverInstances"})")
        << int(AwsError::Kind::AccessDenied) << "AccessDeniedException";
    QTest::newRow("json 429 without body")
        << json << 429 << QByteArray() << int(AwsError::Kind::Throttled) << "";
    QTest::newRow("json 500 html from a proxy")
        << json << 502 << QByteArray("<html><body>Bad gateway</body></html>")
        << int(AwsError::Kind::Server) << "";
    QTest::newRow("json 400 not json") << json << 400 << QByteArray("{\"__type\": \"Thrott")
                                       << int(AwsError::Kind::Malformed) << "";
    QTest::newRow("query throttling") << query << 400 << xml("Throttling", "Rate exceeded")
                                      << int(AwsError::Kind::Throttled) << "Throttling";
    QTest::newRow("query signature") << query << 403 << xml("SignatureDoesNotMatch", "no")
                                     << int(AwsError::Kind::Signature) << "SignatureDoesNotMatch";
    QTest::newRow("query target group")
        << query << 400 << xml("TargetGroupNotFound", "One or more target groups not found")
        << int(AwsError::Kind::NotFound) << "TargetGroupNotFound";
    QTest::newRow("query validation") << query << 400 << xml("ValidationError", "bad arn")
                                      << int(AwsError::Kind::Invalid) << "ValidationError";
    QTest::newRow("query 503") << query << 503 << xml("ServiceUnavailable", "later")
                               << int(AwsError::Kind::Throttled) << "ServiceUnavailable";
    QTest::newRow("query truncated xml") << query << 400 << QByteArray("<ErrorResponse><Error><Co")
                                         << int(AwsError::Kind::Malformed) << "";
}

void tst_AwsCall::errors()
{
    QFETCH(int, protocol);
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(int, kind);
    QFETCH(QString, code);
    const AwsError e = AwsError::fromReply(AwsCall::Protocol(protocol), status, body);
    QCOMPARE(int(e.kind), kind);
    QCOMPARE(e.code, code);
    QCOMPARE(e.httpStatus, status);
    QVERIFY(!e.words.isEmpty());
    QCOMPARE(
        e.retryable(), e.kind == AwsError::Kind::Throttled || e.kind == AwsError::Kind::Server);
}

void tst_AwsCall::hugeMessageIsCapped()
{
    const QByteArray body
        = "{\"__type\":\"ValidationException\",\"message\":\"" + QByteArray(100000, 'm') + "\"}";
    const AwsError e = AwsError::fromReply(AwsCall::Protocol::Json11, 400, body);
    QVERIFY(e.message.size() <= 301);
    QVERIFY(e.words.size() < 500);
}

QTEST_GUILESS_MAIN(tst_AwsCall)
#include "tst_AwsCall.moc"

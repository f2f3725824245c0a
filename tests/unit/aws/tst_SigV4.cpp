// SigV4 against AWS's published Signature Version 4 test suite (the v4 vectors as kept in
// awslabs/aws-c-auth, tests/data/aws/sigv4/README.md): for every request, the canonical
// request, the string to sign, the signature and the Authorization header byte for byte, and the
// headers the signer adds. Then what the suite does not cover: the signing key of AWS's
// documentation example, a wrong secret or a second later changing the signature.

#include "aws/SigV4.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace hopscope;

namespace {

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return {};
    }
    return f.read(1 << 20);
}

// request.txt: "METHOD TARGET HTTP/1.1", "Name:value" lines (a line starting with white space
// continues the previous value), an empty line, the body. The target may hold spaces.
bool parseRequest(const QByteArray &text, SignableRequest *out)
{
    const qsizetype blank = text.indexOf("\n\n");
    const QByteArray head = blank < 0 ? text : text.left(blank);
    out->body = blank < 0 ? QByteArray() : text.mid(blank + 2);
    const QList<QByteArray> lines = head.split('\n');
    const QByteArray &first = lines.first();
    const qsizetype sp1 = first.indexOf(' ');
    const qsizetype sp2 = first.lastIndexOf(' ');
    if (sp1 <= 0 || sp2 <= sp1) {
        return false;
    }
    out->method = first.left(sp1);
    out->target = first.mid(sp1 + 1, sp2 - sp1 - 1);
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray &line = lines.at(i);
        if (line.isEmpty()) {
            continue;
        }
        if ((line.startsWith(' ') || line.startsWith('\t')) && !out->headers.isEmpty()) {
            out->headers.last().second += '\n' + line;
            continue;
        }
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0) {
            return false;
        }
        out->headers.append({ line.left(colon), line.mid(colon + 1) });
    }
    return true;
}

} // namespace

class tst_SigV4 : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void suite_data();
    void suite();
    void signingKeyOfTheDocumentationExample();
    void secretAndTimeChangeTheSignature();
    void pathAndQueryEncoding();
};

void tst_SigV4::suite_data()
{
    QTest::addColumn<QString>("dir");
    const QDir root(qEnvironmentVariable("HOPSCOPE_TEST_DATA") + QStringLiteral("/aws/sigv4"));
    const QStringList cases = root.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
    QVERIFY2(
        cases.size() >= 30, qPrintable(root.path() + QStringLiteral(": the suite is missing")));
    for (const QString &c : cases) {
        QTest::newRow(qPrintable(c)) << root.filePath(c);
    }
}

void tst_SigV4::suite()
{
    QFETCH(QString, dir);
    const QJsonObject context
        = QJsonDocument::fromJson(readFile(dir + QStringLiteral("/context.json"))).object();
    QVERIFY(!context.isEmpty());
    const QJsonObject c = context.value(QStringLiteral("credentials")).toObject();
    AwsCredentials creds;
    creds.accessKeyId = c.value(QStringLiteral("access_key_id")).toString().toLatin1();
    creds.secretAccessKey = c.value(QStringLiteral("secret_access_key")).toString().toLatin1();
    creds.sessionToken = c.value(QStringLiteral("token")).toString().toLatin1();
    SigV4Options options;
    options.normalizePath = context.value(QStringLiteral("normalize")).toBool(true);
    options.signBodyHeader = context.value(QStringLiteral("sign_body")).toBool(false);
    options.omitSessionToken = context.value(QStringLiteral("omit_session_token")).toBool(false);
    const QDateTime when
        = QDateTime::fromString(context.value(QStringLiteral("timestamp")).toString(), Qt::ISODate);
    QVERIFY(when.isValid());

    SignableRequest request;
    QVERIFY(parseRequest(readFile(dir + QStringLiteral("/request.txt")), &request));
    const SigV4Signature s
        = SigV4::sign(request, creds, context.value(QStringLiteral("region")).toString().toLatin1(),
            context.value(QStringLiteral("service")).toString().toLatin1(), when, options);

    QCOMPARE(s.canonicalRequest, readFile(dir + QStringLiteral("/header-canonical-request.txt")));
    QCOMPARE(s.stringToSign, readFile(dir + QStringLiteral("/header-string-to-sign.txt")));
    QCOMPARE(s.signature, readFile(dir + QStringLiteral("/header-signature.txt")).trimmed());

    // The signed request: the original headers plus exactly the ones the signer adds.
    SignableRequest signedRequest;
    QVERIFY(
        parseRequest(readFile(dir + QStringLiteral("/header-signed-request.txt")), &signedRequest));
    HttpHeaders expectedAdded = signedRequest.headers.mid(request.headers.size());
    HttpHeaders added = s.addedHeaders;
    std::sort(expectedAdded.begin(), expectedAdded.end());
    std::sort(added.begin(), added.end());
    QCOMPARE(added, expectedAdded);
}

void tst_SigV4::signingKeyOfTheDocumentationExample()
{
    // AWS's documentation ("Examples of how to derive a signing key for Signature Version 4").
    QCOMPARE(SigV4::signingKey(
                 "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")
                 .toHex(),
        QByteArray("f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"));
}

void tst_SigV4::secretAndTimeChangeTheSignature()
{
    SignableRequest r { "POST", "/", { { "Host", "servicediscovery.eu-west-1.amazonaws.com" } },
        "{}" };
    const AwsCredentials good { "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", {} };
    AwsCredentials wrong = good;
    wrong.secretAccessKey[0] = 'X';
    const QDateTime t = QDateTime::fromString(QStringLiteral("2026-11-30T05:00:00Z"), Qt::ISODate);
    const QByteArray a = SigV4::sign(r, good, "eu-west-1", "servicediscovery", t).signature;
    QCOMPARE(SigV4::sign(r, good, "eu-west-1", "servicediscovery", t).signature, a);
    QVERIFY(SigV4::sign(r, wrong, "eu-west-1", "servicediscovery", t).signature != a);
    QVERIFY(SigV4::sign(r, good, "eu-west-1", "servicediscovery", t.addSecs(1)).signature != a);
    QVERIFY(SigV4::sign(r, good, "eu-west-2", "servicediscovery", t).signature != a);
    r.body = "{ }";
    QVERIFY(SigV4::sign(r, good, "eu-west-1", "servicediscovery", t).signature != a);
    // The secret never appears in what the signer returns.
    const SigV4Signature s = SigV4::sign(r, good, "eu-west-1", "servicediscovery", t);
    for (const QByteArray &part : { s.canonicalRequest, s.stringToSign, s.authorization }) {
        QVERIFY(!part.contains(good.secretAccessKey));
    }
}

void tst_SigV4::pathAndQueryEncoding()
{
    // A path percent-encoded for the wire is encoded again (every service but S3).
    QCOMPARE(SigV4::canonicalPath("/example%20space/", true), QByteArray("/example%2520space/"));
    QCOMPARE(SigV4::canonicalPath("", true), QByteArray("/"));
    QCOMPARE(SigV4::canonicalPath("/a/b/../../..", true), QByteArray("/"));
    // The Query protocol's form values: '+' and '/' are reserved, spaces from %20 stay %20.
    QCOMPARE(
        SigV4::canonicalQuery(
            "Version=2015-12-01&Action=DescribeTargetHealth&TargetGroupArn=arn%3Aaws%3Aelb%2Fx"),
        QByteArray(
            "Action=DescribeTargetHealth&TargetGroupArn=arn%3Aaws%3Aelb%2Fx&Version=2015-12-01"));
    QCOMPARE(SigV4::canonicalQuery("b=2&a=2&a=1&c"), QByteArray("a=1&a=2&b=2&c="));
}

QTEST_GUILESS_MAIN(tst_SigV4)
#include "tst_SigV4.moc"

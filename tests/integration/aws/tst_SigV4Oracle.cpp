// hopscope's SigV4 against the AWS SDK's own signer (@smithy/signature-v4, npm ci'd by the
// CTest fixture aws_oracle): tests/peers/aws-oracle/sign.mjs signs the requests of
// tests/data/aws/sigv4-oracle/requests.json (a Cloud Map JSON 1.1 POST with X-Amz-Target and a
// session token, ELBv2 Query form POSTs, GETs with an encoded, un-normalised path and a query
// with repeated and encoded keys) at their fixed times; this test signs the same requests with
// SigV4::sign and compares the canonical request, the string to sign, the Authorization header
// and the headers the signer adds, byte for byte. The SDK's default applyChecksum (add and sign
// x-amz-content-sha256) maps to SigV4Options::signBodyHeader.

#include "aws/SigV4.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

#include <algorithm>

using namespace hopscope;

namespace {

constexpr int kNodeDeadlineMs = 60000;
constexpr qint64 kMaxOutput = 4 << 20;

QString requestsPath()
{
    return qEnvironmentVariable("HOPSCOPE_TEST_DATA")
        + QStringLiteral("/aws/sigv4-oracle/requests.json");
}

SignableRequest toRequest(const QJsonObject &r)
{
    SignableRequest req;
    req.method = r.value(QStringLiteral("method")).toString().toUtf8();
    req.target = r.value(QStringLiteral("target")).toString().toUtf8();
    req.body = r.value(QStringLiteral("body")).toString().toUtf8();
    const QJsonArray headers = r.value(QStringLiteral("headers")).toArray();
    for (const QJsonValue &h : headers) {
        const QJsonArray pair = h.toArray();
        req.headers.append({ pair.at(0).toString().toUtf8(), pair.at(1).toString().toUtf8() });
    }
    return req;
}

AwsCredentials toCredentials(const QJsonObject &r)
{
    return { r.value(QStringLiteral("accessKeyId")).toString().toUtf8(),
        r.value(QStringLiteral("secretAccessKey")).toString().toUtf8(),
        r.value(QStringLiteral("sessionToken")).toString().toUtf8() };
}

SigV4Signature signLikeSdk(const QJsonObject &r, const AwsCredentials &credentials)
{
    SigV4Options options;
    options.signBodyHeader = r.value(QStringLiteral("signBodyHeader")).toBool();
    const QDateTime when
        = QDateTime::fromString(r.value(QStringLiteral("date")).toString(), Qt::ISODate);
    return SigV4::sign(toRequest(r), credentials,
        r.value(QStringLiteral("region")).toString().toUtf8(),
        r.value(QStringLiteral("service")).toString().toUtf8(), when, options);
}

} // namespace

class tst_SigV4Oracle : public QObject
{
    Q_OBJECT

private:
    QJsonArray m_requests;
    QHash<QString, QJsonObject> m_sdk; // name -> what @smithy/signature-v4 produced

private Q_SLOTS:
    void initTestCase()
    {
        QFile f(requestsPath());
        QVERIFY2(f.open(QIODevice::ReadOnly),
            qPrintable(requestsPath() + QStringLiteral(": ") + f.errorString()));
        m_requests = QJsonDocument::fromJson(f.read(1 << 20))
                         .object()
                         .value(QStringLiteral("requests"))
                         .toArray();
        QVERIFY2(m_requests.size() >= 4, "requests.json holds the oracle requests");

        const QString node = qEnvironmentVariable("HOPSCOPE_NODE");
        const QString script = qEnvironmentVariable("HOPSCOPE_AWS_SIGN_SCRIPT");
        QVERIFY2(!node.isEmpty() && !script.isEmpty(),
            "HOPSCOPE_NODE and HOPSCOPE_AWS_SIGN_SCRIPT are set by CTest");
        QProcess p;
        p.setProgram(node);
        p.setArguments({ QStringLiteral("--no-warnings"), script, requestsPath() });
        p.start();
        QVERIFY2(p.waitForStarted(10000),
            qPrintable(node + QStringLiteral(" did not start: ") + p.errorString()));
        QByteArray out;
        QByteArray err;
        QDeadlineTimer deadline(kNodeDeadlineMs);
        while (p.state() != QProcess::NotRunning && !deadline.hasExpired()) {
            p.waitForReadyRead(int(std::clamp<qint64>(deadline.remainingTime(), 1, 1000)));
            out += p.read(kMaxOutput - out.size());
            err += p.readAllStandardError().left(65536);
            QVERIFY2(out.size() < kMaxOutput, "sign.mjs output over the cap");
        }
        if (p.state() != QProcess::NotRunning) {
            p.kill();
            p.waitForFinished(5000);
            QFAIL("sign.mjs did not finish within 60 s");
        }
        out += p.read(kMaxOutput - out.size());
        err += p.readAllStandardError().left(65536);
        QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0,
            qPrintable(QStringLiteral("sign.mjs failed (exit %1): %2")
                           .arg(p.exitCode())
                           .arg(QString::fromUtf8(err))));
        QJsonParseError pe;
        const QJsonDocument doc = QJsonDocument::fromJson(out, &pe);
        QVERIFY2(pe.error == QJsonParseError::NoError, qPrintable(pe.errorString()));
        const QJsonArray results = doc.object().value(QStringLiteral("results")).toArray();
        for (const QJsonValue &v : results) {
            m_sdk.insert(v.toObject().value(QStringLiteral("name")).toString(), v.toObject());
        }
        QCOMPARE(m_sdk.size(), m_requests.size());
    }

    void sameAsSdk_data()
    {
        QTest::addColumn<QJsonObject>("request");
        for (const QJsonValue &v : std::as_const(m_requests)) {
            const QJsonObject r = v.toObject();
            QTest::newRow(qPrintable(r.value(QStringLiteral("name")).toString())) << r;
        }
    }

    void sameAsSdk()
    {
        QFETCH(QJsonObject, request);
        const QJsonObject sdk = m_sdk.value(request.value(QStringLiteral("name")).toString());
        QVERIFY(!sdk.isEmpty());
        const SigV4Signature ours = signLikeSdk(request, toCredentials(request));

        QCOMPARE(QString::fromUtf8(ours.canonicalRequest),
            sdk.value(QStringLiteral("canonicalRequest")).toString());
        QCOMPARE(QString::fromUtf8(ours.stringToSign),
            sdk.value(QStringLiteral("stringToSign")).toString());
        QCOMPARE(QString::fromUtf8(ours.authorization),
            sdk.value(QStringLiteral("authorization")).toString());

        // The headers each signer adds to the request: same names (case-insensitively), same
        // values.
        QList<std::pair<QString, QString>> added;
        for (const auto &[name, value] : ours.addedHeaders) {
            added.append({ QString::fromUtf8(name).toLower(), QString::fromUtf8(value) });
        }
        std::sort(added.begin(), added.end());
        QList<std::pair<QString, QString>> sdkAdded;
        const QJsonArray sdkHeaders = sdk.value(QStringLiteral("addedHeaders")).toArray();
        for (const QJsonValue &h : sdkHeaders) {
            sdkAdded.append({ h.toArray().at(0).toString(), h.toArray().at(1).toString() });
        }
        std::sort(sdkAdded.begin(), sdkAdded.end());
        QCOMPARE(added, sdkAdded);
    }

    // The comparison can fail: a wrong secret, another second or a dropped session token each
    // change what hopscope produces, so equality above is not an accident of the inputs.
    void differsWhenInputsDiffer()
    {
        const QJsonObject r = m_requests.at(0).toObject();
        const QString sdkAuth = m_sdk.value(r.value(QStringLiteral("name")).toString())
                                    .value(QStringLiteral("authorization"))
                                    .toString();
        AwsCredentials wrongSecret = toCredentials(r);
        wrongSecret.secretAccessKey += 'x';
        QVERIFY(QString::fromUtf8(signLikeSdk(r, wrongSecret).authorization) != sdkAuth);
        AwsCredentials noToken = toCredentials(r);
        QVERIFY(!noToken.sessionToken.isEmpty());
        noToken.sessionToken.clear();
        QVERIFY(QString::fromUtf8(signLikeSdk(r, noToken).authorization) != sdkAuth);
        QJsonObject later = r;
        later.insert(QStringLiteral("date"), QStringLiteral("2026-11-30T05:00:01Z"));
        QVERIFY(QString::fromUtf8(signLikeSdk(later, toCredentials(r)).authorization) != sdkAuth);
    }
};

QTEST_GUILESS_MAIN(tst_SigV4Oracle)
#include "tst_SigV4Oracle.moc"

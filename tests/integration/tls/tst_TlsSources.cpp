#include "TlsPeer.h"

#include "core/TlsContext.h"
#include "envoy/EnvoyAdminSource.h"
#include "haproxy/HaproxyStatsHttpSource.h"
#include "profile/ProfileStore.h"
#include "topology/ClusterMonitor.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace hopscope;

// TLS, mutual TLS and key pinning, end to end: the real sources (EnvoyAdminSource, HaproxyStats-
// HttpSource, ClusterMonitor, hopscope-cli snapshot) through a real HAProxy TLS terminator in
// front of the Envoy emulator, with a per-run CA (fixture `peers_tls`). Every failure must come
// back in plain words that name what is wrong.
class tst_TlsSources : public QObject
{
    Q_OBJECT

private:
    TlsPeer m_peer;

    // One poll of an Envoy admin source at `url` with `spec` (none: QtNetwork's defaults, the
    // system CAs): its status afterwards and its error.
    static PollingSource::Status pollEnvoy(
        const QUrl &url, const std::optional<TlsSpec> &spec, SourceError *error)
    {
        std::unique_ptr<TlsContext> tls;
        if (spec) {
            tls = std::make_unique<TlsContext>(*spec);
        }
        EnvoyAdminSource source(
            QStringLiteral("mesh:tls"), url, tls ? tls->networkAccessManager() : nullptr);
        source.setTls(tls.get());
        source.setIntervalMs(60'000);
        source.setTimeoutMs(8000);
        QSignalSpy finished(&source, &PollingSource::pollFinished);
        source.start();
        if (!finished.wait(15'000)) {
            return PollingSource::Status::Pending;
        }
        *error = source.lastError();
        const PollingSource::Status status = source.status();
        if (status == PollingSource::Status::Ok
            && !source.snapshot().serverInfo.version.contains(u"1.29")) {
            return PollingSource::Status::Idle; // answered, but not by the emulator behind HAProxy
        }
        source.stop();
        return status;
    }

    void expectFailure(const char *frontend, const std::optional<TlsSpec> &spec,
        const QStringList &words, SourceError::Kind kind = SourceError::Kind::Auth)
    {
        SourceError e;
        const auto status = pollEnvoy(m_peer.url(frontend), spec, &e);
        qInfo("%s: %s", frontend, qPrintable(e.toString()));
        QVERIFY2(status == PollingSource::Status::Failing,
            qPrintable(QStringLiteral("status %1, error: %2").arg(int(status)).arg(e.toString())));
        for (const QString &w : words) {
            QVERIFY2(e.message.contains(w),
                qPrintable(QStringLiteral("'%1' not in: %2").arg(w, e.toString())));
        }
        QCOMPARE(e.kind, kind);
    }

    void expectHealthy(const char *frontend, const std::optional<TlsSpec> &spec)
    {
        SourceError e;
        const auto status = pollEnvoy(m_peer.url(frontend), spec, &e);
        QVERIFY2(status == PollingSource::Status::Ok,
            qPrintable(QStringLiteral("status %1, error: %2").arg(int(status)).arg(e.toString())));
    }

    QString writeProfile(QTemporaryDir &dir, const QJsonObject &tls) const
    {
        const QJsonObject profile {
            { QStringLiteral("schema"), 1 },
            { QStringLiteral("name"), QStringLiteral("tls test") },
            { QStringLiteral("poll"),
                QJsonObject { { QStringLiteral("intervalMs"), 500 },
                    { QStringLiteral("timeoutMs"), 5000 } } },
            { QStringLiteral("services"),
                QJsonArray { QJsonObject { { QStringLiteral("id"), QStringLiteral("svc") },
                    { QStringLiteral("name"), QStringLiteral("svc") } } } },
            { QStringLiteral("proxies"),
                QJsonArray { QJsonObject { { QStringLiteral("id"), QStringLiteral("edge") },
                    { QStringLiteral("kind"), QStringLiteral("envoy") },
                    { QStringLiteral("admin"), m_peer.url("otherca").toString() },
                    { QStringLiteral("service"), QStringLiteral("svc") },
                    { QStringLiteral("task"), QStringLiteral("127.0.0.1:1") },
                    { QStringLiteral("tls"), tls } } } },
        };
        const QString path = dir.filePath(QStringLiteral("tls.hopscope.json"));
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly)) {
            return {};
        }
        f.write(QJsonDocument(profile).toJson());
        return path;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_peer.isUp(), "the peers_tls fixture (tests/peers/tls_peer.py up) did not start");
    }

    void verifiedTlsIsHealthy() { expectHealthy("good", m_peer.trustingCa()); }

    void systemCasDoNotKnowThePerRunCa()
    {
        expectFailure("good", std::nullopt,
            { QStringLiteral("unknown issuer"), QStringLiteral("the system CAs") });
    }

    void mutualTlsWithTheClientCertificate() { expectHealthy("mtls", m_peer.withClientCert()); }

    void mutualTlsWithTheKeyFromTheEnvironment()
    {
        QFile key(m_peer.value("client_key"));
        QVERIFY(key.open(QIODevice::ReadOnly));
        const QByteArray pem = key.readAll();
        qputenv("HOPSCOPE_TEST_TLS_KEY", pem);
        TlsSpec spec = m_peer.withClientCert();
        spec.key = SecretRef { SecretRef::Kind::Env, QStringLiteral("HOPSCOPE_TEST_TLS_KEY") };
        expectHealthy("mtls", spec);
        qunsetenv("HOPSCOPE_TEST_TLS_KEY");
    }

    void mutualTlsWithoutClientCertificateIsRefused()
    {
        expectFailure(
            "mtls", m_peer.trustingCa(), { QStringLiteral("client certificate required") });
    }

    void mutualTlsWithAStrangersCertificateIsRejected()
    {
        expectFailure("mtls", m_peer.withClientCert("other_client_cert", "other_client_key"),
            { QStringLiteral("rejected the client certificate") });
    }

    void unknownIssuer()
    {
        expectFailure("otherca", m_peer.trustingCa(),
            { QStringLiteral("unknown issuer"), QStringLiteral("hopscope other CA"),
                m_peer.value("ca") });
    }

    void wrongName()
    {
        expectFailure("wrongname", m_peer.trustingCa(),
            { QStringLiteral("wrong host name"), QStringLiteral("wrong.example.net"),
                QStringLiteral("not 127.0.0.1") });
    }

    void expired()
    {
        expectFailure("expired", m_peer.trustingCa(), { QStringLiteral("expired on 2020-01-02") });
    }

    void notYetValid()
    {
        expectFailure("notyet", m_peer.trustingCa(),
            { QStringLiteral("not yet valid"), QStringLiteral("2099-01-01") });
    }

    void pinMatch()
    {
        TlsSpec spec = m_peer.trustingCa();
        spec.pinsSha256 = { m_peer.pin("otherca-server"), m_peer.pin("server") };
        expectHealthy("good", spec);
    }

    void pinMismatchNamesBothPins()
    {
        TlsSpec spec = m_peer.trustingCa();
        spec.pinsSha256 = { m_peer.pin("otherca-server") };
        QVERIFY(m_peer.pin("otherca-server") != m_peer.pin("server"));
        expectFailure("good", spec,
            { QStringLiteral("pin mismatch"), QStringLiteral("proxies[0].tls.pinSha256"),
                m_peer.pin("otherca-server"), m_peer.pin("server") });
    }

    void unreadableCaIsAConfigError()
    {
        TlsSpec spec = m_peer.trustingCa();
        spec.ca = TlsPeer::file(m_peer.value("ca") + QStringLiteral(".missing"));
        expectFailure("good", spec,
            { QStringLiteral("proxies[0].tls.ca"), QStringLiteral("cannot read the CA file") },
            SourceError::Kind::Config);
    }

    void verifyFalseWorksButWarns()
    {
        TlsSpec spec = m_peer.trustingCa();
        spec.verify = false;
        expectHealthy("otherca", spec); // an unknown issuer, accepted

        // Through the monitor: the warning is in its event log and its warnings().
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = writeProfile(dir,
            QJsonObject {
                { QStringLiteral("ca"), QString(QStringLiteral("file:") + m_peer.value("ca")) },
                { QStringLiteral("verify"), false } });
        const ProfileLoadResult loaded = ProfileStore::load(path);
        QVERIFY2(loaded.ok(), qPrintable(loaded.problems.value(0).toString()));
        ClusterMonitor monitor(*loaded.profile);
        QCOMPARE(monitor.warnings().size(), 1);
        QCOMPARE(monitor.warnings().first().source, QStringLiteral("mesh:edge"));
        QVERIFY(monitor.warnings().first().message.contains(u"TLS verification is off"));
        bool logged = false;
        for (int i = 0; i < monitor.eventLog()->rowCount(); ++i) {
            const QModelIndex idx = monitor.eventLog()->index(i, 0);
            logged = logged
                || (idx.data(EventLog::SeverityRole).value<EventLog::Severity>()
                        == EventLog::Severity::Warning
                    && idx.data(EventLog::MessageRole).toString().contains(u"verification is off"));
        }
        QVERIFY2(logged, "no warning in the event log");
        QSignalSpy rounds(&monitor, &ClusterMonitor::roundCompleted);
        monitor.start();
        QVERIFY(rounds.wait(15'000));
        QCOMPARE(
            monitor.sidecarSource(QStringLiteral("edge"))->status(), PollingSource::Status::Ok);
        monitor.stop();

        // And in hopscope-cli snapshot, text and --json.
        for (const bool json : { false, true }) {
            QProcess cli;
            QStringList args { QStringLiteral("snapshot"), path };
            if (json) {
                args << QStringLiteral("--json");
            }
            cli.start(qEnvironmentVariable("HOPSCOPE_CLI"), args);
            QVERIFY(cli.waitForFinished(60'000));
            const QByteArray out = cli.readAllStandardOutput();
            QVERIFY2(cli.exitCode() == 0, cli.readAllStandardError().constData());
            if (json) {
                const QJsonArray warnings
                    = QJsonDocument::fromJson(out)[QStringLiteral("warnings")].toArray();
                QCOMPARE(warnings.size(), 1);
                QCOMPARE(
                    warnings[0][QStringLiteral("source")].toString(), QStringLiteral("mesh:edge"));
                QVERIFY(warnings[0][QStringLiteral("message")].toString().contains(
                    u"verification is off"));
            } else {
                QVERIFY2(
                    out.contains("warnings:") && out.contains("mesh:edge: TLS verification is off"),
                    out.constData());
            }
        }
    }

    void haproxyStatsOverTls()
    {
        TlsContext tls(m_peer.trustingCa());
        HaproxyStatsHttpSource source(
            QStringLiteral("lb:tls"), m_peer.url("stats"), tls.networkAccessManager());
        source.setTls(&tls);
        source.setIntervalMs(60'000);
        source.setTimeoutMs(8000);
        QSignalSpy finished(&source, &PollingSource::pollFinished);
        source.start();
        QVERIFY(finished.wait(15'000));
        QVERIFY2(source.status() == PollingSource::Status::Ok,
            qPrintable(source.lastError().toString()));
        bool seen = false;
        for (const HaproxyStatProxy &proxy : source.snapshot().stat.proxies) {
            seen = seen || proxy.name == u"envoy_admin";
        }
        QVERIFY2(seen, "no envoy_admin backend in the stats read through TLS");
    }

    // What the fault suite will use: the served certificate changes at run time to an untrusted
    // one; the source fails in plain words on its next poll and recovers when it changes back.
    void certificateSwappedToAnUntrustedOne()
    {
        QString log;
        QVERIFY2(m_peer.swap(QStringLiteral("good"), &log), qPrintable(log));
        TlsContext tls(m_peer.trustingCa());
        EnvoyAdminSource source(
            QStringLiteral("mesh:swap"), m_peer.url("swap"), tls.networkAccessManager());
        source.setTls(&tls);
        source.setIntervalMs(300);
        source.setTimeoutMs(5000);
        source.setBackoff(Backoff(100, 300));
        source.start();
        QTRY_COMPARE_WITH_TIMEOUT(source.status(), PollingSource::Status::Ok, 15'000);
        QVERIFY2(m_peer.swap(QStringLiteral("otherca"), &log), qPrintable(log));
        QTRY_COMPARE_WITH_TIMEOUT(source.status(), PollingSource::Status::Failing, 15'000);
        QVERIFY2(source.lastError().message.contains(u"unknown issuer"),
            qPrintable(source.lastError().toString()));
        QVERIFY2(m_peer.swap(QStringLiteral("good"), &log), qPrintable(log));
        QTRY_COMPARE_WITH_TIMEOUT(source.status(), PollingSource::Status::Ok, 15'000);
    }
};

QTEST_GUILESS_MAIN(tst_TlsSources)
#include "tst_TlsSources.moc"

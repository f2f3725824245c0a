// The real main window (offscreen) on the demo cluster reached only through the peers_ssh sshd:
// every service healthy with the tunnel's state in the event log; then a profile with the wrong
// host key: every service loses its healthy state and the event log names both fingerprints;
// then every endpoint behind the jump host AND TLS (the sidecars' admin through the TLS fronts of
// peers_tls_front, by the name their certificates carry). All grabbed to test-output/gui/ for a
// person to look at.
#include "MainWindow.h"
#include "PeersHarness.h"
#include "SshPeer.h"
#include "core/EventLog.h"
#include "ssh/TunnelSet.h"
#include "topology/ClusterMonitor.h"
#include "topology/ServiceGraphModel.h"

#include <QDir>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QtQml/qqmlextensionplugin.h>

Q_IMPORT_QML_PLUGIN(Hopscope_ViewsPlugin)

using namespace hopscope;

namespace {

// The longest gap between two turns of the GUI thread's event loop while it runs.
class StallMeter : public QObject
{
public:
    StallMeter()
    {
        m_timer.setInterval(5);
        connect(&m_timer, &QTimer::timeout, this,
            [this] { m_worst = std::max(m_worst, m_clock.restart()); });
        m_clock.start();
        m_timer.start();
    }
    qint64 worstMs() const { return m_worst; }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_worst = 0;
};

bool logHas(const MainWindow &w, EventLog::Severity severity, const QStringList &words)
{
    for (const EventLog::Entry &e : w.monitor()->eventLog()->entries()) {
        bool all = e.severity == severity && e.source == u"ssh:jump";
        for (const QString &word : words) {
            all = all && e.message.contains(word);
        }
        if (all) {
            return true;
        }
    }
    return false;
}

} // namespace

class tst_ViaSshWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_demo.isUp(), "the peers_demo fixture is not up");
        QVERIFY2(m_peer.isUp(), "the peers_ssh fixture is not up");
        m_out = qEnvironmentVariable("HOPSCOPE_TEST_OUTPUT") + QStringLiteral("/gui");
        QDir().mkpath(m_out);
    }

    void windowThroughTheTunnel()
    {
        const QString path = profile(QStringLiteral("via.hopscope.json"));
        QVERIFY(!path.isEmpty());
        MainWindow w;
        w.resize(1400, 860);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        StallMeter stalls;
        QVERIFY2(w.openProfile(path, true), qPrintable(w.lastError()));
        ServiceGraphModel *model = w.graphModel();
        for (const char *id : { "servicea", "serviceb", "servicec", "user", "order", "payments" }) {
            QTRY_COMPARE_WITH_TIMEOUT(
                health(model, QString::fromLatin1(id)), Health::Healthy, 30000);
        }
        QVERIFY(w.monitor()->topology().errors.isEmpty());
        QVERIFY(logHas(w, EventLog::Severity::Info,
            { QStringLiteral("authenticated"), m_peer.value("host_key_fingerprint") }));
        qInfo("longest GUI-thread stall while the tunnel opened and every source answered: %lld ms",
            stalls.worstMs());
        grab(w, QStringLiteral("main-window-via-ssh.png"));
    }

    void windowThroughTheTunnelAndTls()
    {
        const QString front = qEnvironmentVariable("HOPSCOPE_TLS_FRONT_DIR");
        const QString path = profile(QStringLiteral("via-tls.hopscope.json"), QString(),
            { QStringLiteral("--tls-front"), front });
        QVERIFY(!path.isEmpty());
        MainWindow w;
        w.resize(1400, 860);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        StallMeter stalls;
        QVERIFY2(w.openProfile(path, true), qPrintable(w.lastError()));
        for (const ProxySpec &px : w.monitor()->profile().proxies) {
            QVERIFY2(px.admin.scheme() == u"https" && px.admin.host() == u"localhost"
                    && px.via == u"jump",
                qPrintable(px.admin.toString()));
        }
        ServiceGraphModel *model = w.graphModel();
        for (const char *id : { "servicea", "serviceb", "servicec", "user", "order", "payments" }) {
            QTRY_COMPARE_WITH_TIMEOUT(
                health(model, QString::fromLatin1(id)), Health::Healthy, 30000);
        }
        QTRY_VERIFY_WITH_TIMEOUT(w.monitor()->topology().errors.isEmpty(), 10000);
        // Every sidecar answered over TLS: its version is known, it is fresh.
        const auto sidecarsFresh = [&w] {
            const QList<SidecarNode> sidecars = w.monitor()->topology().sidecars;
            return !sidecars.isEmpty()
                && std::all_of(sidecars.cbegin(), sidecars.cend(), [](const SidecarNode &s) {
                       return !s.version.isEmpty() && s.health != Health::Stale
                           && s.health != Health::Unknown;
                   });
        };
        QTRY_VERIFY_WITH_TIMEOUT(sidecarsFresh(), 30000);
        qInfo("longest GUI-thread stall while the tunnel and TLS opened and every source "
              "answered: %lld ms",
            stalls.worstMs());
        grab(w, QStringLiteral("main-window-via-ssh-tls.png"));
    }

    void wrongHostKeyInTheWindow()
    {
        const QString wrong = m_peer.value("other_host_key_fingerprint");
        const QString right = m_peer.value("host_key_fingerprint");
        const QString path = profile(QStringLiteral("wrong.hopscope.json"), wrong);
        QVERIFY(!path.isEmpty());
        MainWindow w;
        w.resize(1400, 860);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY2(w.openProfile(path, true), qPrintable(w.lastError()));
        QTRY_VERIFY_WITH_TIMEOUT(logHas(w, EventLog::Severity::Error,
                                     { right, wrong, QStringLiteral("does not match") }),
            30000);
        QTRY_VERIFY_WITH_TIMEOUT(w.monitor()->tunnels()->isBlocked(QStringLiteral("jump")), 10000);
        ServiceGraphModel *model = w.graphModel();
        QTRY_VERIFY_WITH_TIMEOUT(
            w.monitor()->topology().errors.size() == w.monitor()->sources().size(), 30000);
        for (const char *id : { "servicea", "serviceb", "payments" }) {
            QVERIFY(health(model, QString::fromLatin1(id)) != Health::Healthy);
        }
        grab(w, QStringLiteral("main-window-via-ssh-wrong-host-key.png"));
    }

private:
    static Health health(ServiceGraphModel *model, const QString &id)
    {
        return model->data(model->index(model->rowOf(id)), ServiceGraphModel::HealthRole)
            .value<Health>();
    }

    QString profile(
        const QString &name, const QString &hostKey = QString(), const QStringList &more = {})
    {
        const QString out = m_tmp.filePath(name);
        QStringList args { QStringLiteral("--ssh-dir"), m_peer.value("dir"),
            QStringLiteral("--out"), out };
        args << more;
        if (!hostKey.isEmpty()) {
            args << QStringLiteral("--host-key") << hostKey;
        }
        QString log;
        if (!m_demo.run(QStringLiteral("via-profile"), args, &log)) {
            qWarning("via-profile: %s", qPrintable(log));
            return {};
        }
        return out;
    }

    void grab(MainWindow &w, const QString &name)
    {
        QTest::qWait(0); // let a pending repaint (queued) run before grabbing
        const QString png = m_out + QLatin1Char('/') + name;
        QVERIFY2(w.grab().toImage().save(png), qPrintable(png));
        qInfo("screenshot: %s", qPrintable(png));
    }

    PeersHarness m_demo;
    SshPeer m_peer;
    QTemporaryDir m_tmp;
    QString m_out;
};

QTEST_MAIN(tst_ViaSshWindow)
#include "tst_ViaSshWindow.moc"

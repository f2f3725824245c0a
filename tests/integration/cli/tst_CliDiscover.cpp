#include "PeersHarness.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QSet>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

// hopscope-cli profile discover against the running demo cluster (real HAProxy runtime API and
// stats page, the Envoy emulator's three sidecars, BIND): the profile it writes passes
// `profile check`, names the demo's services, load balancer, proxies, mesh edge and merged
// services, and `snapshot` on it shows the same tasks as the demo's hand-written profile.
class tst_CliDiscover : public QObject
{
    Q_OBJECT

    struct Run
    {
        int exitCode = -1;
        QString out;
        QString err;
    };

    static Run cli(const QStringList &args, int timeoutMs = 60000)
    {
        QProcess p;
        p.start(qEnvironmentVariable("HOPSCOPE_CLI"), args);
        Run r;
        if (!p.waitForFinished(timeoutMs)) {
            p.kill();
            p.waitForFinished(5000);
            r.err = QStringLiteral("did not finish: ") + p.errorString();
            return r;
        }
        r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        r.out = QString::fromUtf8(p.readAllStandardOutput());
        r.err = QString::fromUtf8(p.readAllStandardError());
        return r;
    }

    // Every endpoint of the demo, as a user would copy them from its summary.
    QStringList demoEndpoints() const
    {
        const QJsonObject st = m_peers.state();
        const QJsonObject h = st[QStringLiteral("haproxy")].toObject();
        QStringList args { QStringLiteral("--haproxy"), h[QStringLiteral("runtime")].toString(),
            QStringLiteral("--haproxy-stats"), h[QStringLiteral("stats_url")].toString() };
        const QJsonObject envoy = st[QStringLiteral("envoy")].toObject();
        for (auto it = envoy.begin(); it != envoy.end(); ++it) {
            args << QStringLiteral("--envoy")
                 << it->toObject()[QStringLiteral("admin_url")].toString();
        }
        // No types given: discovery detects SRV for servicea/servicec, A for the rest.
        const QJsonObject services = st[QStringLiteral("services")].toObject();
        for (auto it = services.begin(); it != services.end(); ++it) {
            args << QStringLiteral("--dns")
                 << it->toObject()[QStringLiteral("dns")]
                        .toObject()[QStringLiteral("name")]
                        .toString();
        }
        const QJsonObject dns = st[QStringLiteral("dns")].toObject();
        args << QStringLiteral("--dns-server")
             << dns[QStringLiteral("addr")].toString() + u':'
                + QString::number(dns[QStringLiteral("port")].toInt());
        return args;
    }

    // service id → its tasks' address:port, as `snapshot --json` shows them.
    static QMap<QString, QStringList> snapshotTasks(const QString &profile, QString *error)
    {
        const Run r = cli({ QStringLiteral("snapshot"), profile, QStringLiteral("--json") });
        QMap<QString, QStringList> tasks;
        const QJsonObject doc = QJsonDocument::fromJson(r.out.toUtf8()).object();
        if (doc.isEmpty()) {
            *error = r.err;
            return tasks;
        }
        for (const QJsonValue &s : doc[QStringLiteral("services")].toArray()) {
            QStringList keys;
            for (const QJsonValue &t : s[QStringLiteral("targets")].toArray()) {
                keys.append(t[QStringLiteral("address")].toString() + u':'
                    + QString::number(t[QStringLiteral("port")].toInt()));
            }
            keys.sort();
            tasks.insert(s[QStringLiteral("id")].toString(), keys);
        }
        return tasks;
    }

    static QJsonObject byKey(const QJsonArray &array, const QString &key, const QString &value)
    {
        for (const QJsonValue &v : array) {
            if (v[key].toString() == value) {
                return v.toObject();
            }
        }
        return {};
    }

    PeersHarness m_peers;
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_peers.isUp(), "the peers_demo fixture is not running");
        QVERIFY(m_dir.isValid());
    }

    void discoversTheDemo()
    {
        const QString out = m_dir.filePath(QStringLiteral("discovered.hopscope.json"));
        const Run r = cli(QStringList { QStringLiteral("profile"), QStringLiteral("discover") }
            + demoEndpoints()
            + QStringList { QStringLiteral("--name"), QStringLiteral("demo, discovered"),
                QStringLiteral("--timeout"), QStringLiteral("20"), QStringLiteral("-o"), out });
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
        // Every endpoint given answered: the runtime API, the stats page, each sidecar, each name.
        const qsizetype endpoints = 2 + m_peers.state()[QStringLiteral("envoy")].toObject().size()
            + m_peers.state()[QStringLiteral("services")].toObject().size();
        QVERIFY2(r.out.startsWith(QStringLiteral("%1 of %1 endpoints answered").arg(endpoints)),
            qPrintable(r.out));
        // What could not be inferred is said, for the user to add.
        QVERIFY2(r.out.contains(QStringLiteral("path rules of haproxy-1")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("callers of the load-balanced services")),
            qPrintable(r.out));

        const Run check = cli({ QStringLiteral("profile"), QStringLiteral("check"), out });
        QVERIFY2(check.exitCode == 0, qPrintable(check.out + check.err));

        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject p = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(p[QStringLiteral("name")].toString(), QStringLiteral("demo, discovered"));
        const QJsonArray services = p[QStringLiteral("services")].toArray();
        QSet<QString> ids;
        for (const QJsonValue &s : services) {
            ids.insert(s[QStringLiteral("id")].toString());
        }
        const QStringList demoIds = m_peers.state()[QStringLiteral("services")].toObject().keys();
        QCOMPARE(ids, QSet<QString>(demoIds.cbegin(), demoIds.cend()));

        // The merged services: DNS name + HAProxy backend (+ sidecars) over the same tasks.
        const QJsonObject user = byKey(services, QStringLiteral("id"), QStringLiteral("user"));
        QCOMPARE(
            user[QStringLiteral("dns")][QStringLiteral("type")].toString(), QStringLiteral("A"));
        QCOMPARE(user[QStringLiteral("dns")][QStringLiteral("port")].toInt(),
            m_peers
                .state()[QStringLiteral("services")][QStringLiteral("user")][QStringLiteral("dns")]
                        [QStringLiteral("port")]
                .toInt());
        const QString userNotes = QString::fromUtf8(
            QJsonDocument(user[QStringLiteral("discoveredFrom")].toArray()).toJson());
        QVERIFY2(userNotes.contains(QStringLiteral(
                     "merged: haproxy-1 backend be_user and dns name user.corp.internal")),
            qPrintable(userNotes));
        const QJsonObject order = byKey(services, QStringLiteral("id"), QStringLiteral("order"));
        QVERIFY(QJsonDocument(order[QStringLiteral("discoveredFrom")].toArray())
                    .toJson()
                    .contains("order-1-envoy"));
        QCOMPARE(byKey(services, QStringLiteral("id"),
                     QStringLiteral("servicea"))[QStringLiteral("dns")][QStringLiteral("type")]
                     .toString(),
            QStringLiteral("SRV"));

        // The load balancer: both endpoints of the one HAProxy, one route per backend.
        const QJsonArray lbs = p[QStringLiteral("loadBalancers")].toArray();
        QCOMPARE(lbs.size(), 1);
        const QJsonObject h = m_peers.state()[QStringLiteral("haproxy")].toObject();
        QCOMPARE(
            lbs[0][QStringLiteral("runtime")].toString(), h[QStringLiteral("runtime")].toString());
        QCOMPARE(lbs[0][QStringLiteral("statsUrl")].toString(),
            h[QStringLiteral("stats_url")].toString());
        QMap<QString, QString> routes;
        for (const QJsonValue &route : lbs[0][QStringLiteral("routes")].toArray()) {
            routes.insert(route[QStringLiteral("backend")].toString(),
                route[QStringLiteral("service")].toString());
        }
        const QMap<QString, QString> expectedRoutes { { QStringLiteral("be_user"),
                                                          QStringLiteral("user") },
            { QStringLiteral("be_order"), QStringLiteral("order") },
            { QStringLiteral("be_servicea"), QStringLiteral("servicea") },
            { QStringLiteral("be_serviceb"), QStringLiteral("serviceb") },
            { QStringLiteral("be_servicec"), QStringLiteral("servicec") } };
        QCOMPARE(routes, expectedRoutes);

        // The sidecars: each a proxy of its service on its task; order's upstream → a mesh edge.
        const QJsonObject envoy = m_peers.state()[QStringLiteral("envoy")].toObject();
        const QJsonArray proxies = p[QStringLiteral("proxies")].toArray();
        QCOMPARE(proxies.size(), envoy.size());
        for (auto it = envoy.begin(); it != envoy.end(); ++it) {
            const QJsonObject px = byKey(proxies, QStringLiteral("id"), it.key());
            QCOMPARE(px[QStringLiteral("service")].toString(),
                it->toObject()[QStringLiteral("service")].toString());
            QCOMPARE(px[QStringLiteral("task")].toString(),
                it->toObject()[QStringLiteral("task")].toString());
            QCOMPARE(px[QStringLiteral("admin")].toString(),
                it->toObject()[QStringLiteral("admin_url")].toString());
        }
        const QJsonArray edges = p[QStringLiteral("edges")].toArray();
        QCOMPARE(edges.size(), 1);
        QCOMPARE(edges[0][QStringLiteral("from")].toString(), QStringLiteral("order"));
        QCOMPARE(edges[0][QStringLiteral("to")].toString(), QStringLiteral("payments"));
        QCOMPARE(edges[0][QStringLiteral("via")].toString(), QStringLiteral("mesh"));

        // Live, the discovered profile shows the tasks the hand-written one shows. Other tests
        // drain and restore demo tasks meanwhile: compare two snapshots taken back to back, a
        // few times at most, until they agree.
        QMap<QString, QStringList> demo;
        QMap<QString, QStringList> discovered;
        QString error;
        for (int attempt = 0; attempt < 3; ++attempt) {
            demo = snapshotTasks(m_peers.profilePath(), &error);
            discovered = snapshotTasks(out, &error);
            if (!demo.isEmpty() && demo == discovered) {
                break;
            }
        }
        QVERIFY2(!demo.isEmpty(), qPrintable(error));
        QCOMPARE(discovered, demo);
        QCOMPARE(discovered.value(QStringLiteral("serviceb")).size(),
            m_peers.tasks(QStringLiteral("serviceb")).size());
    }

    void noEndpointAnsweringExitsOne()
    {
        // Ports that were just free on loopback: nothing listens there.
        QTcpServer a;
        QTcpServer b;
        QVERIFY(a.listen(QHostAddress::LocalHost));
        QVERIFY(b.listen(QHostAddress::LocalHost));
        const QString runtime = QStringLiteral("tcp:127.0.0.1:%1").arg(a.serverPort());
        const QString admin = QStringLiteral("http://127.0.0.1:%1").arg(b.serverPort());
        a.close();
        b.close();
        const QString out = m_dir.filePath(QStringLiteral("none.hopscope.json"));
        const Run r = cli({ QStringLiteral("profile"), QStringLiteral("discover"),
            QStringLiteral("--haproxy"), runtime, QStringLiteral("--envoy"), admin,
            QStringLiteral("--timeout"), QStringLiteral("5"), QStringLiteral("-o"), out });
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.out.startsWith(QStringLiteral("0 of 2 endpoints answered")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("did not answer:\n  haproxy ") + runtime),
            qPrintable(r.out));
        QVERIFY2(r.err.contains(QStringLiteral("no endpoint answered; nothing written")),
            qPrintable(r.err));
        QVERIFY(!QFile::exists(out));
    }

    void aSilentPeerIsBoundedByTheTimeout()
    {
        // Accepts connections (the kernel completes them) and never answers.
        QTcpServer silent;
        QVERIFY(silent.listen(QHostAddress::LocalHost));
        const QString runtime = QStringLiteral("tcp:127.0.0.1:%1").arg(silent.serverPort());
        const QString admin = QStringLiteral("http://127.0.0.1:%1").arg(silent.serverPort());
        const QString out = m_dir.filePath(QStringLiteral("silent.hopscope.json"));
        QElapsedTimer clock;
        clock.start();
        const Run r = cli({ QStringLiteral("profile"), QStringLiteral("discover"),
            QStringLiteral("--haproxy"), runtime, QStringLiteral("--envoy"), admin,
            QStringLiteral("--timeout"), QStringLiteral("2"), QStringLiteral("-o"), out });
        const qint64 elapsed = clock.elapsed();
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.out.startsWith(QStringLiteral("0 of 2 endpoints answered")), qPrintable(r.out));
        // The whole run ends at --timeout, with time to start and exit the process.
        QVERIFY2(elapsed >= 1500 && elapsed < 2000 + 3000, qPrintable(QString::number(elapsed)));
        QVERIFY(!QFile::exists(out));
    }

    void refusesToReplaceAFileWithoutForce()
    {
        const QString out = m_dir.filePath(QStringLiteral("existing.hopscope.json"));
        QFile f(out);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("keep me\n");
        f.close();
        const QJsonObject h = m_peers.state()[QStringLiteral("haproxy")].toObject();
        const QStringList args { QStringLiteral("profile"), QStringLiteral("discover"),
            QStringLiteral("--haproxy"), h[QStringLiteral("runtime")].toString(),
            QStringLiteral("-o"), out };
        const Run refused = cli(args);
        QCOMPARE(refused.exitCode, 1);
        QVERIFY2(refused.err.contains(QStringLiteral("exists; not replaced (--force replaces it)")),
            qPrintable(refused.err));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), QByteArray("keep me\n"));
        f.close();
        const Run forced = cli(args + QStringList { QStringLiteral("--force") });
        QVERIFY2(forced.exitCode == 0, qPrintable(forced.out + forced.err));
        QCOMPARE(cli({ QStringLiteral("profile"), QStringLiteral("check"), out }).exitCode, 0);
        // Usage errors are 2, before anything is asked.
        QCOMPARE(cli({ QStringLiteral("profile"), QStringLiteral("discover"), QStringLiteral("-o"),
                         out })
                     .exitCode,
            2);
        QCOMPARE(
            cli({ QStringLiteral("profile"), QStringLiteral("discover"), QStringLiteral("--dns"),
                    QStringLiteral("user.corp.internal"), QStringLiteral("-o"), out })
                .exitCode,
            2);
    }
};

QTEST_GUILESS_MAIN(tst_CliDiscover)
#include "tst_CliDiscover.moc"

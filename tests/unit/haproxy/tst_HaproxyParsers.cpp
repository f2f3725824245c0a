// Data-driven tests of the pure HAProxy parsers on real output captured from HAProxy 2.6
// (tests/data/haproxy/capture_fixtures.py), the docs/PROTOCOLS.md examples, and hostile input.

#include "haproxy/HaproxyJson.h"
#include "haproxy/HaproxyParsers.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QTest>

using namespace hopscope;

namespace {
QByteArray fixture(const QString &name)
{
    QFile f(qEnvironmentVariable("HOPSCOPE_TEST_DATA") + QStringLiteral("/haproxy/") + name);
    if (!f.open(QIODevice::ReadOnly)) {
        qFatal("missing fixture %s", qPrintable(f.fileName()));
    }
    return f.readAll();
}

const HaproxyStatServer *findServer(
    const HaproxyStatSnapshot &snap, const QString &backend, const QString &server)
{
    const HaproxyStatProxy *p = snap.proxy(backend, HaproxyStatProxy::Type::Backend);
    if (!p) {
        return nullptr;
    }
    for (const HaproxyStatServer &s : p->servers) {
        if (s.name == server) {
            return &s;
        }
    }
    return nullptr;
}

enum class Kind { Stat, ServersState, Info };
} // namespace

Q_DECLARE_METATYPE(Kind)

class tst_HaproxyParsers : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void statServer_data();
    void statServer();
    void statProxies();
    void statLevelUserHidesAddresses();
    void repeatedValuesShareOneString();
    void serversState_data();
    void serversState();
    void info();
    void classify_data();
    void classify();
    void jsonContract();
    void hostile_data();
    void hostile();
};

void tst_HaproxyParsers::statServer_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("backend");
    QTest::addColumn<QString>("server");
    QTest::addColumn<QString>("status");
    QTest::addColumn<int>("state");
    QTest::addColumn<bool>("transitional");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("checkStatus");

    const auto S = [](HaproxyServerStatus s) { return int(s); };
    QTest::newRow("status-up") << "demo_all_up.stat.csv"
                               << "be_user"
                               << "user1"
                               << "UP" << S(HaproxyServerStatus::Up) << false
                               << "127.148.27.41:41665"
                               << "L7OK";
    QTest::newRow("status-drain") << "demo_drain_maint_nolb.stat.csv"
                                  << "be_user"
                                  << "user1"
                                  << "DRAIN" << S(HaproxyServerStatus::Drain) << false
                                  << "127.148.27.41:41665"
                                  << "L7OK";
    QTest::newRow("status-maint-checks-paused")
        << "demo_drain_maint_nolb.stat.csv"
        << "be_user"
        << "user2"
        << "MAINT" << S(HaproxyServerStatus::Maint) << false << "127.148.27.42:41665"
        << "";
    QTest::newRow("status-nolb") << "demo_drain_maint_nolb.stat.csv"
                                 << "be_order"
                                 << "order1"
                                 << "NOLB" << S(HaproxyServerStatus::NoLb) << false
                                 << "127.148.27.51:44835"
                                 << "L7OK";
    QTest::newRow("status-up-transitional")
        << "demo_up_transitional.stat.csv"
        << "be_user"
        << "user1"
        << "UP 1/2" << S(HaproxyServerStatus::Up) << true << "127.148.27.41:41665"
        << "L7STS";
    QTest::newRow("status-down") << "demo_down.stat.csv"
                                 << "be_user"
                                 << "user1"
                                 << "DOWN" << S(HaproxyServerStatus::Down) << false
                                 << "127.148.27.41:41665"
                                 << "L7STS";
    QTest::newRow("status-down-transitional")
        << "demo_down_transitional.stat.csv"
        << "be_user"
        << "user1"
        << "DOWN 1/2" << S(HaproxyServerStatus::Down) << true << "127.148.27.41:41665"
        << "L7OK";
    QTest::newRow("status-maint-resolution-unfilled-slot")
        << "demo_all_up.stat.csv"
        << "be_servicea"
        << "a3"
        << "MAINT (resolution)" << S(HaproxyServerStatus::Maint) << false << ""
        << "";
    QTest::newRow("srv-discovered-slot-keyed-by-address")
        << "demo_all_up.stat.csv"
        << "be_servicea"
        << "a1"
        << "UP" << S(HaproxyServerStatus::Up) << false << "127.148.27.5:58927"
        << "L7OK";
    QTest::newRow("status-maint-via-tracked")
        << "private_maint_via.stat.csv"
        << "be_tracking"
        << "t1"
        << "MAINT (via be_main/main1)" << S(HaproxyServerStatus::Maint) << false
        << "127.0.0.1:49345"
        << "";
    QTest::newRow("status-no-check")
        << "private_maint_via.stat.csv"
        << "be_main"
        << "nochk"
        << "no check" << S(HaproxyServerStatus::NoCheck) << false << "127.0.0.1:60057"
        << "";
    QTest::newRow("ipv6-address-bracketed")
        << "private_maint_via.stat.csv"
        << "be_main"
        << "main6"
        << "UP" << S(HaproxyServerStatus::Up) << false << "[::1]:59291"
        << "INI";
    QTest::newRow("config-disabled-maint")
        << "private_maint_via.stat.csv"
        << "be_main"
        << "off"
        << "MAINT" << S(HaproxyServerStatus::Maint) << false << "127.0.0.1:60057"
        << "";
    QTest::newRow("protocols-example-drain")
        << "protocols_show_stat.csv"
        << "be_orders"
        << "orders2"
        << "DRAIN" << S(HaproxyServerStatus::Drain) << false << "10.0.1.12:8080"
        << "L7OK";
    QTest::newRow("protocols-example-down-l7sts")
        << "protocols_show_stat.csv"
        << "be_payments"
        << "pay2"
        << "DOWN" << S(HaproxyServerStatus::Down) << false << "10.0.2.22:9090"
        << "L7STS";
}

void tst_HaproxyParsers::statServer()
{
    QFETCH(QString, file);
    QFETCH(QString, backend);
    QFETCH(QString, server);
    const auto snap = HaproxyStatParser::parse(fixture(file));
    QVERIFY2(snap, qPrintable(snap.errorText()));
    const HaproxyStatServer *s = findServer(*snap, backend, server);
    QVERIFY2(s, qPrintable(backend + u'/' + server + QStringLiteral(" not found")));
    QTEST(s->status, "status");
    QTEST(int(s->state), "state");
    QTEST(s->transitional, "transitional");
    QTEST(s->key(), "key");
    QTEST(s->checkStatus, "checkStatus");
}

// Values that repeat across rows (a state, a check result, a slot name, a backend) are one
// shared string per parse, not one allocation per row (10,000 servers held for a poll): equal
// values point at the same characters, and distinct values stay distinct.
void tst_HaproxyParsers::repeatedValuesShareOneString()
{
    const auto stat = HaproxyStatParser::parse(fixture(QStringLiteral("demo_all_up.stat.csv")));
    QVERIFY2(stat, qPrintable(stat.errorText()));
    QList<const HaproxyStatServer *> servers;
    for (const HaproxyStatProxy &p : stat->proxies) {
        for (const HaproxyStatServer &s : p.servers) {
            servers.append(&s);
        }
    }
    QVERIFY(servers.size() >= 4);
    int pairs = 0;
    for (qsizetype i = 0; i < servers.size(); ++i) {
        for (qsizetype j = i + 1; j < servers.size(); ++j) {
            const HaproxyStatServer &a = *servers[i], &b = *servers[j];
            for (const auto &[x, y] : { std::pair { &a.status, &b.status },
                     std::pair { &a.checkStatus, &b.checkStatus },
                     std::pair { &a.checkDesc, &b.checkDesc } }) {
                if (!x->isEmpty() && *x == *y) {
                    QVERIFY2(x->constData() == y->constData(), qPrintable(*x));
                    ++pairs;
                }
            }
        }
    }
    QVERIFY(pairs > 0); // the capture has servers in the same state
    const auto state = HaproxyServersStateParser::parse(
        fixture(QStringLiteral("demo_all_up.servers_state.txt")));
    QVERIFY2(state, qPrintable(state.errorText()));
    QHash<QString, const QChar *> backendData;
    QSet<QString> distinct;
    for (const HaproxyServerState &s : state->servers) {
        const auto it = backendData.constFind(s.backend);
        if (it != backendData.cend()) {
            QCOMPARE(s.backend.constData(), *it);
        }
        backendData.insert(s.backend, s.backend.constData());
        distinct.insert(s.backend + u'/' + s.name);
    }
    QVERIFY(backendData.size() < state->servers.size()); // some backend has two servers
    QCOMPARE(distinct.size(), state->servers.size());
}

void tst_HaproxyParsers::statProxies()
{
    const auto snap = HaproxyStatParser::parse(fixture(QStringLiteral("protocols_show_stat.csv")));
    QVERIFY2(snap, qPrintable(snap.errorText()));
    QCOMPARE(snap->proxies.size(), 3);
    QCOMPARE(snap->columnCount, 126); // 101 fixed + "-" + 24 module columns, mapped by name
    const HaproxyStatProxy *pay
        = snap->proxy(QStringLiteral("be_payments"), HaproxyStatProxy::Type::Backend);
    QVERIFY(pay);
    QCOMPARE(pay->status, QStringLiteral("DOWN"));
    QCOMPARE(pay->servers.size(), 2);
    const HaproxyStatProxy *fe
        = snap->proxy(QStringLiteral("fe_http"), HaproxyStatProxy::Type::Frontend);
    QVERIFY(fe);
    QCOMPARE(fe->scur, std::optional<qint64>(42));

    // A live demo capture: every backend of the harness config, servers in config order.
    const auto demo = HaproxyStatParser::parse(fixture(QStringLiteral("demo_all_up.stat.csv")));
    QVERIFY2(demo, qPrintable(demo.errorText()));
    QStringList backends;
    for (const HaproxyStatProxy &p : demo->proxies) {
        if (p.type == HaproxyStatProxy::Type::Backend) {
            backends << p.name;
        }
    }
    QCOMPARE(backends,
        QStringList(
            { QStringLiteral("be_user"), QStringLiteral("be_order"), QStringLiteral("be_servicea"),
                QStringLiteral("be_serviceb"), QStringLiteral("be_servicec") }));
}

void tst_HaproxyParsers::statLevelUserHidesAddresses()
{
    const auto snap
        = HaproxyStatParser::parse(fixture(QStringLiteral("private_level_user.stat.csv")));
    QVERIFY2(snap, qPrintable(snap.errorText()));
    QVERIFY(!snap->addressesVisible);
    const HaproxyStatServer *s
        = findServer(*snap, QStringLiteral("be_main"), QStringLiteral("main1"));
    QVERIFY(s);
    QVERIFY(!s->address.has_value());
    QVERIFY(s->key().isEmpty());
}

void tst_HaproxyParsers::serversState_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("backend");
    QTest::addColumn<QString>("server");
    QTest::addColumn<int>("opState");
    QTest::addColumn<QStringList>("admin");
    QTest::addColumn<QString>("key");

    QTest::newRow("running") << "demo_all_up.servers_state.txt"
                             << "be_user"
                             << "user1" << int(HaproxyOpState::Running) << QStringList()
                             << "127.148.27.41:41665";
    QTest::newRow("forced-drain") << "demo_drain_maint_nolb.servers_state.txt"
                                  << "be_user"
                                  << "user1" << int(HaproxyOpState::Running)
                                  << QStringList { QStringLiteral("FDRAIN") }
                                  << "127.148.27.41:41665";
    QTest::newRow("forced-maint") << "demo_drain_maint_nolb.servers_state.txt"
                                  << "be_user"
                                  << "user2" << int(HaproxyOpState::Stopped)
                                  << QStringList { QStringLiteral("FMAINT") }
                                  << "127.148.27.42:41665";
    QTest::newRow("nolb-stopping")
        << "demo_drain_maint_nolb.servers_state.txt"
        << "be_order"
        << "order1" << int(HaproxyOpState::Stopping) << QStringList() << "127.148.27.51:44835";
    QTest::newRow("stopped-check-failed")
        << "demo_down.servers_state.txt"
        << "be_user"
        << "user1" << int(HaproxyOpState::Stopped) << QStringList() << "127.148.27.41:41665";
    QTest::newRow("srv-slot-keyed-by-address-and-fqdn")
        << "demo_all_up.servers_state.txt"
        << "be_servicea"
        << "a1" << int(HaproxyOpState::Running) << QStringList { QStringLiteral("HMAINT") }
        << "127.148.27.5:58927/a-1.servicea.corp.internal";
    QTest::newRow("srv-unfilled-slot-resolution-maint")
        << "demo_all_up.servers_state.txt"
        << "be_servicea"
        << "a3" << int(HaproxyOpState::Stopped) << QStringList { QStringLiteral("RMAINT") } << "";
    QTest::newRow("a-record-slot-fqdn") << "demo_all_up.servers_state.txt"
                                        << "be_serviceb"
                                        << "b2" << int(HaproxyOpState::Running) << QStringList()
                                        << "127.148.27.11:49857/serviceb.corp.internal";
    QTest::newRow("config-disabled")
        << "private_maint_via.servers_state.txt"
        << "be_main"
        << "off" << int(HaproxyOpState::Stopped)
        << QStringList { QStringLiteral("FMAINT"), QStringLiteral("CMAINT") }
        << "127.0.0.1:60057"; // HAProxy 2.6 sets both for `disabled`
    QTest::newRow("inherited-maint")
        << "private_maint_via.servers_state.txt"
        << "be_tracking"
        << "t1" << int(HaproxyOpState::Stopped) << QStringList { QStringLiteral("IMAINT") }
        << "127.0.0.1:49345";
    QTest::newRow("protocols-example-srv-unfilled")
        << "protocols_srv_discovery_servers_state.txt"
        << "be_api"
        << "api3" << int(HaproxyOpState::Stopped) << QStringList { QStringLiteral("RMAINT") } << "";
    QTest::newRow("protocols-example-drain")
        << "protocols_servers_state.txt"
        << "be_orders"
        << "orders2" << int(HaproxyOpState::Running) << QStringList { QStringLiteral("FDRAIN") }
        << "10.0.1.12:8080";
}

void tst_HaproxyParsers::serversState()
{
    QFETCH(QString, file);
    QFETCH(QString, backend);
    QFETCH(QString, server);
    const auto snap = HaproxyServersStateParser::parse(fixture(file));
    QVERIFY2(snap, qPrintable(snap.errorText()));
    const HaproxyServerState *found = nullptr;
    for (const HaproxyServerState &s : snap->servers) {
        if (s.backend == backend && s.name == server) {
            found = &s;
        }
    }
    QVERIFY2(found, qPrintable(backend + u'/' + server + QStringLiteral(" not found")));
    QTEST(int(found->opState), "opState");
    QTEST(found->adminStateNames(), "admin");
    QTEST(found->key(), "key");
}

void tst_HaproxyParsers::info()
{
    const auto info = HaproxyInfoParser::parse(fixture(QStringLiteral("demo.info.txt")));
    QVERIFY2(info, qPrintable(info.errorText()));
    QCOMPARE(info->name, QStringLiteral("HAProxy"));
    QVERIFY2(info->version.startsWith(QStringLiteral("2.6.")), qPrintable(info->version));
    QVERIFY(info->pid.has_value() && *info->pid > 0);
    QVERIFY(info->uptimeSeconds.has_value());
    QVERIFY(!info->stopping);
}

void tst_HaproxyParsers::classify_data()
{
    QTest::addColumn<QString>("status");
    QTest::addColumn<int>("state");
    QTest::addColumn<bool>("transitional");
    QTest::addColumn<QString>("trackedBy");
    const auto S = [](HaproxyServerStatus s) { return int(s); };
    QTest::newRow("up-3-of-3-transitional") << "UP 1/3" << S(HaproxyServerStatus::Up) << true << "";
    QTest::newRow("down-agent") << "DOWN (agent)" << S(HaproxyServerStatus::Down) << false << "";
    QTest::newRow("nolb-transitional") << "NOLB 2/3" << S(HaproxyServerStatus::NoLb) << true << "";
    QTest::newRow("drain-agent") << "DRAIN (agent)" << S(HaproxyServerStatus::Drain) << false << "";
    QTest::newRow("maint-via") << "MAINT (via b/s)" << S(HaproxyServerStatus::Maint) << false
                               << "b/s";
    QTest::newRow("no-check") << "no check" << S(HaproxyServerStatus::NoCheck) << false << "";
    QTest::newRow("unknown-word") << "SLEEPY" << S(HaproxyServerStatus::Unknown) << false << "";
    QTest::newRow("empty") << "" << S(HaproxyServerStatus::Unknown) << false << "";
}

void tst_HaproxyParsers::classify()
{
    QFETCH(QString, status);
    bool transitional = false;
    QString trackedBy;
    QTEST(int(classifyHaproxyStatus(status, &transitional, &trackedBy)), "state");
    QTEST(transitional, "transitional");
    QTEST(trackedBy, "trackedBy");
}

void tst_HaproxyParsers::jsonContract()
{
    const auto snap
        = HaproxyStatParser::parse(fixture(QStringLiteral("demo_drain_maint_nolb.stat.csv")));
    QVERIFY2(snap, qPrintable(snap.errorText()));
    const QJsonObject json = HaproxyJson::stat(*snap);
    QJsonObject user1;
    for (const QJsonValue p : json.value(QStringLiteral("proxies")).toArray()) {
        const QJsonObject po = p.toObject();
        QVERIFY(po.contains(QStringLiteral("type")));
        if (po.value(QStringLiteral("name")) == QStringLiteral("be_user")) {
            QCOMPARE(po.value(QStringLiteral("type")).toString(), QStringLiteral("backend"));
            user1 = po.value(QStringLiteral("servers")).toArray().at(0).toObject();
        }
    }
    QCOMPARE(user1.value(QStringLiteral("name")).toString(), QStringLiteral("user1"));
    QCOMPARE(user1.value(QStringLiteral("address")).toString(), QStringLiteral("127.148.27.41"));
    QCOMPARE(user1.value(QStringLiteral("port")).toInt(), 41665);
    QCOMPARE(user1.value(QStringLiteral("status")).toString(), QStringLiteral("DRAIN"));
    QCOMPARE(user1.value(QStringLiteral("weight")).toInt(), 1);
    QCOMPARE(user1.value(QStringLiteral("scur")).toInt(-1), 0);
    QCOMPARE(user1.value(QStringLiteral("checkStatus")).toString(), QStringLiteral("L7OK"));

    const auto ss = HaproxyServersStateParser::parse(
        fixture(QStringLiteral("demo_all_up.servers_state.txt")));
    QVERIFY2(ss, qPrintable(ss.errorText()));
    const QJsonObject a3 = HaproxyJson::serversState(*ss)
                               .value(QStringLiteral("servers"))
                               .toArray()
                               .at(5)
                               .toObject();
    QCOMPARE(a3.value(QStringLiteral("name")).toString(), QStringLiteral("a3"));
    QVERIFY(a3.value(QStringLiteral("address")).isNull());
    QVERIFY(a3.value(QStringLiteral("port")).isNull());
    QVERIFY(a3.value(QStringLiteral("fqdn")).isNull());
    QCOMPARE(a3.value(QStringLiteral("opState")).toString(), QStringLiteral("STOPPED"));
    QCOMPARE(a3.value(QStringLiteral("adminState")).toArray().at(0).toString(),
        QStringLiteral("RMAINT"));
}

void tst_HaproxyParsers::hostile_data()
{
    QTest::addColumn<Kind>("kind");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QString>("reason"); // a piece of the expected one-line reason

    const QByteArray stat = fixture(QStringLiteral("demo_all_up.stat.csv"));
    const QByteArray state = fixture(QStringLiteral("demo_all_up.servers_state.txt"));
    const QByteArray info = fixture(QStringLiteral("demo.info.txt"));
    const QByteArray header = stat.left(stat.indexOf('\n') + 1);
    const qsizetype user1At = stat.indexOf("\nbe_user,user1,") + 1; // a server row
    const QByteArray row1 = stat.mid(user1At, stat.indexOf('\n', user1At) + 1 - user1At);
    QByteArray garbage(4096, '\0');
    for (int i = 0; i < garbage.size(); ++i) {
        garbage[i] = char((i * 7919 + 13) & 0xff);
    }
    QByteArray nestedJson(10000, '[');
    nestedJson += QByteArray(10000, ']');
    const QByteArray hugeLine(100 * 1024 * 1024, 'x');
    const auto replaceField = [&](const QByteArray &column, const QByteArray &value) -> QByteArray {
        // Replace `column` in the first server row of `stat` (user1).
        const QList<QByteArray> names = header.mid(2).trimmed().split(',');
        QList<QByteArray> fields = row1.trimmed().split(',');
        fields[names.indexOf(column)] = value;
        return header + fields.join(',') + "\n\n";
    };
    const QByteArray stateHeader = state.left(state.indexOf('\n', 2) + 1);
    const QByteArray stateRow = state.mid(
        stateHeader.size(), state.indexOf('\n', stateHeader.size()) + 1 - stateHeader.size());
    const auto replaceStateField = [&](int index, const QByteArray &value) -> QByteArray {
        QList<QByteArray> fields = stateRow.trimmed().split(' ');
        fields[index] = value;
        return stateHeader + fields.join(' ') + "\n\n";
    };

    // show stat
    QTest::newRow("stat-empty") << Kind::Stat << QByteArray() << "empty input";
    QTest::newRow("stat-binary-garbage") << Kind::Stat << garbage << "first line";
    QTest::newRow("stat-nul-bytes-after-header")
        << Kind::Stat << header + QByteArray(64, '\0') << "control characters";
    QTest::newRow("stat-single-100mb-line") << Kind::Stat << hugeLine << "header line longer";
    QTest::newRow("stat-100mb-row") << Kind::Stat << header + hugeLine + '\n' << "longer than";
    QTest::newRow("stat-missing-header") << Kind::Stat << stat.mid(header.size()) << "first line";
    QTest::newRow("stat-header-without-status")
        << Kind::Stat << QByteArray("# pxname,svname,scur,\nfe,FRONTEND,1,\n\n") << "'status'";
    QTest::newRow("stat-header-not-names")
        << Kind::Stat << QByteArray("# pxname,sv name,status,\n") << "not a column name";
    QTest::newRow("stat-row-fewer-columns") << Kind::Stat << header + "be_user,user1,0,0,\n\n"
                                            << "has 4 fields";
    QTest::newRow("stat-row-more-columns") << Kind::Stat << header + row1.trimmed() + "1,2,3,\n"
                                           << "fields but the header";
    QTest::newRow("stat-truncated-mid-host")
        << Kind::Stat << stat.left(header.size() + 60) << "truncated";
    QTest::newRow("stat-negative-scur") << Kind::Stat << replaceField("scur", "-5") << "negative";
    QTest::newRow("stat-overflowing-stot")
        << Kind::Stat << replaceField("stot", "99999999999999999999999") << "overflows";
    QTest::newRow("stat-weight-not-number")
        << Kind::Stat << replaceField("weight", "heavy") << "not a number";
    QTest::newRow("stat-bad-addr")
        << Kind::Stat << replaceField("addr", "10.0.0.1:99999") << "addr";
    QTest::newRow("stat-unknown-type")
        << Kind::Stat << replaceField("type", "9") << "unknown row type";
    QTest::newRow("stat-unterminated-quote")
        << Kind::Stat << replaceField("last_chk", "\"oops") << "unterminated";
    QTest::newRow("stat-json-nested-10000") << Kind::Stat << nestedJson << "first line";
    QTest::newRow("stat-two-dumps-concatenated") << Kind::Stat << stat + stat << "second header";
    QTest::newRow("stat-permission-denied-reply")
        << Kind::Stat << QByteArray("Permission denied\n\n") << "first line";
    QTest::newRow("stat-too-many-columns")
        << Kind::Stat << "# " + QByteArray("c,").repeated(5000) + '\n'
        << "more than";
    // show servers state
    QTest::newRow("state-empty") << Kind::ServersState << QByteArray() << "empty input";
    QTest::newRow("state-binary-garbage") << Kind::ServersState << garbage << "version";
    QTest::newRow("state-version-2") << Kind::ServersState << "2\n" + state.mid(2) << "version 2";
    QTest::newRow("state-missing-header")
        << Kind::ServersState << "1\n" + stateRow << "column header";
    QTest::newRow("state-row-fewer-columns")
        << Kind::ServersState << stateHeader + "4 be_user 1 user1\n"
        << "has 4";
    QTest::newRow("state-negative-admin")
        << Kind::ServersState << replaceStateField(6, "-1") << "negative";
    QTest::newRow("state-overflowing-weight")
        << Kind::ServersState << replaceStateField(7, "184467440737095516160") << "overflows";
    QTest::newRow("state-port-out-of-range")
        << Kind::ServersState << replaceStateField(18, "70000") << "out of range";
    QTest::newRow("state-truncated-mid-host")
        << Kind::ServersState << stateHeader + stateRow.left(30) << "truncated";
    QTest::newRow("state-single-100mb-line") << Kind::ServersState << hugeLine << "version";
    QTest::newRow("state-json-nested-10000") << Kind::ServersState << nestedJson << "version";
    QTest::newRow("state-stat-csv-given") << Kind::ServersState << stat << "version";
    // show info
    QTest::newRow("info-empty") << Kind::Info << QByteArray() << "empty input";
    QTest::newRow("info-binary-garbage") << Kind::Info << garbage << "control characters";
    QTest::newRow("info-no-version")
        << Kind::Info << QByteArray("Name: HAProxy\nPid: 1\n") << "Version";
    QTest::newRow("info-not-key-value")
        << Kind::Info << QByteArray("hello world\n") << "not 'Name: value'";
    QTest::newRow("info-overflowing-pid")
        << Kind::Info << QByteArray("Version: 2.6\nPid: 99999999999999999999\n") << "overflows";
    QTest::newRow("info-truncated") << Kind::Info << info.left(info.size() / 2 + 3) << "";
    QTest::newRow("info-single-100mb-line") << Kind::Info << hugeLine << "too long";
    QTest::newRow("info-json-nested-10000") << Kind::Info << nestedJson << "Name: value";
}

void tst_HaproxyParsers::hostile()
{
    QFETCH(Kind, kind);
    QFETCH(QByteArray, input);
    QFETCH(QString, reason);
    ParseError why;
    bool parsed = false;
    const auto take = [&](const auto &result) {
        parsed = result.ok();
        if (!parsed) {
            why = result.error();
        }
    };
    switch (kind) {
    case Kind::Stat:
        take(HaproxyStatParser::parse(input));
        break;
    case Kind::ServersState:
        take(HaproxyServersStateParser::parse(input));
        break;
    case Kind::Info:
        take(HaproxyInfoParser::parse(input));
        break;
    }
    QVERIFY2(!parsed, "hostile input was accepted");
    QVERIFY(!why.what.isEmpty()); // the what is never empty; the where may be (the whole input)
    const QString error = why.toString();
    QVERIFY(!error.isEmpty());
    QVERIFY2(!error.contains(u'\n'), qPrintable(error));
    QVERIFY2(error.size() < 300, qPrintable(error));
    QVERIFY2(error.contains(reason), qPrintable(error));
}

QTEST_GUILESS_MAIN(tst_HaproxyParsers)
#include "tst_HaproxyParsers.moc"

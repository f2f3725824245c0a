#include "EnvoyTestData.h"

#include "envoy/EnvoyClustersParser.h"
#include "envoy/EnvoyServerInfoParser.h"
#include "envoy/EnvoyStatsParser.h"

#include <QRandomGenerator>
#include <QtTest>

using namespace hopscope;

// Malformed and hostile inputs for every Envoy parser: each must give a clear one-line error
// (checked by substring) and must not crash, hang or accept the input.
class tst_EnvoyHostileInputs : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void rejected_data();
    void rejected();
};

namespace {
QByteArray padded(QByteArray b)
{
    b.reserve(b.size() + 64);
    return b;
}

QByteArray nested(int depth, char open, char close, const QByteArray &inner = {})
{
    QByteArray out;
    out.reserve(depth * 6 + inner.size());
    for (int i = 0; i < depth; ++i) {
        out += open == '{' ? QByteArray("{\"a\":") : QByteArray(1, open);
    }
    out += inner.isEmpty() ? QByteArray("1") : inner;
    out += QByteArray(depth, close);
    return out;
}

QByteArray garbage(int size, bool withNul)
{
    QByteArray out(size, '\0');
    QRandomGenerator rng(42);
    for (char &c : out) {
        c = char(0x80 | rng.bounded(0x80)); // never '{', '[', ':' or newline
    }
    if (withNul) {
        out[size / 2] = '\0';
    }
    return out;
}

QByteArray hostJson(const QByteArray &statValue, const QByteArray &extra = {})
{
    return "{\"cluster_statuses\":[{\"name\":\"c\",\"host_statuses\":[{\"address\":{\"socket_"
           "address\":"
           "{\"address\":\"10.0.0.1\",\"port_value\":80}},\"stats\":[{\"name\":\"rq_total\","
           "\"value\":"
        + statValue + "}]" + extra + "}]}]}";
}
} // namespace

void tst_EnvoyHostileInputs::rejected_data()
{
    QTest::addColumn<QString>("parser"); // clusters | server_info | stats
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QString>("error");

    const QByteArray example = envoyTestData(QStringLiteral("envoy_clusters.json"));
    const QByteArray exampleText = envoyTestData(QStringLiteral("envoy_clusters.txt"));
    const QByteArray hundredMb(100 * 1024 * 1024, 'a');

    QTest::newRow("clusters-empty") << "clusters" << QByteArray() << "empty input";
    QTest::newRow("clusters-whitespace") << "clusters" << QByteArray(" \n\t\n") << "empty input";
    QTest::newRow("clusters-binary-with-nul") << "clusters" << garbage(4096, true) << "binary data";
    QTest::newRow("clusters-binary-high-bytes") << "clusters" << garbage(4096, false) + '\n'
                                                << "line 1";
    QTest::newRow("clusters-single-100mb-line") << "clusters" << hundredMb + '\n' << "line 1";
    QTest::newRow("clusters-100mb-no-newline") << "clusters" << hundredMb << "truncated";
    QTest::newRow("clusters-json-array-nested-10000")
        << "clusters" << nested(10000, '[', ']') << "invalid JSON";
    QTest::newRow("clusters-json-object-nested-10000")
        << "clusters" << nested(10000, '{', '}') << "invalid JSON";
    QTest::newRow("clusters-json-truncated-mid-host")
        << "clusters" << example.left(example.indexOf("10.0.1.12") + 4) << "invalid JSON";
    QTest::newRow("clusters-text-truncated-mid-host")
        << "clusters" << exampleText.left(exampleText.indexOf("10.0.1.12:8080::rq_to") + 20)
        << "truncated";
    QTest::newRow("clusters-json-negative-counter")
        << "clusters" << hostJson("-5") << "negative counter";
    QTest::newRow("clusters-json-overflowing-number")
        << "clusters" << hostJson("99999999999999999999999") << "invalid JSON";
    QTest::newRow("clusters-json-overflowing-string")
        << "clusters" << hostJson("\"99999999999999999999999\"") << "overflows 64 bits";
    QTest::newRow("clusters-json-counter-not-a-number")
        << "clusters" << hostJson("\"12abc\"") << "not an unsigned integer";
    QTest::newRow("clusters-json-counter-double")
        << "clusters" << hostJson("1.5") << "not an integer";
    QTest::newRow("clusters-json-counter-object")
        << "clusters" << hostJson("{}") << "neither a number nor a string";
    QTest::newRow("clusters-json-port-out-of-range")
        << "clusters"
        << QByteArray(hostJson("1")).replace("\"port_value\":80", "\"port_value\":70000")
        << "port_value";
    QTest::newRow("clusters-json-weight-over-32-bits")
        << "clusters" << hostJson("1", ",\"weight\":5000000000") << "32-bit";
    QTest::newRow("clusters-json-flag-not-bool")
        << "clusters" << hostJson("1", ",\"health_status\":{\"failed_outlier_check\":\"yes\"}")
        << "not a boolean";
    QTest::newRow("clusters-json-host-without-address")
        << "clusters"
        << QByteArray(
               "{\"cluster_statuses\":[{\"name\":\"c\",\"host_statuses\":[{\"weight\":1}]}]}")
        << "has no address";
    QTest::newRow("clusters-json-cluster-without-name")
        << "clusters" << QByteArray("{\"cluster_statuses\":[{\"host_statuses\":[]}]}")
        << "has no name";
    QTest::newRow("clusters-json-statuses-not-array")
        << "clusters" << QByteArray("{\"cluster_statuses\":\"x\"}") << "not an array";
    QTest::newRow("clusters-json-stats-not-array")
        << "clusters"
        << QByteArray(hostJson("1"))
               .replace("\"stats\":[{\"name\":\"rq_total\",\"value\":1}]", "\"stats\":7")
        << "stats is not an array";
    QTest::newRow("clusters-json-invalid-utf8")
        << "clusters" << QByteArray("{\"cluster_statuses\":[{\"name\":\"\xff\xfe\"}]}")
        << "invalid JSON";
    QTest::newRow("clusters-json-trailing-garbage") << "clusters" << example + "}}}"
                                                    << "invalid JSON";
    QTest::newRow("clusters-text-negative-counter")
        << "clusters" << QByteArray("c::10.0.0.1:80::rq_total::-5\n") << "negative counter";
    QTest::newRow("clusters-text-overflowing-counter")
        << "clusters" << QByteArray("c::10.0.0.1:80::rq_total::99999999999999999999999\n")
        << "overflows 64 bits";
    QTest::newRow("clusters-text-port-out-of-range")
        << "clusters" << QByteArray("c::10.0.0.1:99999::rq_total::1\n") << "not a port number";
    QTest::newRow("clusters-text-unclosed-ipv6")
        << "clusters" << QByteArray("c::[2001:db8::1::cx_active::1\n") << "bracketed IPv6";
    QTest::newRow("clusters-text-empty-host")
        << "clusters" << QByteArray("c::::cx_active::1\n") << "empty host";
    QTest::newRow("clusters-text-bad-health-flags")
        << "clusters" << QByteArray("c::10.0.0.1:80::health_flags::bogus\n") << "health_flags";
    QTest::newRow("clusters-text-success-rate-not-number")
        << "clusters" << QByteArray("c::10.0.0.1:80::success_rate::fast\n") << "not a number";
    QTest::newRow("clusters-text-host-without-port")
        << "clusters" << QByteArray("c::nohost::cx_active::1\n") << "has no port";
    QTest::newRow("clusters-text-no-separator")
        << "clusters" << QByteArray("hello world\n") << "line 1";

    QTest::newRow("server-info-empty") << "server_info" << QByteArray() << "invalid JSON";
    QTest::newRow("server-info-array") << "server_info" << QByteArray("[]") << "not a JSON object";
    QTest::newRow("server-info-no-state")
        << "server_info" << QByteArray("{\"version\":\"x\"}") << "no state";
    QTest::newRow("server-info-state-bool")
        << "server_info" << QByteArray("{\"state\":true}") << "neither";
    QTest::newRow("server-info-nested-10000")
        << "server_info" << nested(10000, '{', '}') << "invalid JSON";
    QTest::newRow("server-info-pre-1.9-text")
        << "server_info" << QByteArray("envoy 1.8.0 live 12 12 0\n") << "invalid JSON";
    QTest::newRow("server-info-binary") << "server_info" << garbage(2048, true) << "invalid JSON";

    QTest::newRow("stats-empty") << "stats" << QByteArray() << "empty input";
    QTest::newRow("stats-text-no-separator")
        << "stats" << QByteArray("cluster.a.upstream_rq_total 5\n") << "line 1";
    QTest::newRow("stats-text-negative")
        << "stats" << QByteArray("cluster.a.upstream_rq_total: -5\n") << "negative";
    QTest::newRow("stats-text-overflow")
        << "stats" << QByteArray("cluster.a.upstream_rq_total: 99999999999999999999999\n")
        << "overflows";
    QTest::newRow("stats-text-100mb-line") << "stats" << hundredMb + '\n' << "line 1";
    QTest::newRow("stats-text-truncated")
        << "stats" << QByteArray("server.live: 1\nserver.sta") << "truncated";
    QTest::newRow("stats-binary") << "stats" << garbage(1024, true) << "binary data";
    QTest::newRow("stats-json-negative")
        << "stats" << QByteArray("{\"stats\":[{\"name\":\"server.live\",\"value\":-1}]}")
        << "negative";
    QTest::newRow("stats-json-not-array")
        << "stats" << QByteArray("{\"stats\":5}") << "\"stats\" array";
    QTest::newRow("stats-json-entry-not-object")
        << "stats" << QByteArray("{\"stats\":[5]}") << "not an object";
    QTest::newRow("stats-json-nested-10000")
        << "stats" << nested(10000, '[', ']') << "invalid JSON";
}

void tst_EnvoyHostileInputs::rejected()
{
    QFETCH(QString, parser);
    QFETCH(QByteArray, input);
    QFETCH(QString, error);

    const QByteArray data = padded(input);
    QString got;
    bool ok = false;
    if (parser == u"clusters") {
        const auto r = EnvoyClustersParser::parse(data);
        ok = r.ok();
        got = r.errorText();
    } else if (parser == u"server_info") {
        const auto r = EnvoyServerInfoParser::parse(data);
        ok = r.ok();
        got = r.errorText();
    } else {
        const auto r = EnvoyStatsParser::parse(data);
        ok = r.ok();
        got = r.errorText();
    }
    QVERIFY2(!ok, "hostile input was accepted");
    QVERIFY2(got.contains(error), qPrintable(u"error was: " + got));
    QVERIFY2(!got.contains(u'\n'), "error must be one line");
    QVERIFY2(got.size() < 400, qPrintable(u"error too long: " + got.left(400)));
}

QTEST_GUILESS_MAIN(tst_EnvoyHostileInputs)
#include "tst_EnvoyHostileInputs.moc"

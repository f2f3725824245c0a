#include "CliChild.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using hopscope::test::CliChild;
using hopscope::test::CliResult;

// `hopscope-cli parse envoy-*` on real-format dumps: the JSON contract keys of issue 4 are there,
// and unparsable input exits 1 with a one-line reason.
class tst_EnvoyParseCli : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void contract_data();
    void contract();
    void rejects_data();
    void rejects();
    void bigDumpLinear_data();
    void bigDumpLinear();
    void pipeInPieces();
    void truncated_data();
    void truncated();

private:
    static QByteArray fixture(const QString &name);
    static QByteArray grow(const QString &file, qsizetype bytes, int *entries);
    static int entries(const QString &kind, const QByteArray &json);
    QTemporaryDir m_dir;
    static QProcess *run(const QString &kind, const QString &file, QObject *parent);
};

QProcess *tst_EnvoyParseCli::run(const QString &kind, const QString &file, QObject *parent)
{
    auto *p = new QProcess(parent);
    p->start(qEnvironmentVariable("HOPSCOPE_CLI"),
        { QStringLiteral("parse"), kind,
            qEnvironmentVariable("HOPSCOPE_TEST_DATA") + u"/envoy/" + file });
    p->waitForFinished(30000);
    return p;
}

void tst_EnvoyParseCli::contract_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("check"); // which contract to check
    QTest::newRow("clusters-json-outlier") << "envoy-clusters"
                                           << "envoy_clusters.json"
                                           << "outlier";
    QTest::newRow("clusters-text-outlier") << "envoy-clusters"
                                           << "envoy_clusters.txt"
                                           << "outlier";
    QTest::newRow("clusters-text-pipe-port-null") << "envoy-clusters"
                                                  << "mixed_clusters.txt"
                                                  << "pipe";
    QTest::newRow("clusters-json-pipe-port-null") << "envoy-clusters"
                                                  << "mixed_clusters.json"
                                                  << "pipe";
    QTest::newRow("clusters-istioctl") << "envoy-clusters"
                                       << "istioctl_endpoints.json"
                                       << "istioctl";
    QTest::newRow("server-info-live") << "envoy-server-info"
                                      << "envoy_server_info.json"
                                      << "server";
    QTest::newRow("server-info-emulator-draining") << "envoy-server-info"
                                                   << "emulator_server_info_draining.json"
                                                   << "draining";
    QTest::newRow("stats-text") << "envoy-stats"
                                << "emulator_stats.txt"
                                << "stats";
    QTest::newRow("stats-json") << "envoy-stats"
                                << "emulator_stats.json"
                                << "stats";
}

void tst_EnvoyParseCli::contract()
{
    QFETCH(QString, kind);
    QFETCH(QString, file);
    QFETCH(QString, check);
    QProcess *p = run(kind, file, this);
    QCOMPARE(p->exitStatus(), QProcess::NormalExit);
    const QByteArray err = p->readAllStandardError();
    QVERIFY2(p->exitCode() == 0, err.constData());
    QJsonParseError jsonError;
    const QJsonObject out
        = QJsonDocument::fromJson(p->readAllStandardOutput(), &jsonError).object();
    QVERIFY2(jsonError.error == QJsonParseError::NoError, qPrintable(jsonError.errorString()));

    auto findHost = [&out](const QString &address) {
        for (const auto &c : out.value(u"clusters").toArray()) {
            for (const auto &h : c.toObject().value(u"hosts").toArray()) {
                if (h.toObject().value(u"address").toString() == address) {
                    return h.toObject();
                }
            }
        }
        return QJsonObject();
    };
    if (check == u"outlier") {
        const QJsonObject h = findHost(QStringLiteral("10.0.1.12"));
        QCOMPARE(h.value(u"port").toInt(), 8080);
        QCOMPARE(h.value(u"healthy").toBool(true), false);
        QCOMPARE(h.value(u"healthFlags").toArray(),
            QJsonArray { QStringLiteral("failed_outlier_check") });
        QCOMPARE(h.value(u"stats").toObject().value(u"rq_total").toInteger(), 39181);
        QCOMPARE(h.value(u"stats").toObject().value(u"cx_active").toInteger(-1), 0);
        QVERIFY(out.value(u"clusters").toArray().at(1).toObject().contains(u"name"));
    } else if (check == u"pipe") {
        const QJsonObject h = findHost(QStringLiteral("/run/app/app.sock"));
        QVERIFY(h.contains(u"port"));
        QVERIFY(h.value(u"port").isNull());
        QCOMPARE(h.value(u"healthy").toBool(true), false);
        QVERIFY(
            h.value(u"healthFlags").toArray().contains(QStringLiteral("pending_dynamic_removal")));
    } else if (check == u"istioctl") {
        QCOMPARE(out.value(u"format").toString(), QStringLiteral("istioctl"));
        QCOMPARE(findHost(QStringLiteral("10.244.0.17"))
                     .value(u"stats")
                     .toObject()
                     .value(u"rq_total")
                     .toInteger(),
            12);
    } else if (check == u"server" || check == u"draining") {
        QCOMPARE(out.value(u"state").toString(),
            check == u"server" ? QStringLiteral("LIVE") : QStringLiteral("DRAINING"));
        QVERIFY(out.value(u"version").toString().contains(u"/1.29.4/"));
        QVERIFY(out.value(u"uptimeSeconds").isDouble());
        QVERIFY(!out.value(u"node").toObject().value(u"id").toString().isEmpty());
        QVERIFY(!out.value(u"node").toObject().value(u"cluster").toString().isEmpty());
    } else {
        QVERIFY(out.value(u"stats").toObject().contains(u"server.live"));
        QVERIFY(!out.value(u"clusters").toArray().isEmpty());
        QVERIFY(!out.value(u"listeners").toArray().isEmpty());
    }
}

void tst_EnvoyParseCli::rejects_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("file");
    QTest::newRow("server-info-given-clusters") << "envoy-server-info"
                                                << "envoy_clusters.txt";
    QTest::newRow("clusters-given-stats-text") << "envoy-clusters"
                                               << "emulator_stats.txt";
    QTest::newRow("stats-given-clusters-json") << "envoy-stats"
                                               << "envoy_clusters.json";
}

void tst_EnvoyParseCli::rejects()
{
    QFETCH(QString, kind);
    QFETCH(QString, file);
    QProcess *p = run(kind, file, this);
    QCOMPARE(p->exitCode(), 1);
    const QByteArray err = p->readAllStandardError();
    QCOMPARE(err.count('\n'), 1);
    QVERIFY2(
        err.startsWith(QByteArray("hopscope-cli parse " + kind.toUtf8() + ": ")), err.constData());
    QVERIFY(p->readAllStandardOutput().isEmpty());
}

QByteArray tst_EnvoyParseCli::fixture(const QString &name)
{
    QFile f(qEnvironmentVariable("HOPSCOPE_TEST_DATA") + u"/envoy/" + name);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// A real dump repeated with varied cluster names up to `bytes`; *entries: how many stats (or
// hosts) it holds.
QByteArray tst_EnvoyParseCli::grow(const QString &file, qsizetype bytes, int *entries)
{
    const QByteArray seed = fixture(file);
    QByteArray out;
    out.reserve(bytes + 65536);
    *entries = 0;
    const auto tagged = [](QByteArray name, int n) {
        // cluster.<name>.x -> cluster.<name>_<n>.x; server.x -> server.x_<n>
        const qsizetype first = name.indexOf('.');
        const qsizetype second = first < 0 ? -1 : name.indexOf('.', first + 1);
        const QByteArray tag = '_' + QByteArray::number(n);
        return second < 0 ? name + tag : name.insert(second, tag);
    };
    if (file.endsWith(u".txt") && file.contains(u"stats")) {
        const QList<QByteArray> lines = seed.split('\n');
        for (int n = 0; out.size() < bytes; ++n) {
            for (const QByteArray &l : lines) {
                const qsizetype sep = l.indexOf(": ");
                if (sep > 0) {
                    out += tagged(l.first(sep), n) + l.sliced(sep) + '\n';
                    bool number = false;
                    l.sliced(sep + 2).toULongLong(&number);
                    *entries += number ? 1 : 0; // not histograms and text readouts
                }
            }
        }
        return out;
    }
    const QJsonObject root = QJsonDocument::fromJson(seed).object();
    if (file.contains(u"stats")) {
        out += "{\"stats\":[";
        for (int n = 0; out.size() < bytes; ++n) {
            for (const auto &v : root.value(u"stats").toArray()) {
                QJsonObject o = v.toObject();
                if (!o.contains(u"name")) {
                    continue;
                }
                o.insert(QStringLiteral("name"),
                    QString::fromUtf8(tagged(o.value(u"name").toString().toUtf8(), n)));
                out += (*entries ? "," : "") + QJsonDocument(o).toJson(QJsonDocument::Compact);
                ++*entries;
            }
        }
        return out + "]}";
    }
    out += "{\"cluster_statuses\":[";
    for (int n = 0; out.size() < bytes; ++n) {
        for (const auto &v : root.value(u"cluster_statuses").toArray()) {
            QJsonObject o = v.toObject();
            o.insert(QStringLiteral("name"),
                QString(o.value(u"name").toString() + u'_' + QString::number(n)));
            out += (n || *entries ? "," : "") + QJsonDocument(o).toJson(QJsonDocument::Compact);
            *entries += int(o.value(u"host_statuses").toArray().size());
        }
    }
    return out + "]}";
}

int tst_EnvoyParseCli::entries(const QString &kind, const QByteArray &json)
{
    const QJsonObject o = QJsonDocument::fromJson(json).object();
    if (kind == u"envoy-stats") {
        return int(o.value(u"stats").toObject().size());
    }
    int n = 0;
    for (const auto &c : o.value(u"clusters").toArray()) {
        n += int(c.toObject().value(u"hosts").toArray().size());
    }
    return n;
}

void tst_EnvoyParseCli::bigDumpLinear_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("file");
    QTest::newRow("stats-text") << "envoy-stats"
                                << "emulator_stats.txt";
    QTest::newRow("stats-json") << "envoy-stats"
                                << "emulator_stats.json";
    QTest::newRow("clusters-json") << "envoy-clusters"
                                   << "envoy_clusters.json";
}

// 16 MB of dump: peak memory above the process's own baseline under 8x the input and CPU time
// under 0.5 s per MB. envoy-stats was quadratic (16 MB of text: 23 s; every name was inserted into
// one sorted QJsonObject) and the output was held whole three times over.
void tst_EnvoyParseCli::bigDumpLinear()
{
    QFETCH(QString, kind);
    QFETCH(QString, file);
    const CliResult base
        = CliChild::run({ QStringLiteral("parse"), kind,
                            qEnvironmentVariable("HOPSCOPE_TEST_DATA") + u"/envoy/" + file },
            {}, 60000, true);
    QVERIFY2(base.exitCode == 0, base.err.constData());
    int expected = 0;
    const QByteArray big = grow(file, 16 << 20, &expected);
    const QString path = m_dir.filePath(file);
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly) && f.write(big) == big.size());
    f.close();
    const CliResult r = CliChild::run({ QStringLiteral("parse"), kind, path }, {}, 120000, true);
    QVERIFY2(r.finished && r.exitCode == 0, r.err.constData());
    const double mb = double(big.size()) / (1 << 20);
    const double extraBytes = double(r.maxRssKb - base.maxRssKb) * 1024;
    qInfo("%s %s: %.1f MB in %.2f s CPU, peak RSS %lld KB (baseline %lld KB): %.1fx the input",
        qPrintable(kind), qPrintable(file), mb, r.cpuSeconds, r.maxRssKb, base.maxRssKb,
        extraBytes / double(big.size()));
    QVERIFY2(extraBytes < 8.0 * double(big.size()), "peak memory above 8x the input");
    QVERIFY2(r.cpuSeconds < 0.5 * mb, "more than 0.5 s of CPU per MB");
    QCOMPARE(entries(kind, r.out), expected);
}

// A JSON dump through a pipe in three pieces, each written after the child read the previous.
void tst_EnvoyParseCli::pipeInPieces()
{
    const QByteArray dump = fixture(QStringLiteral("envoy_clusters.json"));
    CliChild c;
    QVERIFY(c.start(
        { QStringLiteral("parse"), QStringLiteral("envoy-clusters"), QStringLiteral("-") }));
    const qsizetype third = dump.size() / 3;
    QVERIFY(c.write(dump.first(third)));
    QVERIFY2(c.waitDrained(10000), "the child did not read the first piece");
    QVERIFY(c.write(dump.sliced(third, third)));
    QVERIFY2(c.waitDrained(10000), "the child stopped reading after the first piece");
    QVERIFY(c.write(dump.sliced(2 * third)));
    c.closeStdin();
    const CliResult r = c.finish(30000);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QProcess *whole
        = run(QStringLiteral("envoy-clusters"), QStringLiteral("envoy_clusters.json"), this);
    QCOMPARE(r.out, whole->readAllStandardOutput());
}

void tst_EnvoyParseCli::truncated_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("cut"); // bytes dropped from the end
    QTest::newRow("clusters-json-at-line") << "envoy-clusters"
                                           << "envoy_clusters.json" << 40;
    QTest::newRow("stats-json") << "envoy-stats"
                                << "emulator_stats.json" << 100;
    QTest::newRow("server-info") << "envoy-server-info"
                                 << "envoy_server_info.json" << 10;
    QTest::newRow("stats-text-in-line") << "envoy-stats"
                                        << "emulator_stats.txt" << 3;
}

// JSON is self-delimiting: any cut is found; text only inside a line (see `parse --help`).
void tst_EnvoyParseCli::truncated()
{
    QFETCH(QString, kind);
    QFETCH(QString, file);
    QFETCH(int, cut);
    const QByteArray dump = fixture(file);
    QByteArray part = dump.first(dump.size() - cut);
    if (file.endsWith(u".json")) {
        part = part.first(part.lastIndexOf('\n') + 1); // at a line boundary
    }
    const CliResult r = CliChild::run({ QStringLiteral("parse"), kind, QStringLiteral("-") }, part);
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.err.count('\n'), 1);
    QVERIFY(r.out.isEmpty());
}

QTEST_GUILESS_MAIN(tst_EnvoyParseCli)
#include "tst_EnvoyParseCli.moc"

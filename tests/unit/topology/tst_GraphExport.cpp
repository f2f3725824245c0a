#include "GraphFixture.h"
#include "topology/GraphExport.h"
#include "topology/ServiceGraphModel.h"
#include "traffic/TrafficTracker.h"

#include <QAbstractItemModelTester>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

using namespace hopscope;
using namespace hopscope::testing;

// The graph model's view-side behaviour and its text exports: DOT that Graphviz accepts, JSON
// with the snapshot contract plus the layout, a layout that stays put when targets come and go,
// collapse kept across polls, coalesced dataChanged, keyboard neighbours.
class tst_GraphExport : public QObject
{
    Q_OBJECT

    ClusterProfile m_profile;

private Q_SLOTS:
    void initTestCase() { m_profile = demoLikeProfile(); }

    void dotIsAcceptedByGraphviz()
    {
        ServiceGraphModel model;
        model.setProfile(m_profile);
        model.setTopology(topologyOf(m_profile, demoTargets()));
        const QByteArray dot = GraphExport::toDot(model);
        const QString dotTool = QStandardPaths::findExecutable(QStringLiteral("dot"));
        QVERIFY2(!dotTool.isEmpty(), "graphviz 'dot' is not installed (scripts/bootstrap installs it)");
        QProcess p;
        p.start(dotTool, {QStringLiteral("-Tsvg")});
        QVERIFY(p.waitForStarted());
        p.write(dot);
        p.closeWriteChannel();
        QVERIFY(p.waitForFinished(30000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        const QByteArray svg = p.readAllStandardOutput();
        for (const ServiceGraphModel::Node &n : model.nodes()) {
            // Graphviz puts each node id in a <title>.
            // (Graphviz writes "-" as &#45; in SVG text.)
            QVERIFY2(svg.contains(QByteArray("<title>" + n.id.toUtf8().replace("-", "&#45;") + "</title>")), qPrintable(n.id));
        }
        QVERIFY(svg.contains("127.0.0.12:8000"));
        QCOMPARE(dot.count(" -> "), model.segments().size());
    }

    void dotQuotesHostileNames_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QByteArray>("quoted");
        QTest::newRow("plain") << QStringLiteral("serviceb") << QByteArray("\"serviceb\"");
        QTest::newRow("double quote") << QStringLiteral("a\"b") << QByteArray("\"a\\\"b\"");
        QTest::newRow("backslash") << QStringLiteral("a\\b") << QByteArray("\"a\\\\b\"");
        QTest::newRow("newline") << QStringLiteral("a\nb") << QByteArray("\"a\\nb\"");
        QTest::newRow("braces and arrows") << QStringLiteral("x -> {y}") << QByteArray("\"x -> {y}\"");
        QTest::newRow("utf-8") << QStringLiteral("⇄ lb") << QByteArray("\"\xe2\x87\x84 lb\"");
    }
    void dotQuotesHostileNames()
    {
        QFETCH(QString, text);
        QFETCH(QByteArray, quoted);
        QCOMPARE(GraphExport::dotQuote(text), quoted);
    }

    void jsonCarriesTheContractAndTheLayout()
    {
        ServiceGraphModel model;
        model.setProfile(m_profile);
        const Topology t = topologyOf(m_profile, demoTargets());
        model.setTopology(t);
        const QJsonObject o = GraphExport::toJson(model, &t);
        QCOMPARE(o[QStringLiteral("profile")].toString(), m_profile.name);
        QCOMPARE(o[QStringLiteral("services")].toArray().size(), 6);
        const QJsonObject layout = o[QStringLiteral("layout")].toObject();
        const QJsonArray nodes = layout[QStringLiteral("nodes")].toArray();
        QCOMPARE(nodes.size(), model.rowCount());
        for (const QJsonValue &v : nodes) {
            const QJsonObject n = v.toObject();
            const QRectF r = model.nodes()[model.rowOf(n[QStringLiteral("id")].toString())].rect;
            QCOMPARE(n[QStringLiteral("x")].toDouble(), r.x());
            QCOMPARE(n[QStringLiteral("height")].toDouble(), r.height());
        }
        QCOMPARE(layout[QStringLiteral("segments")].toArray().size(), model.segments().size());
        // Without a topology: the layout alone, still valid.
        const QJsonObject bare = GraphExport::toJson(model);
        QVERIFY(!bare.contains(QStringLiteral("services")));
        QCOMPARE(bare[QStringLiteral("layout")].toObject()[QStringLiteral("nodes")].toArray().size(), model.rowCount());
    }

    // Issue 14: the DOT and JSON exports carry what the model knows of traffic. One measured
    // edge at 800 rps with 0.1 % errors, one whose rate is not known yet; the rest not measured.
    void exportsCarryTraffic()
    {
        ServiceGraphModel model;
        model.setProfile(m_profile);
        model.setTopology(topologyOf(m_profile, demoTargets()));
        QString busyKey, unknownKey;
        for (const EdgeSpec &spec : std::as_const(m_profile.edges)) {
            if (spec.via == EdgeSpec::Via::Dns) {
                continue;
            }
            EdgeNode e;
            e.from = spec.from;
            e.to = spec.to;
            e.via = spec.viaText();
            (busyKey.isEmpty() ? busyKey : unknownKey) = TrafficTracker::edgeKey(e);
            if (!unknownKey.isEmpty()) {
                break;
            }
        }
        QVERIFY(!busyKey.isEmpty() && !unknownKey.isEmpty());
        TrafficReport report;
        TrafficAggregate busy;
        busy.measured = true;
        busy.point.status = TrafficStatus::Ok;
        busy.point.rps = 800;
        busy.point.errorsPerS = 0.8;
        busy.point.errorRatio = 0.001;
        busy.point.p99Ms = 38;
        report.edges.insert(busyKey, busy);
        TrafficAggregate unknown;
        unknown.measured = true;
        unknown.point.status = TrafficStatus::FirstPoll;
        report.edges.insert(unknownKey, unknown);
        model.setTraffic(report);
        int busySegment = -1, unknownSegment = -1;
        for (int i = 0; i < model.segments().size(); ++i) {
            if (model.segments()[i].trafficKeys.contains(busyKey)) {
                busySegment = i;
            } else if (model.segments()[i].trafficKeys.contains(unknownKey)) {
                unknownSegment = i;
            }
        }
        QVERIFY(busySegment >= 0 && unknownSegment >= 0);

        // JSON: every layout segment has "traffic": the measured one its numbers, the unknown
        // one nulls (never 0), the others null.
        const QJsonArray segments = GraphExport::toJson(model)[QStringLiteral("layout")]
                                        .toObject()[QStringLiteral("segments")]
                                        .toArray();
        QCOMPARE(segments.size(), model.segments().size());
        for (int i = 0; i < segments.size(); ++i) {
            const QJsonObject seg = segments[i].toObject();
            QVERIFY2(seg.contains(QStringLiteral("traffic")), qPrintable(QString::number(i)));
            const QJsonValue traffic = seg[QStringLiteral("traffic")];
            if (i == busySegment) {
                QCOMPARE(traffic[QStringLiteral("rps")].toDouble(), 800.0);
                QCOMPARE(traffic[QStringLiteral("errorRatio")].toDouble(), 0.001);
                QCOMPARE(traffic[QStringLiteral("latencyMs")][QStringLiteral("p99")].toDouble(), 38.0);
                QVERIFY(traffic[QStringLiteral("latencyMs")][QStringLiteral("avg")].isNull());
                QCOMPARE(traffic[QStringLiteral("status")].toString(), QStringLiteral("ok"));
            } else if (i == unknownSegment) {
                QVERIFY(traffic.isObject());
                QVERIFY(traffic[QStringLiteral("rps")].isNull());
                QVERIFY(traffic[QStringLiteral("errorRatio")].isNull());
                QCOMPARE(traffic[QStringLiteral("status")].toString(), QStringLiteral("first-poll"));
            } else if (!model.segments()[i].traffic.measured) {
                QVERIFY(traffic.isNull());
            }
        }

        // DOT: in health emphasis the labels are the hop labels only; in traffic emphasis the
        // measured edges get the traffic label, and with a style their pen width and colour.
        const auto edgeLine = [&](const QByteArray &dot, int segment) {
            const ServiceGraphModel::EdgeSegment &s = model.segments()[segment];
            const QByteArray head = GraphExport::dotQuote(model.nodes()[s.from].id) + " -> "
                + GraphExport::dotQuote(model.nodes()[s.to].id) + " [";
            for (const QByteArray &line : dot.split('\n')) {
                if (line.trimmed().startsWith(head)) {
                    return line;
                }
            }
            return QByteArray();
        };
        GraphExport::DotStyle style;
        style.traffic = [](const EdgeTraffic &t) {
            return GraphExport::DotTrafficLook { QStringLiteral("#123456"), t.known() ? *t.rps / 100 : 1.5,
                                                 QStringLiteral("✔") };
        };
        const QByteArray health = GraphExport::toDot(model, style);
        QVERIFY(!edgeLine(health, busySegment).isEmpty());
        QVERIFY(!health.contains("penwidth"));
        QVERIFY(!health.contains("rps"));
        model.setTrafficEmphasis(true);
        const QByteArray traffic = GraphExport::toDot(model, style);
        const QByteArray busyLine = edgeLine(traffic, busySegment);
        QVERIFY2(busyLine.contains("penwidth=8.00"), busyLine.constData());
        QVERIFY2(busyLine.contains("color=\"#123456\""), busyLine.constData());
        QVERIFY2(busyLine.contains("\xe2\x9c\x94 800 rps"), busyLine.constData());
        const QByteArray unknownLine = edgeLine(traffic, unknownSegment);
        QVERIFY2(unknownLine.contains("no rate yet"), unknownLine.constData());
        // Without a style (a build without the renderer): the label, no width.
        const QByteArray bare = GraphExport::toDot(model);
        QVERIFY(edgeLine(bare, busySegment).contains("800 rps"));
        QVERIFY(!bare.contains("penwidth"));
        const QString dotTool = QStandardPaths::findExecutable(QStringLiteral("dot"));
        QVERIFY2(!dotTool.isEmpty(), "graphviz 'dot' is not installed (scripts/bootstrap installs it)");
        QProcess p;
        p.start(dotTool, {QStringLiteral("-Tsvg")});
        QVERIFY(p.waitForStarted());
        p.write(traffic);
        p.closeWriteChannel();
        QVERIFY(p.waitForFinished(30000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        QVERIFY(p.readAllStandardOutput().contains("stroke-width=\"8\""));
    }

    // Item 6: a new target grows its box in place; nothing outside its column moves, and in its
    // column only the boxes below move, by exactly one chip row.
    void aNewTargetDoesNotReshuffleTheRest()
    {
        ServiceGraphModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setProfile(m_profile);
        auto targets = demoTargets();
        model.setTopology(topologyOf(m_profile, targets));
        QList<QRectF> before;
        for (const auto &n : model.nodes()) {
            before.append(n.rect);
        }
        const int b = model.rowOf(QStringLiteral("serviceb"));
        targets[QStringLiteral("serviceb")].append({QStringLiteral("127.0.0.13:8000"), Health::Healthy});
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        model.setTopology(topologyOf(m_profile, targets));
        QCOMPARE(reset.size(), 0);
        const QRectF grown = model.nodes()[b].rect;
        QCOMPARE(grown.topLeft(), before[b].topLeft());
        QCOMPARE(grown.height(), before[b].height() + ServiceGraphModel::TaskRowHeight);
        for (int row = 0; row < model.rowCount(); ++row) {
            if (row == b) {
                continue;
            }
            const QRectF now = model.nodes()[row].rect;
            const bool sameColumnBelow = qFuzzyCompare(before[row].x(), before[b].x()) && before[row].y() > before[b].y();
            const QPointF expected = before[row].topLeft() + QPointF(0, sameColumnBelow ? ServiceGraphModel::TaskRowHeight : 0);
            QVERIFY2(now.topLeft() == expected, qPrintable(model.nodes()[row].id));
        }
        // And a health change alone moves nothing.
        targets[QStringLiteral("serviceb")][0].second = Health::Down;
        const QList<QRectF> grownRects = [&] {
            QList<QRectF> l;
            for (const auto &n : model.nodes()) {
                l.append(n.rect);
            }
            return l;
        }();
        model.setTopology(topologyOf(m_profile, targets));
        for (int row = 0; row < model.rowCount(); ++row) {
            QCOMPARE(model.nodes()[row].rect, grownRects[row]);
        }
    }

    void collapseIsKeptByIdAcrossPolls()
    {
        ServiceGraphModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setProfile(m_profile);
        auto targets = demoTargets();
        model.setTopology(topologyOf(m_profile, targets));
        const int b = model.rowOf(QStringLiteral("serviceb"));
        const qreal expanded = model.nodes()[b].rect.height();
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.toggleCollapsed(QStringLiteral("serviceb"));
        QVERIFY(model.isCollapsed(QStringLiteral("serviceb")));
        QVERIFY(model.data(model.index(b), ServiceGraphModel::CollapsedRole).toBool());
        QCOMPARE(model.nodes()[b].rect.height(), ServiceGraphModel::CollapsedHeight);
        QVERIFY(!changed.isEmpty());
        // A poll that adds a target keeps it collapsed (and the same height).
        targets[QStringLiteral("serviceb")].append({QStringLiteral("127.0.0.13:8000"), Health::Down});
        model.setTopology(topologyOf(m_profile, targets));
        QVERIFY(model.isCollapsed(QStringLiteral("serviceb")));
        QCOMPARE(model.nodes()[b].rect.height(), ServiceGraphModel::CollapsedHeight);
        // Reopening the profile keeps it too; expanding shows all three chips.
        model.setProfile(m_profile);
        QVERIFY(model.data(model.index(b), ServiceGraphModel::CollapsedRole).toBool());
        model.setTopology(topologyOf(m_profile, targets));
        model.setCollapsed(QStringLiteral("serviceb"), false);
        QCOMPARE(model.nodes()[b].rect.height(), expanded + ServiceGraphModel::TaskRowHeight);
        // LB nodes do not collapse.
        model.setCollapsed(QStringLiteral("lb:internal-lb"), true);
        QVERIFY(!model.isCollapsed(QStringLiteral("lb:internal-lb")));
    }

    void changesToAdjacentRowsAreOneDataChanged()
    {
        ServiceGraphModel model;
        model.setProfile(m_profile);
        auto targets = demoTargets();
        model.setTopology(topologyOf(m_profile, targets));
        // servicea (row 0) and serviceb (row 1) change; payments (row 5) too: two runs.
        targets[QStringLiteral("servicea")][0].second = Health::Down;
        targets[QStringLiteral("serviceb")][1].second = Health::Maintenance;
        targets[QStringLiteral("payments")][0].second = Health::Draining;
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.setTopology(topologyOf(m_profile, targets));
        QCOMPARE(changed.size(), 2);
        QCOMPARE(changed[0][0].value<QModelIndex>().row(), 0);
        QCOMPARE(changed[0][1].value<QModelIndex>().row(), 1);
        QCOMPARE(changed[1][0].value<QModelIndex>().row(), model.rowOf(QStringLiteral("payments")));
        QVERIFY(changed[0][2].value<QList<int>>().contains(ServiceGraphModel::TasksRole));
        // Nothing changed: no signal at all.
        changed.clear();
        model.setTopology(topologyOf(m_profile, targets));
        QCOMPARE(changed.size(), 0);
    }

    void arrowsAndTabReachEveryBox()
    {
        ServiceGraphModel model;
        model.setProfile(m_profile);
        const int a = model.rowOf(QStringLiteral("servicea"));
        const int right = model.neighbour(a, 1, 0);
        QVERIFY(right == model.rowOf(QStringLiteral("serviceb")) || right == model.rowOf(QStringLiteral("servicec")));
        QCOMPARE(model.neighbour(a, -1, 0), -1); // nothing left of the first column
        QCOMPARE(model.neighbour(right, -1, 0), a);
        // Tab visits every node once, then wraps.
        QSet<int> seen;
        int row = -1;
        for (int i = 0; i < model.rowCount(); ++i) {
            row = model.nextInTabOrder(row, false);
            seen.insert(row);
        }
        QCOMPARE(seen.size(), model.rowCount());
        QCOMPARE(model.nextInTabOrder(model.nextInTabOrder(row, false), true), row);
    }
};

QTEST_GUILESS_MAIN(tst_GraphExport)
#include "tst_GraphExport.moc"

#include "envoy/EnvoyStatsParser.h"
#include "topology/TargetTableFilter.h"
#include "topology/TargetTableModel.h"

#include "TruthFixture.h"

#include <QAbstractItemModelTester>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

using namespace hopscope;
using namespace hopscope::testing;

// The target table over topologies TopologyBuilder made from captured real answers: every
// target with each source's view, counters and rates; incremental updates; sort and filter.
class tst_TargetTableModel : public QObject
{
    Q_OBJECT

    static QString cell(const QAbstractItemModel &m, int row, int column)
    {
        return m.index(row, column).data().toString();
    }

    // The demo's profile and two captured rounds of HAProxy and the order sidecar (traffic
    // captures): a topology and the TrafficReport for it.
    static std::pair<Topology, TrafficReport> trafficRound(
        TrafficTracker &tracker, const ClusterProfile &profile)
    {
        TopologyInputs in;
        const QJsonArray rounds
            = QJsonDocument::fromJson(testData(QStringLiteral("traffic/captures.json")))[u"rounds"]
                  .toArray();
        for (int round : { 1, 2 }) {
            const QDateTime at
                = QDateTime::fromString(rounds[round - 1][u"at"].toString(), Qt::ISODateWithMs);
            HaproxySnapshot lb;
            lb.stat = *HaproxyStatParser::parse(
                testData(QStringLiteral("traffic/round%1.stat.csv").arg(round)));
            lb.info = *HaproxyInfoParser::parse(
                testData(QStringLiteral("traffic/round%1.info.txt").arg(round)));
            EnvoyAdminSnapshot e;
            e.stats = EnvoyStatsParser::parse(
                testData(QStringLiteral("traffic/round%1.envoy_stats.json").arg(round)))
                          .value();
            e.clusters = EnvoyClustersParser::parse(
                testData(QStringLiteral("traffic/round%1.envoy_clusters.json").arg(round)))
                             .value();
            e.fetchedAt = at;
            tracker.addHaproxy(QStringLiteral("internal-lb"), lb, at);
            tracker.addEnvoy(QStringLiteral("order-1-envoy"), e, at);
            in.lb.insert(QStringLiteral("internal-lb"), lb);
            in.mesh.insert(QStringLiteral("order-1-envoy"), e);
            in.now = at;
        }
        in.lbState.insert(QStringLiteral("internal-lb"), TruthInputs::fresh(in.now));
        in.meshState.insert(QStringLiteral("order-1-envoy"), TruthInputs::fresh(in.now));
        const Topology topo = TopologyBuilder::build(profile, in);
        return { topo, tracker.report(topo) };
    }

private Q_SLOTS:
    void everyTargetWithEachSourcesView()
    {
        TargetTableModel model;
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setProfile(truthProfile());
        TruthInputs in;
        const Topology topo = in.build();
        model.setTopology(topo);
        int targets = 0;
        for (const ServiceNode &s : topo.services) {
            for (const TargetNode &t : s.targets) {
                ++targets;
                const int r = model.rowOf(s.id, t.key);
                QVERIFY2(r >= 0, qPrintable(t.key));
                QCOMPARE(cell(model, r, TargetTableModel::ServiceColumn), s.name);
                QCOMPARE(cell(model, r, TargetTableModel::TaskColumn), t.key);
                QCOMPARE(cell(model, r, TargetTableModel::FqdnColumn), t.fqdn);
                QCOMPARE(model.index(r, TargetTableModel::HealthColumn)
                             .data(TargetRowModel::HealthRole)
                             .value<Health>(),
                    t.health);
                QCOMPARE(cell(model, r, TargetTableModel::HealthColumn),
                    healthIcon(t.health) + QLatin1Char(' ') + healthName(t.health));
                QCOMPARE(cell(model, r, model.reasonColumn()), t.reason);
                QCOMPARE(cell(model, r, TargetTableModel::SessionsColumn),
                    t.lbSessions ? QString::number(*t.lbSessions) : QStringLiteral("—"));
                QCOMPARE(cell(model, r, TargetTableModel::TtlColumn),
                    t.dnsTtl ? QStringLiteral("%1 s").arg(*t.dnsTtl) : QStringLiteral("—"));
                for (const Observation &o : t.observations) {
                    const int c = model.sourceColumn(o.source);
                    QVERIFY2(c >= 0, qPrintable(o.source));
                    QVERIFY2(cell(model, r, c).contains(o.text),
                        qPrintable(cell(model, r, c) + QStringLiteral(" / ") + o.text));
                }
            }
        }
        QCOMPARE(model.rowCount(), targets);
        // user1, DOWN in the captured show stat: the LB column says so with the down icon.
        const int r = model.rowOf(QStringLiteral("user"), QStringLiteral("127.148.27.41:41665"));
        const QModelIndex lb = model.index(r, model.sourceColumn(QStringLiteral("lb:internal-lb")));
        QCOMPARE(lb.data(TargetRowModel::HealthRole).value<Health>(), Health::Down);
        QVERIFY(lb.data().toString().startsWith(
            healthIcon(Health::Down) + QStringLiteral(" DOWN L7STS")));
        QCOMPARE(
            model.headerData(model.sourceColumn(QStringLiteral("dns")), Qt::Horizontal).toString(),
            QStringLiteral("DNS"));
        QCOMPARE(model
                     .headerData(model.sourceColumn(QStringLiteral("mesh:payments-2-envoy")),
                         Qt::Horizontal)
                     .toString(),
            QStringLiteral("payments-2-envoy"));
    }

    void updatesIncrementally()
    {
        TargetTableModel model;
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setProfile(truthProfile());
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        TruthInputs in;
        model.setTopology(in.build());
        QCOMPARE(inserted.size(), 1); // the first poll: one run of rows
        const int n = model.rowCount();
        inserted.clear();
        model.setTopology(in.build());
        QCOMPARE(changed.size() + inserted.size() + removed.size(), 0); // nothing changed

        // A new task between two others, and a health change elsewhere.
        in.list(QStringLiteral("user"), QStringLiteral("127.148.27.40"));
        in.unlist(QStringLiteral("payments"), QStringLiteral("127.6.223.62"), true);
        model.setTopology(in.build());
        QCOMPARE(inserted.size(), 1);
        QCOMPARE(inserted[0][1].toInt(),
            model.rowOf(QStringLiteral("user"), QStringLiteral("127.148.27.40:41665")));
        QCOMPARE(inserted[0][1].toInt(), inserted[0][2].toInt());
        QCOMPARE(changed.size(), 1);
        const int p = model.rowOf(QStringLiteral("payments"), QStringLiteral("127.6.223.62:44787"));
        QCOMPARE(changed[0][0].value<QModelIndex>().row(), p);
        QCOMPARE(changed[0][1].value<QModelIndex>().column(), model.reasonColumn());
        QVERIFY(cell(model, p, model.sourceColumn(QStringLiteral("dns")))
                    .contains(QStringLiteral("removed from DNS")));

        // The new task gone again: one row removed where it was, nothing else touched.
        changed.clear();
        const int was = model.rowOf(QStringLiteral("user"), QStringLiteral("127.148.27.40:41665"));
        in.unlist(QStringLiteral("user"), QStringLiteral("127.148.27.40"), false);
        model.setTopology(in.build());
        QCOMPARE(reset.size(), 0);
        QCOMPARE(removed.size(), 1);
        QCOMPARE(removed[0][1].toInt(), was);
        QCOMPARE(removed[0][2].toInt(), was);
        QCOMPARE(changed.size(), 0);
        QCOMPARE(model.rowOf(QStringLiteral("user"), QStringLiteral("127.148.27.40:41665")), -1);
        QCOMPARE(model.rowCount(), n);
        // Rows and the topology agree after every kind of change.
        const Topology topo = in.build();
        int targets = 0;
        for (const ServiceNode &s : topo.services) {
            for (const TargetNode &t : s.targets) {
                ++targets;
                QCOMPARE(
                    cell(model, model.rowOf(s.id, t.key), TargetTableModel::TaskColumn), t.key);
            }
        }
        QCOMPARE(model.rowCount(), targets);
    }

    // Rates from the TrafficTracker's report, by TrafficTracker::targetKey.
    void requestRateFromTheTrafficReport()
    {
        const ProfileLoadResult loaded
            = ProfileStore::parse(testData(QStringLiteral("traffic/demo.hopscope.json")));
        QVERIFY(loaded.profile);
        TrafficTracker tracker(*loaded.profile);
        const auto [topo, report] = trafficRound(tracker, *loaded.profile);
        TargetTableModel model;
        QAbstractItemModelTester tester(
            &model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setProfile(*loaded.profile);
        model.setTopology(topo, report);
        int measured = 0;
        for (const ServiceNode &s : topo.services) {
            for (const TargetNode &t : s.targets) {
                const int r = model.rowOf(s.id, t.key);
                const QModelIndex rate = model.index(r, TargetTableModel::RateColumn);
                const QString trafficKey = TrafficTracker::targetKey(s.id, t.key);
                QCOMPARE(rate.data(TargetRowModel::TrafficKeyRole).toString(), trafficKey);
                const TrafficAggregate a = report.targets.value(trafficKey);
                if (a.measured && a.point.rps) {
                    ++measured;
                    QCOMPARE(rate.data(TargetRowModel::RpsRole).toDouble(), *a.point.rps);
                    QCOMPARE(rate.data().toString(), QString::number(*a.point.rps, 'f', 1));
                    QCOMPARE(rate.data(TargetRowModel::SortRole).toDouble(), *a.point.rps);
                } else {
                    QVERIFY(!rate.data(TargetRowModel::RpsRole).isValid());
                    QCOMPARE(rate.data().toString(), QStringLiteral("—"));
                }
            }
        }
        QVERIFY(measured >= 3); // user's two servers, payments via the order sidecar
    }

    void sortsNumbersAndHealthAndFilters()
    {
        TargetTableModel model;
        model.setProfile(truthProfile());
        TruthInputs in;
        in.list(
            QStringLiteral("user"), QStringLiteral("127.148.27.9")); // "9" sorts after "41" as text
        model.setTopology(in.build());
        TargetTableFilter filter;
        filter.setSourceModel(&model);
        QAbstractItemModelTester tester(
            &filter, QAbstractItemModelTester::FailureReportingMode::QtTest);
        filter.sort(TargetTableModel::TaskColumn, Qt::AscendingOrder);
        QStringList user;
        for (int i = 0; i < filter.rowCount(); ++i) {
            const QString key = cell(filter, i, TargetTableModel::TaskColumn);
            if (key.startsWith(u"127.148.27.")) {
                user.append(key);
            }
        }
        QCOMPARE(user.first(), QStringLiteral("127.148.27.9:41665"));
        // Health by severity: down first when descending.
        filter.sort(TargetTableModel::HealthColumn, Qt::DescendingOrder);
        QCOMPARE(
            filter.index(0, 0).data(TargetRowModel::RowHealthRole).value<Health>(), Health::Down);
        filter.setState(TargetTableFilter::State::Down);
        for (int i = 0; i < filter.rowCount(); ++i) {
            QCOMPARE(filter.index(i, 0).data(TargetRowModel::RowHealthRole).value<Health>(),
                Health::Down);
        }
        QVERIFY(filter.rowCount() >= 1);
        filter.setState(TargetTableFilter::State::All);
        filter.setText(QStringLiteral("PAYMENTS-2"));
        QCOMPARE(filter.rowCount(), 1);
        QCOMPARE(filter.index(0, 0).data(TargetRowModel::TargetKeyRole).toString(),
            QStringLiteral("127.6.223.62:44787"));
    }
};

QTEST_GUILESS_MAIN(tst_TargetTableModel)
#include "tst_TargetTableModel.moc"

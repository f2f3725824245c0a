#include "GraphFixture.h"
#include "profile/ProfileStore.h"
#include "topology/ServiceGraphModel.h"
#include "topology/TopologyBuilder.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace hopscope;

// ServiceGraphModel from a profile: one box per service, an LB node between caller and callee
// for via-LB edges, hop labels per pattern, and "no data yet" (never healthy) before any poll.
class tst_ServiceGraphModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void buildsNodesAndLabelledEdgesFromTheProfile()
    {
        const ProfileLoadResult r = ProfileStore::load(qEnvironmentVariable("HOPSCOPE_TEST_DATA")
                                                       + QStringLiteral("/profiles/valid/demo-like.hopscope.json"));
        QVERIFY(r.ok());
        ServiceGraphModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setProfile(*r.profile);

        QCOMPARE(model.rowCount(), 7); // 6 services + internal-lb
        const int lb = model.rowOf(QStringLiteral("lb:internal-lb"));
        QVERIFY(lb >= 0);
        QCOMPARE(model.data(model.index(lb), ServiceGraphModel::KindRole).toString(), QStringLiteral("lb"));
        for (int row = 0; row < model.rowCount(); ++row) {
            QCOMPARE(model.data(model.index(row), ServiceGraphModel::HealthRole).value<Health>(), Health::Unknown);
            QCOMPARE(model.data(model.index(row), ServiceGraphModel::HealthTextRole).toString(), QStringLiteral("nodata"));
        }

        QStringList labels;
        for (const auto &s : model.segments()) {
            labels.append(model.nodes()[s.from].id + QStringLiteral("->") + model.nodes()[s.to].id
                          + QStringLiteral(" [") + s.label + QLatin1Char(']'));
        }
        labels.sort();
        QCOMPARE(labels, (QStringList{
                             QStringLiteral("lb:internal-lb->order [/api/order/*]"),
                             QStringLiteral("lb:internal-lb->user [/api/user/*]"),
                             QStringLiteral("order->payments [1 hop · mesh]"),
                             QStringLiteral("servicea->serviceb [1 hop · dns]"),
                             QStringLiteral("servicea->servicec [1 hop · dns]"),
                             QStringLiteral("serviceb->lb:internal-lb [2 hops · internal-lb]"),
                         }));

        // Layout: callers left of callees; the LB sits between serviceB and user.
        const auto x = [&](const QString &id) { return model.nodes()[model.rowOf(id)].rect.x(); };
        QVERIFY(x(QStringLiteral("servicea")) < x(QStringLiteral("serviceb")));
        QVERIFY(x(QStringLiteral("serviceb")) < x(QStringLiteral("lb:internal-lb")));
        QVERIFY(x(QStringLiteral("lb:internal-lb")) < x(QStringLiteral("user")));
        QCOMPARE(model.segments().size(), 6);
    }

    void edgesThroughADownLbAreDrawnFailing()
    {
        const ProfileLoadResult r = ProfileStore::load(qEnvironmentVariable("HOPSCOPE_TEST_DATA")
            + QStringLiteral("/profiles/valid/demo-like.hopscope.json"));
        QVERIFY(r.ok());
        ServiceGraphModel model;
        model.setProfile(*r.profile);
        Topology t;
        for (const EdgeSpec &e : r.profile->edges) {
            EdgeNode n;
            n.from = e.from;
            n.to = e.to;
            n.via = e.viaText();
            if (e.via == EdgeSpec::Via::LoadBalancer) {
                n.health = Health::Down;
                n.reason = QStringLiteral("internal-lb: unreachable: connection refused");
            }
            t.edges.append(n);
        }
        QSignalSpy geometry(&model, &ServiceGraphModel::geometryChanged);
        QSignalSpy restyled(&model, &ServiceGraphModel::edgesRestyled);
        model.setTopology(t);
        // Nothing moved: the painted view repaints only those edges, not the whole graph.
        QCOMPARE(geometry.size(), 0);
        QCOMPARE(restyled.size(), 1);
        QList<int> expected;
        for (int i = 0; i < model.segments().size(); ++i) {
            if (model.segments()[i].fails()) {
                expected.append(i);
            }
        }
        QCOMPARE(restyled.first().first().value<QList<int>>(), expected);
        QStringList failing;
        for (const auto &s : model.segments()) {
            if (s.fails()) {
                failing.append(model.nodes()[s.from].id + QStringLiteral("->")
                    + model.nodes()[s.to].id + QStringLiteral(" [") + s.label + QStringLiteral("] ")
                    + healthName(s.failing));
                QVERIFY2(s.failReason.contains(QStringLiteral("connection refused")),
                    qPrintable(s.failReason));
            }
        }
        failing.sort();
        QCOMPARE(failing,
            (QStringList {
                QStringLiteral("lb:internal-lb->order [✖ /api/order/*] down"),
                QStringLiteral("lb:internal-lb->user [✖ /api/user/*] down"),
                QStringLiteral("serviceb->lb:internal-lb [✖ 2 hops · internal-lb] down"),
            }));
        // Another poll of the dead LB, with a new reason (how long it has been down): the
        // reason is kept, nothing is drawn differently, so nothing is repainted.
        for (EdgeNode &e : t.edges) {
            if (e.health == Health::Down) {
                e.reason = QStringLiteral("internal-lb: unreachable for 12 s");
            }
        }
        model.setTopology(t);
        QCOMPARE(restyled.size(), 1);
        QCOMPARE(geometry.size(), 0);
        for (int i : std::as_const(expected)) {
            QCOMPARE(model.segments()[i].failReason,
                QStringLiteral("internal-lb: unreachable for 12 s"));
        }
        // The same edges in another order, each with its own reason: each segment still takes
        // its own edge's (the model remembers where each edge was and must notice it moved).
        std::reverse(t.edges.begin(), t.edges.end());
        for (EdgeNode &e : t.edges) {
            if (e.health == Health::Down) {
                e.reason = QStringLiteral("internal-lb: unreachable, edge ") + e.from
                    + QLatin1Char('>') + e.to;
            }
        }
        model.setTopology(t);
        QCOMPARE(restyled.size(), 1);
        for (int i : std::as_const(expected)) {
            const auto &seg = model.segments()[i];
            QCOMPARE(seg.failReason, QStringLiteral("internal-lb: unreachable, edge ") + seg.sourceEdge);
        }
        // The LB answers again: the marks go, the labels are the plain ones.
        for (EdgeNode &e : t.edges) {
            e.health = e.via.startsWith(u"lb:") ? Health::Healthy : Health::Unknown;
        }
        model.setTopology(t);
        QCOMPARE(restyled.size(), 2);
        QCOMPARE(restyled.last().first().value<QList<int>>(), expected);
        QCOMPARE(geometry.size(), 0);
        for (const auto &s : model.segments()) {
            QVERIFY(!s.fails());
            QVERIFY2(!s.label.startsWith(healthIcon(Health::Down)), qPrintable(s.label));
        }
    }

    // A poll updates the chips of the services whose targets changed in anything a chip shows
    // (health, reason, sidecar, open drain), only those, and nothing when nothing changed: with
    // the builder's digest per service (what TopologyBuilder gives), and without (0: a topology
    // made by hand, the targets compared).
    void aPollUpdatesOnlyTheChipsThatChanged_data()
    {
        QTest::addColumn<bool>("digest");
        QTest::newRow("builder's digest") << true;
        QTest::newRow("targets compared") << false;
    }

    void aPollUpdatesOnlyTheChipsThatChanged()
    {
        QFETCH(bool, digest);
        using hopscope::testing::demoLikeProfile;
        using hopscope::testing::demoTargets;
        using hopscope::testing::topologyOf;
        const ClusterProfile profile = demoLikeProfile();
        ServiceGraphModel model;
        QAbstractItemModelTester tester(&model);
        model.setProfile(profile);
        Topology t = topologyOf(profile, demoTargets());
        const auto apply = [&] {
            for (ServiceNode &s : t.services) {
                s.chipsDigest = digest ? TopologyBuilder::chipsDigest(s.targets) : 0;
            }
            model.setTopology(t);
        };
        apply();
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        const auto tasksChangedRows = [&] {
            QList<int> rows;
            for (const QList<QVariant> &args : std::as_const(changed)) {
                if (args[2].value<QList<int>>().contains(ServiceGraphModel::TasksRole)) {
                    for (int r = args[0].toModelIndex().row(); r <= args[1].toModelIndex().row();
                         ++r) {
                        rows.append(r);
                    }
                }
            }
            changed.clear();
            return rows;
        };
        apply(); // the same picture again
        QCOMPARE(changed.size(), 0);
        const auto target = [&](const QString &service, int i) -> TargetNode & {
            for (ServiceNode &s : t.services) {
                if (s.id == service) {
                    return s.targets[i];
                }
            }
            qFatal("no such service");
        };
        const int rowB = model.rowOf(QStringLiteral("serviceb"));
        const int rowC = model.rowOf(QStringLiteral("servicec"));
        const auto chip = [&](int row, int i) { return model.nodes()[row].tasks[i]; };
        target(QStringLiteral("serviceb"), 1).reason = QStringLiteral("L7 check timed out");
        apply();
        QCOMPARE(tasksChangedRows(), QList<int> { rowB });
        QCOMPARE(chip(rowB, 1).reason, QStringLiteral("L7 check timed out"));
        target(QStringLiteral("servicec"), 0).sidecar = QStringLiteral("servicec-envoy");
        apply();
        QCOMPARE(tasksChangedRows(), QList<int> { rowC });
        QVERIFY(chip(rowC, 0).sidecar);
        target(QStringLiteral("serviceb"), 0).openDrain = true;
        apply();
        QCOMPARE(tasksChangedRows(), QList<int> { rowB });
        QVERIFY(chip(rowB, 0).openDrain);
        target(QStringLiteral("serviceb"), 0).health = Health::Draining;
        apply();
        QCOMPARE(tasksChangedRows(), QList<int> { rowB });
        QCOMPARE(chip(rowB, 0).health, Health::Draining);
        apply();
        QCOMPARE(changed.size(), 0);
    }
};

QTEST_GUILESS_MAIN(tst_ServiceGraphModel)
#include "tst_ServiceGraphModel.moc"

#include "topology/TargetTableFilter.h"
#include "topology/TruthMatrixModel.h"

#include "TruthFixture.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace hopscope;
using namespace hopscope::testing;

// The truth matrix on topologies TopologyBuilder made from captured real answers: which source
// says what about each task, and the disagreements in words.
class tst_TruthMatrixModel : public QObject
{
    Q_OBJECT

    struct Matrix
    {
        TruthMatrixModel model;
        QAbstractItemModelTester tester { &model,
            QAbstractItemModelTester::FailureReportingMode::QtTest };
        Matrix() { model.setProfile(truthProfile()); }
        int row(const QString &service, const QString &key) const
        {
            return model.rowOf(service, key);
        }
        QString text(int row, int column) const
        {
            return model.index(row, column).data().toString();
        }
        TruthMatrixModel::Says says(int row, int column) const
        {
            return TruthMatrixModel::Says(
                model.index(row, column).data(TruthMatrixModel::SaysRole).toInt());
        }
        QString why(int row) const { return text(row, model.whyColumn()); }
    };

    static const TargetNode &target(const Topology &t, const QString &service, const QString &key)
    {
        const TargetNode *n = t.target(service, key);
        if (!n) {
            qFatal("no target %s/%s", qPrintable(service), qPrintable(key));
        }
        return *n;
    }

private Q_SLOTS:
    void columnsFollowTheProfile()
    {
        Matrix m;
        QCOMPARE(m.model.sources(),
            (QStringList { QStringLiteral("dns"), QStringLiteral("lb:internal-lb"),
                QStringLiteral("mesh:order-1-envoy"), QStringLiteral("mesh:payments-1-envoy"),
                QStringLiteral("mesh:payments-2-envoy") }));
        QCOMPARE(
            m.model
                .headerData(m.model.sourceColumn(QStringLiteral("lb:internal-lb")), Qt::Horizontal)
                .toString(),
            QStringLiteral("internal-lb"));
        QCOMPARE(m.model.headerData(TruthMatrixModel::WhyColumn, Qt::Horizontal).toString(),
            QStringLiteral("Why"));
        QCOMPARE(m.model.headerData(m.model.checkColumn(), Qt::Horizontal).toString(),
            QStringLiteral("Active check"));
        QCOMPARE(m.model.columnCount(), m.model.checkColumn() + 1);
    }

    // HAProxy's captured `show stat`: user1 DOWN L7STS; DNS still lists it.
    void dnsListsWhatTheLoadBalancerHasDown()
    {
        TruthInputs in;
        const Topology topo = in.build();
        Matrix m;
        m.model.setTopology(topo);
        const QString key = QStringLiteral("127.148.27.41:41665");
        const int r = m.row(QStringLiteral("user"), key);
        QVERIFY(r >= 0);
        QVERIFY(m.model.index(r, 0).data(TargetRowModel::DisagreesRole).toBool());
        QCOMPARE(m.model.index(r, TruthMatrixModel::VerdictColumn)
                     .data(TargetRowModel::HealthRole)
                     .value<Health>(),
            Health::Conflict);
        QCOMPARE(m.says(r, m.model.sourceColumn(QStringLiteral("dns"))),
            TruthMatrixModel::Says::InRotation);
        QCOMPARE(m.says(r, m.model.sourceColumn(QStringLiteral("lb:internal-lb"))),
            TruthMatrixModel::Says::OutOfRotation);
        // The LB cell is the server's state in HAProxy's words, as TopologyBuilder observed it.
        const Observation *lb = nullptr;
        for (const Observation &o : target(topo, QStringLiteral("user"), key).observations) {
            if (o.source == u"lb:internal-lb") {
                lb = &o;
            }
        }
        QVERIFY(lb);
        QVERIFY(lb->text.contains(QStringLiteral("L7STS"))); // check_status in the captured CSV
        QVERIFY(
            m.text(r, m.model.sourceColumn(QStringLiteral("lb:internal-lb"))).contains(lb->text));
        QCOMPARE(m.says(r, m.model.checkColumn()), TruthMatrixModel::Says::OutOfRotation);
        QCOMPARE(m.text(r, m.model.checkColumn()),
            healthIcon(Health::Down) + QStringLiteral(" internal-lb: L7STS"));
        QCOMPARE(m.why(r), QStringLiteral("DNS still lists it, internal-lb says DOWN (L7STS)"));
        // Sidecars of other services have no say about a user task.
        QCOMPARE(m.says(r, m.model.sourceColumn(QStringLiteral("mesh:order-1-envoy"))),
            TruthMatrixModel::Says::NotApplicable);
        QCOMPARE(m.text(r, m.model.sourceColumn(QStringLiteral("mesh:order-1-envoy"))), QString());

        // Its sibling user2: everyone agrees.
        const int ok = m.row(QStringLiteral("user"), QStringLiteral("127.148.27.42:41665"));
        QVERIFY(ok >= 0);
        QVERIFY(!m.model.index(ok, 0).data(TargetRowModel::DisagreesRole).toBool());
        QCOMPARE(m.why(ok), QStringLiteral("The sources agree: in rotation"));
        QCOMPARE(m.says(ok, m.model.checkColumn()), TruthMatrixModel::Says::InRotation);
    }

    // The Envoy emulator's captured /clusters: order-1-envoy's payments host .61 fails its
    // active health check (attributed to the task by its sidecar's IP, Consul style).
    void callerSidecarFailsItsActiveCheck()
    {
        TruthInputs in;
        Matrix m;
        m.model.setTopology(in.build());
        const int bad = m.row(QStringLiteral("payments"), QStringLiteral("127.6.223.61:44787"));
        const int good = m.row(QStringLiteral("payments"), QStringLiteral("127.6.223.62:44787"));
        QVERIFY(bad >= 0 && good >= 0);
        const int caller = m.model.sourceColumn(QStringLiteral("mesh:order-1-envoy"));
        QCOMPARE(m.says(bad, caller), TruthMatrixModel::Says::OutOfRotation);
        QVERIFY(m.text(bad, caller).contains(QStringLiteral("failed_active_hc")));
        QCOMPARE(m.says(good, caller), TruthMatrixModel::Says::InRotation);
        QVERIFY(m.model.index(bad, 0).data(TargetRowModel::DisagreesRole).toBool());
        QVERIFY(!m.model.index(good, 0).data(TargetRowModel::DisagreesRole).toBool());
        QVERIFY2(m.why(bad).startsWith(QStringLiteral(
                     "DNS still lists it, its sidecar payments-1-envoy says sidecar LIVE, "
                     "order-1-envoy says failed_active_hc")),
            qPrintable(m.why(bad)));
        QCOMPARE(m.text(bad, m.model.checkColumn()),
            healthIcon(Health::Down) + QStringLiteral(" order-1-envoy: failed_active_hc"));
        // The own sidecar speaks only for its own task; the load balancer not at all.
        QCOMPARE(m.says(good, m.model.sourceColumn(QStringLiteral("mesh:payments-1-envoy"))),
            TruthMatrixModel::Says::NotApplicable);
        QCOMPARE(m.says(good, m.model.sourceColumn(QStringLiteral("mesh:payments-2-envoy"))),
            TruthMatrixModel::Says::InRotation);
        QCOMPARE(m.says(good, m.model.sourceColumn(QStringLiteral("lb:internal-lb"))),
            TruthMatrixModel::Says::NotApplicable);
    }

    void dnsDroppedWhatTheLoadBalancerStillRoutesTo()
    {
        TruthInputs in;
        in.unlist(QStringLiteral("user"), QStringLiteral("127.148.27.42"), true);
        Matrix m;
        m.model.setTopology(in.build());
        const int r = m.row(QStringLiteral("user"), QStringLiteral("127.148.27.42:41665"));
        QVERIFY(r >= 0);
        QCOMPARE(m.says(r, m.model.sourceColumn(QStringLiteral("dns"))),
            TruthMatrixModel::Says::OutOfRotation);
        QVERIFY(m.text(r, m.model.sourceColumn(QStringLiteral("dns")))
                    .contains(QStringLiteral("removed at")));
        QVERIFY(m.model.index(r, 0).data(TargetRowModel::DisagreesRole).toBool());
        QVERIFY2(m.why(r).startsWith(QStringLiteral(
                     "internal-lb routes to it (UP, L7OK), DNS stopped listing it at ")),
            qPrintable(m.why(r)));
    }

    void dnsListsWhatNoLoadBalancerKnows()
    {
        TruthInputs in;
        in.list(QStringLiteral("user"), QStringLiteral("127.148.27.43"));
        Matrix m;
        m.model.setTopology(in.build());
        const int r = m.row(QStringLiteral("user"), QStringLiteral("127.148.27.43:41665"));
        QVERIFY(r >= 0);
        QCOMPARE(m.says(r, m.model.sourceColumn(QStringLiteral("lb:internal-lb"))),
            TruthMatrixModel::Says::Absent);
        QCOMPARE(m.why(r), QStringLiteral("DNS still lists it, internal-lb has no server for it"));
    }

    // No fresh data is no disagreement: the stale load balancer's cells are unknown.
    void staleLoadBalancerIsUnknownNotADisagreement()
    {
        TruthInputs in;
        SourceState stale = TruthInputs::fresh(in.now.addSecs(-30));
        stale.stale = true;
        in.in.lbState.insert(QStringLiteral("internal-lb"), stale);
        Matrix m;
        m.model.setTopology(in.build());
        const int r = m.row(QStringLiteral("user"), QStringLiteral("127.148.27.41:41665"));
        QCOMPARE(m.says(r, m.model.sourceColumn(QStringLiteral("lb:internal-lb"))),
            TruthMatrixModel::Says::Unknown);
        QVERIFY(m.text(r, m.model.sourceColumn(QStringLiteral("lb:internal-lb")))
                    .endsWith(QStringLiteral("(stale)")));
        QVERIFY(!m.model.index(r, 0).data(TargetRowModel::DisagreesRole).toBool());
        QVERIFY2(m.why(r).contains(QStringLiteral("no fresh data from internal-lb")),
            qPrintable(m.why(r)));
    }

    // A second poll: only the rows whose picture changed get dataChanged; a target gone is a
    // row removed, a new one a row inserted; never a reset.
    void updatesIncrementally()
    {
        TruthInputs in;
        Matrix m;
        m.model.setTopology(in.build());
        const int before = m.model.rowCount();
        QSignalSpy changed(&m.model, &QAbstractItemModel::dataChanged);
        QSignalSpy inserted(&m.model, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(&m.model, &QAbstractItemModel::rowsRemoved);
        QSignalSpy reset(&m.model, &QAbstractItemModel::modelReset);
        m.model.setTopology(in.build());
        QCOMPARE(changed.size() + inserted.size() + removed.size() + reset.size(), 0);

        in.list(QStringLiteral("user"), QStringLiteral("127.148.27.43"));
        m.model.setTopology(in.build());
        QCOMPARE(inserted.size(), 1);
        const int newRow = m.row(QStringLiteral("user"), QStringLiteral("127.148.27.43:41665"));
        QCOMPARE(inserted[0][1].toInt(), newRow);
        QCOMPARE(inserted[0][2].toInt(), newRow);
        QCOMPARE(m.model.rowCount(), before + 1);
        QCOMPARE(changed.size(), 0);

        in.unlist(QStringLiteral("user"), QStringLiteral("127.148.27.43"), false);
        in.unlist(QStringLiteral("user"), QStringLiteral("127.148.27.42"), true);
        m.model.setTopology(in.build());
        QCOMPARE(removed.size(), 1);
        QCOMPARE(removed[0][1].toInt(), newRow);
        QCOMPARE(changed.size(), 1);
        const int r = m.row(QStringLiteral("user"), QStringLiteral("127.148.27.42:41665"));
        QCOMPARE(changed[0][0].value<QModelIndex>().row(), r);
        QCOMPARE(changed[0][1].value<QModelIndex>().row(), r);
        QCOMPARE(reset.size(), 0);
        QCOMPARE(m.model.rowCount(), before);
    }

    void onlyDisagreementsFilter()
    {
        TruthInputs in;
        Matrix m;
        m.model.setTopology(in.build());
        TargetTableFilter filter;
        filter.setSourceModel(&m.model);
        QAbstractItemModelTester tester(
            &filter, QAbstractItemModelTester::FailureReportingMode::QtTest);
        filter.setState(TargetTableFilter::State::Disagreeing);
        QStringList keys;
        for (int i = 0; i < filter.rowCount(); ++i) {
            keys.append(filter.index(i, 0).data(TargetRowModel::TargetKeyRole).toString());
        }
        keys.sort();
        QCOMPARE(keys,
            (QStringList {
                QStringLiteral("127.148.27.41:41665"), QStringLiteral("127.6.223.61:44787") }));
        filter.setState(TargetTableFilter::State::All);
        QCOMPARE(filter.rowCount(), m.model.rowCount());
    }
};

QTEST_GUILESS_MAIN(tst_TruthMatrixModel)
#include "tst_TruthMatrixModel.moc"

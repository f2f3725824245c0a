// What the undo of each drain step says it does: the inverse action, never the drain's own words
// ("undo: DNS: remove serviceb…" read as if the undo removed the record again).

#include "ops/UndoDescription.h"

#include <QTest>

using namespace hopscope;

class tst_UndoDescription : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void saysTheInverseOfEachStep()
    {
        DrainStep dns;
        dns.kind = DrainStepKind::DnsRemove;
        dns.zone = QStringLiteral("corp.internal");
        dns.records = { { QStringLiteral("serviceb.corp.internal."), QStringLiteral("A"),
            QStringLiteral("10.0.0.12"), 10 } };
        dns.description = QStringLiteral(
            "DNS: remove serviceb.corp.internal. 10 IN A 10.0.0.12 from zone corp.internal");
        const QString d = undoDescription(dns);
        QVERIFY2(
            d.contains(QStringLiteral("re-add ") + dns.records.first().toString()), qPrintable(d));
        QVERIFY2(!d.contains(QStringLiteral("DNS: remove")), qPrintable(d));

        DrainStep lb;
        lb.kind = DrainStepKind::LbDrain;
        lb.loadBalancer = QStringLiteral("internal-lb");
        lb.backend = QStringLiteral("be_serviceb");
        lb.server = QStringLiteral("b2");
        lb.description
            = QStringLiteral("load balancer internal-lb: set server be_serviceb/b2 state drain");
        QCOMPARE(undoDescription(lb),
            QStringLiteral(
                "undo load balancer drain: internal-lb: set server be_serviceb/b2 state ready"));

        DrainStep sc;
        sc.kind = DrainStepKind::SidecarFail;
        sc.sidecar = QStringLiteral("payments-1-envoy");
        sc.description = QStringLiteral("sidecar payments-1-envoy: POST /healthcheck/fail");
        const QString s = undoDescription(sc);
        QVERIFY2(s.contains(QStringLiteral("POST /healthcheck/ok"))
                && !s.contains(QStringLiteral("/healthcheck/fail")),
            qPrintable(s));
    }
};

QTEST_GUILESS_MAIN(tst_UndoDescription)
#include "tst_UndoDescription.moc"

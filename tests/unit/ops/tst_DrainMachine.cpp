// DrainController as a state machine over fake layers, no servers (issue 11): every transition
// from a table — each layer's step refused, unanswered (the change made or lost), prepared with an
// error or with nothing to send, never observed; the countdown holding and timing out; undo after
// a partial failure and after "may have happened"; the fresh re-check under the lock failing;
// restart from the audit log written by a previous controller; the lock held by another.
// Each fake layer acts on a shared fake cluster ("world"), so undo is verified by observing the
// world, never by a reply; each fake send checks that its intent is the last line on disk
// (write-ahead). Short timeouts, QTRY_*, no sleeps.

#include "FakeDrainLayers.h"

#include "ops/AuditReader.h"
#include "ops/DrainController.h"
#include "ops/DrainLock.h"

#include <QMetaEnum>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <memory>

using namespace hopscope;
using namespace hopscope::fake;
using State = DrainController::State;

namespace {

const QString s_target = QStringLiteral("10.0.0.2:8000");

QString stateName(State s)
{
    return QString::fromLatin1(QMetaEnum::fromType<State>().valueToKey(int(s)));
}

bool settled(State s)
{
    return s != State::Running && s != State::Undoing && s != State::Watching;
}

QStringList layerNames(const QList<DrainStep> &steps)
{
    QStringList out;
    for (const DrainStep &s : steps) {
        out << DrainStep::kindName(s.kind);
    }
    return out;
}

} // namespace

class tst_DrainMachine : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    World m_world;
    std::unique_ptr<AuditLog> m_log;

    std::unique_ptr<DrainController> controller()
    {
        auto c = std::make_unique<DrainController>(
            std::make_unique<FakeLayers>(&m_world), m_log.get());
        c->setVerifyTimeoutMs(300);
        c->setWatchTimeoutMs(400);
        c->setTickMs(20);
        c->setRepollMs(5);
        return c;
    }

    // Plans, confirms and executes; returns the states it went through.
    QStringList drain(DrainController &c)
    {
        QStringList states;
        connect(
            &c, &DrainController::stateChanged, &c, [&states](State s) { states << stateName(s); });
        c.makePlan(s_target, DrainForce::No);
        if (!c.confirm({})) {
            return states;
        }
        c.execute();
        [&] { QTRY_VERIFY_WITH_TIMEOUT(settled(c.state()), 5000); }();
        disconnect(&c, &DrainController::stateChanged, &c, nullptr);
        return states;
    }

    QStringList undo(DrainController &c)
    {
        QStringList states;
        connect(
            &c, &DrainController::stateChanged, &c, [&states](State s) { states << stateName(s); });
        QSignalSpy finished(&c, &DrainController::undoFinished);
        c.undo();
        [&] { QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 5000); }();
        disconnect(&c, &DrainController::stateChanged, &c, nullptr);
        return states;
    }

    void checkLog(const QString &openLayers, const QString &maybe)
    {
        QVERIFY2(m_world.violations.isEmpty(), qPrintable(m_world.violations.join(u'\n')));
        const AuditVerifyResult v = AuditLog::verify(m_log->filePath());
        QVERIFY2(v.ok(), "the audit log does not verify");
        QString error;
        const auto open = AuditReader::openDrain(m_log->filePath(), s_target, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(open ? layerNames(open->steps).join(u' ') : QString(), openLayers);
        QCOMPARE(open ? open->uncertainLayers.join(u' ') : QString(), maybe);
    }

private Q_SLOTS:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_world = {};
        m_world.auditPath = m_dir.filePath(
            QStringLiteral("%1.audit.jsonl")
                .arg(QTest::currentDataTag()
                        ? QString::fromLatin1(QTest::currentDataTag()).replace(u' ', u'-')
                        : QString::fromLatin1(QTest::currentTestFunction())));
        QFile::remove(m_world.auditPath);
        m_log = std::make_unique<AuditLog>(m_world.auditPath);
    }

    void transitions_data()
    {
        QTest::addColumn<QString>("dns");
        QTest::addColumn<QString>("lb");
        QTest::addColumn<QString>("sidecar");
        QTest::addColumn<QString>("fresh"); // "", "never", "lastHealthy"
        QTest::addColumn<QString>("states");
        QTest::addColumn<QString>("sends");
        QTest::addColumn<QString>("done"); // doneSteps() after the drain (and open in the log)
        QTest::addColumn<QString>("maybe"); // uncertainLayers() (and in the log)
        QTest::addColumn<QString>("undoStates");
        QTest::addColumn<QString>("undoSends");

        // One transition per row (clang-format would put each cell on its own line).
        // clang-format off
        const QString all = QStringLiteral("dns-remove lb-drain sidecar-fail");
        const QString sentAll = QStringLiteral("dns-remove:apply lb-drain:apply sidecar-fail:apply");
        const QString undoAll = QStringLiteral("sidecar-fail:undo lb-drain:undo dns-remove:undo");
        const QString safe = QStringLiteral("Planned Running Watching Safe");
        const QString timedOut = QStringLiteral("Planned Running Watching TimedOut");
        const QString failed = QStringLiteral("Planned Running Failed");
        const QString undone = QStringLiteral("Undoing Undone");
        const QString undoFailed = QStringLiteral("Undoing Failed");

        // row << dns << lb << sidecar << fresh
        //     << states << sends << done << maybe << undoStates << undoSends
        QTest::newRow("all observed, safe") << "" << "" << "" << ""
            << safe << sentAll << all << "" << undone << undoAll;
        QTest::newRow("holds a while, then safe") << "hold=3" << "hold=2" << "" << ""
            << safe << sentAll << all << "" << undone << undoAll;
        QTest::newRow("holds on, timed out") << "" << "hold=-1" << "" << ""
            << timedOut << sentAll << all << "" << undone << undoAll;
        QTest::newRow("dns refused") << "reply=refused" << "" << "" << ""
            << failed << "dns-remove:apply" << "" << "" << undone << "";
        QTest::newRow("dns no answer, applied") << "reply=noanswer" << "" << "" << ""
            << failed << "dns-remove:apply" << "dns-remove" << "dns-remove" << undone << "dns-remove:undo";
        QTest::newRow("dns no answer, request lost") << "reply=lost" << "" << "" << ""
            << failed << "dns-remove:apply" << "dns-remove" << "dns-remove" << undone << "dns-remove:undo";
        QTest::newRow("dns cannot be prepared") << "prep=error" << "" << "" << ""
            << failed << "" << "" << "" << undone << "";
        QTest::newRow("dns never observed") << "unseen" << "" << "" << ""
            << failed << "dns-remove:apply" << "dns-remove" << "" << undone << "dns-remove:undo";
        QTest::newRow("lb refused") << "" << "reply=refused" << "" << ""
            << failed << "dns-remove:apply lb-drain:apply" << "dns-remove" << "" << undone << "dns-remove:undo";
        QTest::newRow("lb no answer") << "" << "reply=noanswer" << "" << ""
            << failed << "dns-remove:apply lb-drain:apply" << "dns-remove lb-drain" << "lb-drain" << undone << "lb-drain:undo dns-remove:undo";
        QTest::newRow("lb nothing to send") << "" << "prep=nothing" << "" << ""
            << safe << "dns-remove:apply sidecar-fail:apply" << all << "" << undone << undoAll;
        QTest::newRow("lb never observed") << "" << "unseen" << "" << ""
            << failed << "dns-remove:apply lb-drain:apply" << "dns-remove lb-drain" << "" << undone << "lb-drain:undo dns-remove:undo";
        QTest::newRow("sidecar refused") << "" << "" << "reply=refused" << ""
            << failed << sentAll << "dns-remove lb-drain" << "" << undone << "lb-drain:undo dns-remove:undo";
        QTest::newRow("sidecar no answer") << "" << "" << "reply=noanswer" << ""
            << failed << sentAll << all << "sidecar-fail" << undone << undoAll;
        QTest::newRow("sidecar cannot be prepared") << "" << "" << "prep=error" << ""
            << failed << "dns-remove:apply lb-drain:apply" << "dns-remove lb-drain" << "" << undone << "lb-drain:undo dns-remove:undo";
        QTest::newRow("not observed afresh under the lock") << "" << "" << "" << "never"
            << failed << "" << "" << "" << undone << "";
        QTest::newRow("last healthy on the re-check") << "" << "" << "" << "lastHealthy"
            << failed << "" << "" << "" << undone << "";
        QTest::newRow("undo refused by one layer") << "" << "undo=refused" << "reply=noanswer" << ""
            << failed << sentAll << all << "sidecar-fail" << undoFailed << undoAll;
        QTest::newRow("undo unanswered") << "undo=noanswer" << "" << "" << ""
            << safe << sentAll << all << "" << undoFailed << undoAll;
        QTest::newRow("undo never observed") << "undounseen" << "" << "" << ""
            << safe << sentAll << all << "" << undoFailed << undoAll;
        QTest::newRow("check after undo") << "" << "after" << "" << ""
            << safe << sentAll << all << "" << undone << undoAll;
        QTest::newRow("check after undo fails") << "" << "afterunseen" << "" << ""
            << safe << sentAll << all << "" << undoFailed << undoAll;
        // clang-format on
    }

    void transitions()
    {
        QFETCH(QString, dns);
        QFETCH(QString, lb);
        QFETCH(QString, sidecar);
        QFETCH(QString, fresh);
        m_world.scripts.insert(QStringLiteral("dns-remove"), Script::parse(dns));
        m_world.scripts.insert(QStringLiteral("lb-drain"), Script::parse(lb));
        m_world.scripts.insert(QStringLiteral("sidecar-fail"), Script::parse(sidecar));
        for (auto it = m_world.scripts.cbegin(); it != m_world.scripts.cend(); ++it) {
            m_world.holds.insert(it.key(), it->hold);
        }
        m_world.freshNever = fresh == u"never";
        m_world.lastHealthyOnRecheck = fresh == u"lastHealthy";

        auto c = controller();
        QSignalSpy failed(c.get(), &DrainController::failed);
        QTEST(drain(*c).join(u' '), "states");
        QTEST(m_world.sends.join(u' '), "sends");
        QTEST(layerNames(c->doneSteps()).join(u' '), "done");
        QTEST(c->uncertainLayers().join(u' '), "maybe");
        QFETCH(QString, done);
        QFETCH(QString, maybe);
        checkLog(done, maybe);
        if (c->state() == State::Failed) {
            QVERIFY(!failed.isEmpty());
            const QString why = failed.last().first().toString();
            // The message says what the operator can do about the layers left changed.
            if (!maybe.isEmpty()) {
                QVERIFY2(why.contains(QStringLiteral("MAY HAVE HAPPENED")), qPrintable(why));
            } else if (done.isEmpty()) {
                QVERIFY2(why.contains(QStringLiteral("nothing")), qPrintable(why));
            } else {
                QVERIFY2(why.contains(QStringLiteral("can be undone")), qPrintable(why));
            }
        }

        m_world.sends.clear();
        const QStringList undoStates = undo(*c);
        QTEST(undoStates.join(u' '), "undoStates");
        QTEST(m_world.sends.join(u' '), "undoSends");
        QVERIFY2(m_world.violations.isEmpty(), qPrintable(m_world.violations.join(u'\n')));
        if (c->state() == State::Undone) {
            // Undo is verified by observing the cluster: nothing is left changed, and the log
            // has no open drain left.
            QCOMPARE(QStringList(m_world.changed.cbegin(), m_world.changed.cend()), QStringList());
            checkLog({}, {});
        } else {
            QCOMPARE(c->state(), State::Failed);
        }
    }

    // A controller started after another stopped (a new `undrain` process) undoes from the log
    // what the first left, "may have happened" included, and afterwards finds nothing to undo.
    void restartFromTheAuditLog()
    {
        m_world.scripts.insert(
            QStringLiteral("lb-drain"), Script::parse(QStringLiteral("reply=noanswer")));
        {
            auto first = controller();
            drain(*first);
            QCOMPARE(first->state(), State::Failed);
        }
        QCOMPARE(QStringList(m_world.changed.cbegin(), m_world.changed.cend()).size(), 2);
        m_world.sends.clear();

        auto second = controller();
        QString why;
        QVERIFY2(second->loadFromAudit(s_target, &why), qPrintable(why));
        QCOMPARE(layerNames(second->doneSteps()).join(u' '), QStringLiteral("dns-remove lb-drain"));
        QCOMPARE(second->uncertainLayers(), QStringList { QStringLiteral("lb-drain") });
        QSignalSpy finished(second.get(), &DrainController::undoFinished);
        second->undo();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 5000);
        QVERIFY2(finished.first().first().toBool(), qPrintable(finished.first().at(1).toString()));
        QVERIFY2(finished.first().at(1).toString().contains(
                     QStringLiteral("lb-drain may have happened")),
            qPrintable(finished.first().at(1).toString()));
        QCOMPARE(m_world.sends.join(u' '), QStringLiteral("lb-drain:undo dns-remove:undo"));
        QVERIFY(m_world.changed.isEmpty());
        checkLog({}, {});

        auto third = controller();
        QVERIFY(!third->loadFromAudit(s_target, &why));
        QVERIFY2(why.contains(QStringLiteral("no drain of %1").arg(s_target)), qPrintable(why));
    }

    // The intent of the second step cannot be written: its command is never sent, and the
    // message says where the log could not be written and what can be undone.
    void intentCannotBeWritten()
    {
        m_world.scripts.insert(
            QStringLiteral("lb-drain"), Script::parse(QStringLiteral("prep=breaklog")));
        auto c = controller();
        QSignalSpy failed(c.get(), &DrainController::failed);
        drain(*c);
        QCOMPARE(c->state(), State::Failed);
        QCOMPARE(m_world.sends.join(u' '), QStringLiteral("dns-remove:apply"));
        QCOMPARE(layerNames(c->doneSteps()).join(u' '), QStringLiteral("dns-remove"));
        QVERIFY(!failed.isEmpty());
        const QString msg = failed.last().first().toString();
        QVERIFY2(msg.contains(m_log->filePath())
                && msg.contains(QStringLiteral(
                    "nothing was sent for lb-drain; 1 step(s) already done can be undone")),
            qPrintable(msg));
    }

    // Another operator holds the cluster's drain lock: nothing is sent, and the message names the
    // holder; undo is refused the same way; once released the drain runs.
    void lockHeldByAnother()
    {
        DrainLock other(DrainLock::pathForLog(m_log->filePath()));
        QString why;
        QVERIFY2(other.tryAcquire(QStringLiteral("10.0.0.3:8000"), 60, &why), qPrintable(why));
        auto c = controller();
        QSignalSpy failed(c.get(), &DrainController::failed);
        c->makePlan(s_target, DrainForce::No);
        QVERIFY(c->confirm({}));
        c->execute();
        QCOMPARE(c->state(), State::Failed);
        QVERIFY(m_world.sends.isEmpty());
        QCOMPARE(failed.size(), 1);
        const QString msg = failed.first().first().toString();
        QVERIFY2(msg.contains(QStringLiteral("PID %1").arg(QCoreApplication::applicationPid()))
                && msg.contains(QStringLiteral("10.0.0.3:8000"))
                && msg.contains(QStringLiteral("nothing was sent")),
            qPrintable(msg));
        QSignalSpy undone(c.get(), &DrainController::undoFinished);
        c->undo();
        QCOMPARE(undone.size(), 1);
        QVERIFY(!undone.first().first().toBool());

        other.release();
        m_world.sends.clear();
        drain(*c);
        QCOMPARE(c->state(), State::Safe);
        QCOMPARE(m_world.sends.size(), 3);
    }
};

QTEST_GUILESS_MAIN(tst_DrainMachine)
#include "tst_DrainMachine.moc"

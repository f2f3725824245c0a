// DrainController as a state machine over fake layers, no servers (issue 11): every transition
// from a table — each layer's step refused, unanswered (the change made or lost), prepared with an
// error or with nothing to send, never observed; the countdown holding and timing out; undo after
// a partial failure and after "may have happened"; the fresh re-check under the lock failing;
// restart from the audit log written by a previous controller; the lock held by another.
// Each fake layer acts on a shared fake cluster ("world"), so undo is verified by observing the
// world, never by a reply; each fake send checks that its intent is the last line on disk
// (write-ahead). Short timeouts, QTRY_*, no sleeps.

#include "ops/AuditReader.h"
#include "ops/DrainController.h"
#include "ops/DrainLayerFactory.h"
#include "ops/DrainLock.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMetaEnum>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <memory>

using namespace hopscope;
using State = DrainController::State;

namespace {

// How one fake layer behaves, from space-separated words (none: everything works):
//   prep=error|nothing   apply: cannot be sent | nothing to send
//   reply=refused        apply: the server says no (not applied)
//   reply=noanswer       apply: applied, the reply is lost
//   reply=lost           apply: the request is lost (not applied), no reply
//   unseen               apply: applied but never observed
//   undo=refused|noanswer|lost, undounseen: the same for the undo
//   hold=N               holds the target for N countdown observations (-1: forever)
//   after / afterunseen  has a check once every layer is undone (observed / never)
struct Script
{
    QString prep, reply, undo;
    bool unseen = false, undoUnseen = false, after = false, afterUnseen = false;
    int hold = 0;

    static Script parse(const QString &text)
    {
        Script s;
        for (const QString &w : text.split(u' ', Qt::SkipEmptyParts)) {
            const QString v = w.section(u'=', 1);
            if (w.startsWith(u"prep=")) {
                s.prep = v;
            } else if (w.startsWith(u"reply=")) {
                s.reply = v;
            } else if (w.startsWith(u"undo=")) {
                s.undo = v;
            } else if (w.startsWith(u"hold=")) {
                s.hold = v.toInt();
            } else if (w == u"unseen") {
                s.unseen = true;
            } else if (w == u"undounseen") {
                s.undoUnseen = true;
            } else if (w == u"after") {
                s.after = true;
            } else if (w == u"afterunseen") {
                s.after = s.afterUnseen = true;
            } else {
                qFatal("unknown script word %s", qPrintable(w));
            }
        }
        return s;
    }
};

// The fake cluster: which layers are changed (drained), the commands that reached it, and the
// write-ahead violations seen.
struct World
{
    QHash<QString, Script> scripts; // by layer name
    QSet<QString> changed;
    QStringList sends; // "dns-remove:apply", ...
    QStringList violations;
    QString auditPath;
    QHash<QString, int> holds; // countdown observations left per layer
    bool freshNever = false;
    bool lastHealthyOnRecheck = false;
    int plans = 0;
};

QJsonObject lastRecord(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return {};
    }
    const QList<QByteArray> lines = f.readAll().split('\n');
    for (auto it = lines.crbegin(); it != lines.crend(); ++it) {
        if (!it->trimmed().isEmpty()) {
            return QJsonDocument::fromJson(*it).object();
        }
    }
    return {};
}

class FakeLayer : public DrainLayer
{
public:
    FakeLayer(const DrainStep &step, World *world)
        : DrainLayer(step)
        , m_world(world)
        , m_script(world->scripts.value(name()))
    {
    }
    QString undoText() const override { return QStringLiteral("put %1 back").arg(name()); }
    void prepare(Direction d) override
    {
        LayerCommand c;
        if (d == Direction::Apply && m_script.prep == u"error") {
            c = {LayerCommand::Kind::Error, QStringLiteral("%1 cannot be reached").arg(name()), {}, {}};
        } else if (d == Direction::Apply && m_script.prep == u"nothing") {
            m_world->changed.insert(name()); // already out of rotation: nothing to send
            c = {LayerCommand::Kind::Nothing, QStringLiteral("%1 already out").arg(name()), {}, {}};
        }
        QTimer::singleShot(0, this, [this, c] { Q_EMIT prepared(c); });
    }
    void send(Direction d) override
    {
        const bool undo = d == Direction::Undo;
        const QJsonObject last = lastRecord(m_world->auditPath);
        if (last.value(QStringLiteral("event")).toString() != (undo ? u"undo-intent" : u"intent")
            || last.value(QStringLiteral("step")).toString() != name()) {
            m_world->violations << QStringLiteral("%1 sent without its intent on disk (last: %2)")
                                       .arg(name(), QString::fromUtf8(QJsonDocument(last).toJson()));
        }
        m_world->sends << name() + (undo ? QStringLiteral(":undo") : QStringLiteral(":apply"));
        const QString reply = undo ? m_script.undo : m_script.reply;
        if (reply != u"refused" && reply != u"lost") {
            if (undo) {
                m_world->changed.remove(name());
            } else {
                m_world->changed.insert(name());
            }
        }
        const LayerReply r{reply == u"refused" ? LayerReply::Kind::Refused
                : reply.isEmpty()              ? LayerReply::Kind::Ok
                                               : LayerReply::Kind::NoAnswer,
            reply.isEmpty() ? QStringLiteral("sent") : QStringLiteral("%1 %2").arg(name(), reply), {}, {}};
        QTimer::singleShot(0, this, [this, r] { Q_EMIT sent(r); });
    }
    bool observable() const override { return true; }
    LayerObservation observe(Direction d) const override
    {
        const bool changed = m_world->changed.contains(name());
        if (d == Direction::Apply) {
            return {changed && !m_script.unseen, QStringLiteral("%1 changed: %2").arg(name()).arg(changed)};
        }
        return {!changed && !m_script.undoUnseen, QStringLiteral("%1 changed: %2").arg(name()).arg(changed)};
    }
    void pollNow() override { QTimer::singleShot(0, this, [this] { Q_EMIT polled(); }); }
    void addHolding(DrainCountdown &c, const QDateTime &) const override
    {
        int &left = m_world->holds[name()];
        if (left != 0) {
            c.holding << QStringLiteral("%1 holds").arg(name());
            if (left > 0) {
                --left;
            }
        }
    }
    bool checksAfterUndo() const override { return m_script.after; }
    LayerObservation observeAfterUndo() const override
    {
        return {!m_script.afterUnseen, QStringLiteral("%1 back").arg(name())};
    }

private:
    World *m_world;
    Script m_script;
};

class FakeLayers : public DrainLayerFactory
{
public:
    explicit FakeLayers(World *world)
        : m_world(world)
    {
    }
    QString profileName() const override { return QStringLiteral("fake"); }
    DrainPlan plan(const QString &target, DrainForce) const override
    {
        DrainPlan p;
        p.profileName = profileName();
        p.target = target;
        p.lastHealthy = m_world->lastHealthyOnRecheck && m_world->plans > 0;
        ++m_world->plans;
        p.capacity = {{QStringLiteral("svc"), QStringLiteral("svc"), 2, 2, 1, QStringLiteral("svc: 1 of 2 remain")}};
        DrainStep dns;
        dns.kind = DrainStepKind::DnsRemove;
        dns.zone = QStringLiteral("zone.test");
        dns.records = {{QStringLiteral("svc.zone.test."), QStringLiteral("A"), QStringLiteral("10.0.0.2"), 30}};
        dns.description = QStringLiteral("remove the record");
        DrainStep lb;
        lb.kind = DrainStepKind::LbDrain;
        lb.loadBalancer = QStringLiteral("lb");
        lb.backend = QStringLiteral("be");
        lb.server = QStringLiteral("s2");
        lb.description = QStringLiteral("drain the slot");
        DrainStep sc;
        sc.kind = DrainStepKind::SidecarFail;
        sc.sidecar = QStringLiteral("sc");
        sc.adminUrl = QUrl(QStringLiteral("http://127.0.0.1:1"));
        sc.description = QStringLiteral("fail the health check");
        p.steps = {dns, lb, sc};
        return p;
    }
    void observeAfresh() override
    {
        if (!m_world->freshNever) {
            QTimer::singleShot(0, this, &DrainLayerFactory::observedAfresh);
        }
    }
    std::unique_ptr<DrainLayer> create(const DrainStep &step, const QString &) override
    {
        return std::make_unique<FakeLayer>(step, m_world);
    }

private:
    World *m_world;
};

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
        auto c = std::make_unique<DrainController>(std::make_unique<FakeLayers>(&m_world), m_log.get());
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
        connect(&c, &DrainController::stateChanged, &c, [&states](State s) { states << stateName(s); });
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
        connect(&c, &DrainController::stateChanged, &c, [&states](State s) { states << stateName(s); });
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
        m_world.auditPath = m_dir.filePath(QStringLiteral("%1.audit.jsonl").arg(QTest::currentDataTag()
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
        QTest::addColumn<QString>("done");  // doneSteps() after the drain (and open in the log)
        QTest::addColumn<QString>("maybe"); // uncertainLayers() (and in the log)
        QTest::addColumn<QString>("undoStates");
        QTest::addColumn<QString>("undoSends");

        const QString all = QStringLiteral("dns-remove lb-drain sidecar-fail");
        const QString sentAll = QStringLiteral("dns-remove:apply lb-drain:apply sidecar-fail:apply");
        const QString undoAll = QStringLiteral("sidecar-fail:undo lb-drain:undo dns-remove:undo");
        const QString ran = QStringLiteral("Planned Running");

        QTest::newRow("all observed, safe") << "" << "" << "" << "" << ran + QStringLiteral(" Watching Safe") << sentAll << all
                                            << "" << "Undoing Undone" << undoAll;
        QTest::newRow("holds a while, then safe") << "hold=3" << "hold=2" << "" << "" << ran + QStringLiteral(" Watching Safe")
                                                  << sentAll << all << "" << "Undoing Undone" << undoAll;
        QTest::newRow("holds on, timed out") << "" << "hold=-1" << "" << "" << ran + QStringLiteral(" Watching TimedOut")
                                             << sentAll << all << "" << "Undoing Undone" << undoAll;
        QTest::newRow("dns refused") << "reply=refused" << "" << "" << "" << ran + QStringLiteral(" Failed")
                                     << "dns-remove:apply" << "" << "" << "Undoing Undone" << "";
        QTest::newRow("dns no answer, applied") << "reply=noanswer" << "" << "" << "" << ran + QStringLiteral(" Failed")
                                                << "dns-remove:apply" << "dns-remove" << "dns-remove"
                                                << "Undoing Undone" << "dns-remove:undo";
        QTest::newRow("dns no answer, request lost") << "reply=lost" << "" << "" << "" << ran + QStringLiteral(" Failed")
                                                     << "dns-remove:apply" << "dns-remove" << "dns-remove"
                                                     << "Undoing Undone" << "dns-remove:undo";
        QTest::newRow("dns cannot be prepared") << "prep=error" << "" << "" << "" << ran + QStringLiteral(" Failed") << ""
                                                << "" << "" << "Undoing Undone" << "";
        QTest::newRow("dns never observed") << "unseen" << "" << "" << "" << ran + QStringLiteral(" Failed")
                                            << "dns-remove:apply" << "dns-remove" << "" << "Undoing Undone"
                                            << "dns-remove:undo";
        QTest::newRow("lb refused") << "" << "reply=refused" << "" << "" << ran + QStringLiteral(" Failed")
                                    << "dns-remove:apply lb-drain:apply" << "dns-remove" << ""
                                    << "Undoing Undone" << "dns-remove:undo";
        QTest::newRow("lb no answer") << "" << "reply=noanswer" << "" << "" << ran + QStringLiteral(" Failed")
                                      << "dns-remove:apply lb-drain:apply" << "dns-remove lb-drain" << "lb-drain"
                                      << "Undoing Undone" << "lb-drain:undo dns-remove:undo";
        QTest::newRow("lb nothing to send") << "" << "prep=nothing" << "" << "" << ran + QStringLiteral(" Watching Safe")
                                            << "dns-remove:apply sidecar-fail:apply" << all << ""
                                            << "Undoing Undone" << undoAll;
        QTest::newRow("lb never observed") << "" << "unseen" << "" << "" << ran + QStringLiteral(" Failed")
                                           << "dns-remove:apply lb-drain:apply" << "dns-remove lb-drain" << ""
                                           << "Undoing Undone" << "lb-drain:undo dns-remove:undo";
        QTest::newRow("sidecar refused") << "" << "" << "reply=refused" << "" << ran + QStringLiteral(" Failed") << sentAll
                                         << "dns-remove lb-drain" << "" << "Undoing Undone"
                                         << "lb-drain:undo dns-remove:undo";
        QTest::newRow("sidecar no answer") << "" << "" << "reply=noanswer" << "" << ran + QStringLiteral(" Failed") << sentAll
                                           << all << "sidecar-fail" << "Undoing Undone" << undoAll;
        QTest::newRow("sidecar cannot be prepared") << "" << "" << "prep=error" << "" << ran + QStringLiteral(" Failed")
                                                    << "dns-remove:apply lb-drain:apply" << "dns-remove lb-drain"
                                                    << "" << "Undoing Undone" << "lb-drain:undo dns-remove:undo";
        QTest::newRow("not observed afresh under the lock") << "" << "" << "" << "never" << ran + QStringLiteral(" Failed") << ""
                                                            << "" << "" << "Undoing Undone" << "";
        QTest::newRow("last healthy on the re-check") << "" << "" << "" << "lastHealthy" << ran + QStringLiteral(" Failed") << ""
                                                      << "" << "" << "Undoing Undone" << "";
        QTest::newRow("undo refused by one layer") << "" << "undo=refused" << "reply=noanswer" << ""
                                                   << ran + QStringLiteral(" Failed") << sentAll << all << "sidecar-fail"
                                                   << "Undoing Failed" << undoAll;
        QTest::newRow("undo unanswered") << "undo=noanswer" << "" << "" << "" << ran + QStringLiteral(" Watching Safe") << sentAll
                                         << all << "" << "Undoing Failed" << undoAll;
        QTest::newRow("undo never observed") << "undounseen" << "" << "" << "" << ran + QStringLiteral(" Watching Safe") << sentAll
                                             << all << "" << "Undoing Failed" << undoAll;
        QTest::newRow("check after undo") << "" << "after" << "" << "" << ran + QStringLiteral(" Watching Safe") << sentAll << all
                                          << "" << "Undoing Undone" << undoAll;
        QTest::newRow("check after undo fails") << "" << "afterunseen" << "" << "" << ran + QStringLiteral(" Watching Safe")
                                                << sentAll << all << "" << "Undoing Failed" << undoAll;
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
        m_world.scripts.insert(QStringLiteral("lb-drain"), Script::parse(QStringLiteral("reply=noanswer")));
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
        QCOMPARE(second->uncertainLayers(), QStringList{QStringLiteral("lb-drain")});
        QSignalSpy finished(second.get(), &DrainController::undoFinished);
        second->undo();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 5000);
        QVERIFY2(finished.first().first().toBool(), qPrintable(finished.first().at(1).toString()));
        QVERIFY2(finished.first().at(1).toString().contains(QStringLiteral("lb-drain may have happened")),
            qPrintable(finished.first().at(1).toString()));
        QCOMPARE(m_world.sends.join(u' '), QStringLiteral("lb-drain:undo dns-remove:undo"));
        QVERIFY(m_world.changed.isEmpty());
        checkLog({}, {});

        auto third = controller();
        QVERIFY(!third->loadFromAudit(s_target, &why));
        QVERIFY2(why.contains(QStringLiteral("no drain of %1").arg(s_target)), qPrintable(why));
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
                && msg.contains(QStringLiteral("10.0.0.3:8000")) && msg.contains(QStringLiteral("nothing was sent")),
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

#pragma once

// Fake drain layers for tst_DrainMachine: each acts on a shared fake cluster (World) following a
// small script, so the controller's transitions can be driven without servers.

#include "ops/DrainLayerFactory.h"

#include <QDir>
#include <QFile>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTimer>

#include <memory>

namespace hopscope::fake {

// How one fake layer behaves, from space-separated words (none: everything works):
//   prep=error|nothing   apply: cannot be sent | nothing to send
//   prep=breaklog        apply: the audit log cannot be written from now on (a directory
//                        takes its place)
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

inline QJsonObject lastRecord(const QString &path)
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
    { }
    QString undoText() const override { return QStringLiteral("put %1 back").arg(name()); }
    void prepare(Direction d) override
    {
        LayerCommand c;
        if (d == Direction::Apply && m_script.prep == u"error") {
            c = { LayerCommand::Kind::Error, QStringLiteral("%1 cannot be reached").arg(name()), {},
                {} };
        } else if (d == Direction::Apply && m_script.prep == u"nothing") {
            m_world->changed.insert(name()); // already out of rotation: nothing to send
            c = { LayerCommand::Kind::Nothing, QStringLiteral("%1 already out").arg(name()), {},
                {} };
        }
        if (d == Direction::Apply && m_script.prep == u"breaklog") {
            QFile::rename(m_world->auditPath, m_world->auditPath + QStringLiteral(".moved"));
            QDir().mkpath(m_world->auditPath);
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
                                       .arg(
                                           name(), QString::fromUtf8(QJsonDocument(last).toJson()));
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
        const LayerReply r { reply == u"refused" ? LayerReply::Kind::Refused
                : reply.isEmpty()                ? LayerReply::Kind::Ok
                                                 : LayerReply::Kind::NoAnswer,
            reply.isEmpty() ? QStringLiteral("sent") : QStringLiteral("%1 %2").arg(name(), reply),
            {}, {} };
        QTimer::singleShot(0, this, [this, r] { Q_EMIT sent(r); });
    }
    bool observable() const override { return true; }
    LayerObservation observe(Direction d) const override
    {
        const bool changed = m_world->changed.contains(name());
        if (d == Direction::Apply) {
            return { changed && !m_script.unseen,
                QStringLiteral("%1 changed: %2").arg(name()).arg(changed) };
        }
        return { !changed && !m_script.undoUnseen,
            QStringLiteral("%1 changed: %2").arg(name()).arg(changed) };
    }
    void pollNow() override
    {
        QTimer::singleShot(0, this, [this] { Q_EMIT polled(); });
    }
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
        return { !m_script.afterUnseen, QStringLiteral("%1 back").arg(name()) };
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
    { }
    QString profileName() const override { return QStringLiteral("fake"); }
    DrainPlan plan(const QString &target, DrainForce) const override
    {
        DrainPlan p;
        p.profileName = profileName();
        p.target = target;
        p.lastHealthy = m_world->lastHealthyOnRecheck && m_world->plans > 0;
        ++m_world->plans;
        p.capacity = { { QStringLiteral("svc"), QStringLiteral("svc"), 2, 2, 1,
            QStringLiteral("svc: 1 of 2 remain") } };
        DrainStep dns;
        dns.kind = DrainStepKind::DnsRemove;
        dns.zone = QStringLiteral("zone.test");
        dns.records = { { QStringLiteral("svc.zone.test."), QStringLiteral("A"),
            QStringLiteral("10.0.0.2"), 30 } };
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
        p.steps = { dns, lb, sc };
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

} // namespace hopscope::fake

// OpenDrainWatcher: a window's open drains follow the audit log as another writer appends to it —
// the log (and its folder) created by a first drain, closed by its undo, refused when tampered with
// — without a refresh from the window, and a burst of appends costs far fewer reads than appends.

#include "ops/AuditLog.h"
#include "ops/OpenDrainWatcher.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace hopscope;

namespace {

const QString s_target = QStringLiteral("127.0.0.11:8000");

AuditEntry record(const QString &event, bool withStep = false)
{
    AuditEntry e;
    e.event = event;
    e.profile = QStringLiteral("demo (loopback)");
    e.target = s_target;
    e.result = QStringLiteral("ok");
    if (withStep) {
        DrainStep s;
        s.kind = DrainStepKind::LbDrain;
        s.description
            = QStringLiteral("load balancer internal-lb: set server be_user/user1 state drain");
        s.loadBalancer = QStringLiteral("internal-lb");
        s.backend = QStringLiteral("be_user");
        s.server = QStringLiteral("user1");
        e.step = DrainStep::kindName(s.kind);
        e.detail.insert(QStringLiteral("drainStep"), s.toJson());
    }
    return e;
}

bool append(AuditLog &log, const AuditEntry &e)
{
    QString error;
    const bool ok = log.append(e, &error);
    if (!ok) {
        qWarning("append: %s", qPrintable(error));
    }
    return ok;
}

// The next read's result (reads may already be queued: waits for one matching `want`).
bool waitFor(
    QSignalSpy &spy, const std::function<bool(const QList<OpenDrain> &, const QString &)> &want)
{
    for (int rounds = 0; rounds < 20; ++rounds) {
        while (!spy.isEmpty()) {
            const QList<QVariant> args = spy.takeFirst();
            if (want(args.at(0).value<QList<OpenDrain>>(), args.at(1).toString())) {
                return true;
            }
        }
        if (!spy.wait(5000)) {
            return false;
        }
    }
    return false;
}

} // namespace

class tst_OpenDrainWatcher : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void followsAnotherWriter();
    void tamperedLogShowsNoDrainAndSaysWhy();
    void burstIsCoalesced();
};

void tst_OpenDrainWatcher::followsAnotherWriter()
{
    qRegisterMetaType<QList<OpenDrain>>();
    QTemporaryDir dir;
    // Neither the log nor its folders exist yet (no drain was ever logged on this machine).
    const QString path = dir.filePath(QStringLiteral("state/hopscope/cluster.audit.jsonl"));
    OpenDrainWatcher watcher(path);
    QSignalSpy spy(&watcher, &OpenDrainWatcher::openDrainsRead);
    watcher.refresh();
    QVERIFY(
        waitFor(spy, [](const auto &d, const QString &e) { return d.isEmpty() && e.isEmpty(); }));

    AuditLog other(path); // the CLI in another process, as far as the watcher can tell
    QVERIFY(append(other, record(QStringLiteral("plan"))));
    QVERIFY(append(other, record(QStringLiteral("intent"), true)));
    QVERIFY(waitFor(spy, [](const QList<OpenDrain> &d, const QString &e) {
        return e.isEmpty() && d.size() == 1 && d.first().target == s_target
            && d.first().mayHaveHappened;
    }));

    QVERIFY(append(other, record(QStringLiteral("step"), true)));
    QVERIFY(waitFor(spy, [](const QList<OpenDrain> &d, const QString &) {
        return d.size() == 1 && !d.first().mayHaveHappened;
    }));

    QVERIFY(append(other, record(QStringLiteral("undo"))));
    QVERIFY(append(other, record(QStringLiteral("undone"))));
    QVERIFY(
        waitFor(spy, [](const auto &d, const QString &e) { return d.isEmpty() && e.isEmpty(); }));
}

void tst_OpenDrainWatcher::tamperedLogShowsNoDrainAndSaysWhy()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("cluster.audit.jsonl"));
    AuditLog log(path);
    QVERIFY(append(log, record(QStringLiteral("plan"))));
    QVERIFY(append(log, record(QStringLiteral("intent"), true)));
    OpenDrainWatcher watcher(path);
    QSignalSpy spy(&watcher, &OpenDrainWatcher::openDrainsRead);
    watcher.refresh();
    QVERIFY(waitFor(spy, [](const auto &d, const QString &) { return d.size() == 1; }));

    // Someone edits the first record in place: the chain no longer holds.
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadWrite));
    QByteArray bytes = f.readAll();
    const qsizetype at = bytes.indexOf("demo (loopback)");
    QVERIFY(at > 0);
    bytes[at] = 'D';
    QVERIFY(f.seek(0));
    QCOMPARE(f.write(bytes), bytes.size());
    f.close();
    QVERIFY(
        waitFor(spy, [](const auto &d, const QString &e) { return d.isEmpty() && !e.isEmpty(); }));
}

void tst_OpenDrainWatcher::burstIsCoalesced()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("cluster.audit.jsonl"));
    AuditLog log(path);
    QVERIFY(append(log, record(QStringLiteral("plan"))));
    OpenDrainWatcher watcher(path);
    QSignalSpy spy(&watcher, &OpenDrainWatcher::openDrainsRead);
    constexpr int Appends = 40;
    for (int i = 0; i < Appends; ++i) {
        QVERIFY(
            append(log, record(i % 2 ? QStringLiteral("step") : QStringLiteral("intent"), true)));
    }
    QVERIFY(waitFor(spy, [](const QList<OpenDrain> &d, const QString &) {
        return d.size() == 1 && !d.first().mayHaveHappened;
    }));
    // One read per append would be 40; the burst came while the loop was busy.
    QVERIFY2(spy.size() < Appends / 4, qPrintable(QString::number(spy.size())));
}

QTEST_GUILESS_MAIN(tst_OpenDrainWatcher)
#include "tst_OpenDrainWatcher.moc"

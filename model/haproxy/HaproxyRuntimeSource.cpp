#include "haproxy/HaproxyRuntimeSource.h"

#include "haproxy/HaproxyParsers.h"

#include <QFutureWatcher>
#include <QPointer>
#include <QtConcurrent/QtConcurrentRun>

namespace hopscope {

bool parseHaproxyPoll(const QByteArray &stat, const QByteArray *serversState,
    const QByteArray *info, HaproxySnapshot *snapshot, QString *error)
{
    QString why;
    auto st = HaproxyStatParser::parse(stat, &why);
    if (!st) {
        *error = QStringLiteral("show stat: ") + why;
        return false;
    }
    snapshot->stat = std::move(*st);
    if (serversState) {
        auto ss = HaproxyServersStateParser::parse(*serversState, &why);
        if (!ss) {
            *error = QStringLiteral("show servers state: ") + why;
            return false;
        }
        snapshot->serversState = std::move(*ss);
    }
    if (info) {
        auto in = HaproxyInfoParser::parse(*info, &why);
        if (!in) {
            *error = QStringLiteral("show info: ") + why;
            return false;
        }
        snapshot->info = std::move(*in);
    }
    return true;
}

HaproxyRuntimeSource::HaproxyRuntimeSource(QString name, RuntimeEndpoint endpoint, QObject *parent)
    : PollingSource(std::move(name), parent)
    , m_client(std::move(endpoint))
{
    qRegisterMetaType<HaproxySnapshot>();
}

HaproxyRuntimeSource::~HaproxyRuntimeSource() = default;

void HaproxyRuntimeSource::startPoll()
{
    const quint64 generation = ++m_generation;
    // The client's own timeout is a backstop; the poll timeout (cancelPoll) normally fires first.
    m_client.setTimeoutMs(timeoutMs() + 1000);
    QPointer<HaproxyRuntimeSource> self(this);
    m_requestId = m_client.send({ QStringLiteral("show stat"), QStringLiteral("show servers state"),
                                    QStringLiteral("show info") },
        [self, generation](const HaproxyRuntimeReply &reply) {
            if (!self || generation != self->m_generation) {
                return;
            }
            self->m_requestId = 0;
            if (reply.error.isError()) {
                SourceError e = reply.error;
                e.source = self->name();
                self->failPoll(e);
                return;
            }
            self->startParse(generation, reply.outputs);
        });
}

void HaproxyRuntimeSource::startParse(quint64 generation, const QList<QByteArray> &outputs)
{
    // The watcher is a child of this source: destroying the source destroys it, and a parse
    // still running on the pool then reports to no one (no QObject is touched off this thread).
    auto *watcher = new QFutureWatcher<HaproxyParseOutcome>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        const HaproxyParseOutcome out = watcher->result();
        onParsed(generation, out.snapshot, out.error);
    });
    watcher->setFuture(QtConcurrent::run([outputs] {
        HaproxyParseOutcome out;
        QString why;
        if (!parseHaproxyPoll(
                outputs.value(0), &outputs.at(1), &outputs.at(2), &out.snapshot, &why)) {
            out.error.kind = SourceError::Kind::Malformed;
            out.error.message = why;
        }
        return out;
    }));
}

void HaproxyRuntimeSource::cancelPoll()
{
    ++m_generation;
    if (m_requestId) {
        m_client.abort(m_requestId);
        m_requestId = 0;
    }
}

void HaproxyRuntimeSource::onParsed(
    quint64 generation, const HaproxySnapshot &snapshot, const SourceError &error)
{
    if (generation != m_generation) {
        return;
    }
    if (error.isError()) {
        failPoll(makeError(error.kind, error.message));
        return;
    }
    m_snapshot = snapshot;
    m_hasSnapshot = true;
    Q_EMIT snapshotUpdated(m_snapshot);
    finishPoll();
}

} // namespace hopscope

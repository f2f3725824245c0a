#include "haproxy/HaproxyRuntimeSource.h"

#include "haproxy/HaproxyParsers.h"

#include <QPointer>
#include <QRunnable>
#include <QThreadPool>

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
            const QList<QByteArray> outputs = reply.outputs;
            QThreadPool::globalInstance()->start([self, generation, outputs] {
                HaproxySnapshot snap;
                QString why;
                SourceError error;
                if (!parseHaproxyPoll(
                        outputs.value(0), &outputs.at(1), &outputs.at(2), &snap, &why)) {
                    error.kind = SourceError::Kind::Malformed;
                    error.message = why;
                }
                if (self) {
                    QMetaObject::invokeMethod(
                        self.data(),
                        [self, generation, snap, error] {
                            if (self) {
                                self->onParsed(generation, snap, error);
                            }
                        },
                        Qt::QueuedConnection);
                }
            });
        });
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

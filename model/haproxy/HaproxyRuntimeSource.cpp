#include "haproxy/HaproxyRuntimeSource.h"

#include "core/OffThread.h"
#include "haproxy/HaproxyPoll.h"

#include <QPointer>

namespace hopscope {

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
    runOffThread(
        buildThread(), this,
        [outputs] { return parseHaproxyPoll(outputs.value(0), &outputs.at(1), &outputs.at(2)); },
        [this, generation](
            const Parsed<HaproxySnapshot> &parsed) { onParsed(generation, parsed); });
}

void HaproxyRuntimeSource::cancelPoll()
{
    ++m_generation;
    if (m_requestId) {
        m_client.abort(m_requestId);
        m_requestId = 0;
    }
}

void HaproxyRuntimeSource::onParsed(quint64 generation, const Parsed<HaproxySnapshot> &parsed)
{
    if (generation != m_generation) {
        return;
    }
    if (!parsed) {
        failPoll(makeError(SourceError::Kind::Malformed, parsed.errorText()));
        return;
    }
    m_snapshot = parsed.value();
    m_hasSnapshot = true;
    Q_EMIT snapshotReady(m_snapshot);
    finishPoll();
}

} // namespace hopscope

#pragma once

#include "core/SourceError.h"
#include "profile/Endpoint.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>
#include <QPointer>

#include <functional>

class QIODevice;
class QTimer;

namespace hopscope {

// Outcome of one command batch sent to the HAProxy runtime API.
struct HaproxyRuntimeReply
{
    quint64 id = 0;
    QStringList commands;
    QList<QByteArray> outputs; // one per command, without the terminating blank line
    SourceError error; // kind None on success
};

// Outcome of an on-demand mutation (set server state/weight), after HAProxy's reply was checked.
struct HaproxyCommandResult
{
    quint64 id = 0;
    QString command; // "set server be_user/user1 state drain"
    bool ok = false;
    QString reply; // HAProxy's text (empty on success)
    SourceError error;
};

// What `set server B/S state ...` asks for.
enum class HaproxyAdminAction { Ready, Drain, Maint };

// Talks to one HAProxy runtime API endpoint ("unix:PATH" or "tcp:HOST:PORT") without blocking:
// one connection per command batch (non-interactive mode, HAProxy closes after answering), a
// hard total deadline (never restarted by arriving bytes) and a reply size cap per batch (64 KiB
// at most for set server: its answer is an empty line). Lives on its owner's thread; emits
// commandFinished for the on-demand mutations, and calls the callback given to send() for batches.
class HaproxyRuntimeClient : public QObject
{
    Q_OBJECT

public:
    using ReplyCallback = std::function<void(const HaproxyRuntimeReply &)>;

    explicit HaproxyRuntimeClient(RuntimeEndpoint endpoint, QObject *parent = nullptr);
    ~HaproxyRuntimeClient() override;

    RuntimeEndpoint endpoint() const { return m_endpoint; }
    void setTimeoutMs(int ms) { m_timeoutMs = ms; }
    int timeoutMs() const { return m_timeoutMs; }
    // Replies larger than this are refused (the connection is dropped once the cap is passed).
    void setMaxReplyBytes(qint64 bytes) { m_maxReplyBytes = bytes; }
    qint64 maxReplyBytes() const { return m_maxReplyBytes; }

    // Sends `commands` as one `;`-separated line; `done` runs on this object's thread, exactly
    // once, unless abort(id) or destruction comes first. Returns the request id.
    quint64 send(const QStringList &commands, ReplyCallback done);
    void abort(quint64 id);
    int pendingCount() const { return int(m_requests.size()); }

    // On-demand mutations (need a socket at level admin). Return the id found in commandFinished.
    quint64 setServerState(
        const QString &backend, const QString &server, HaproxyAdminAction action);
    quint64 setServerWeight(const QString &backend, const QString &server, int weight);

    // Escapes ';' and '\' as the runtime API wants inside one command line.
    static QString escapeArgument(const QString &argument);

Q_SIGNALS:
    void commandFinished(const hopscope::HaproxyCommandResult &result);

private:
    struct Request;
    quint64 mutate(const QString &command);
    quint64 refuse(const QString &command, const QString &why);
    void onReadyRead(quint64 id);
    void onDisconnected(quint64 id);
    void onSocketError(
        quint64 id, SourceError::Kind kind, const QString &message, const QString &detail);
    void finish(quint64 id, SourceError error);
    SourceError makeError(
        SourceError::Kind kind, const QString &message, const QString &detail = {}) const;

    RuntimeEndpoint m_endpoint;
    int m_timeoutMs = 3000;
    qint64 m_maxReplyBytes = qint64(32) * 1024 * 1024;
    quint64 m_nextId = 1;
    QHash<quint64, Request *> m_requests;
};

} // namespace hopscope

Q_DECLARE_METATYPE(hopscope::HaproxyCommandResult)

#include "haproxy/HaproxyRuntimeClient.h"
#include "core/BoundedRead.h"

#include <algorithm>

#include <QLocalSocket>
#include <QTcpSocket>
#include <QTimer>

namespace hopscope {

namespace {
constexpr qint64 s_maxMutationReplyBytes = 64 * 1024;
} // namespace

struct HaproxyRuntimeClient::Request
{
    quint64 id = 0;
    QStringList commands;
    ReplyCallback done;
    QIODevice *socket = nullptr; // owned (deleteLater)
    QTimer *timer = nullptr; // owned
    QByteArray buffer;
    qint64 maxBytes = 0; // the client's cap, or less for a mutation
    bool failed = false;
};

HaproxyRuntimeClient::HaproxyRuntimeClient(RuntimeEndpoint endpoint, QObject *parent)
    : QObject(parent)
    , m_endpoint(std::move(endpoint))
{
    qRegisterMetaType<HaproxyCommandResult>();
}

HaproxyRuntimeClient::~HaproxyRuntimeClient()
{
    const auto ids = m_requests.keys();
    for (const quint64 id : ids) {
        abort(id);
    }
}

QString HaproxyRuntimeClient::escapeArgument(const QString &argument)
{
    QString out;
    out.reserve(argument.size());
    for (const QChar c : argument) {
        if (c == u';' || c == u'\\') {
            out += u'\\';
        }
        out += c;
    }
    return out;
}

SourceError HaproxyRuntimeClient::makeError(
    SourceError::Kind kind, const QString &message, const QString &detail) const
{
    SourceError e;
    e.kind = kind;
    e.source = QStringLiteral("haproxy ") + m_endpoint.toString();
    e.message = message;
    e.detail = detail;
    e.when = QDateTime::currentDateTimeUtc();
    return e;
}

quint64 HaproxyRuntimeClient::send(const QStringList &commands, ReplyCallback done)
{
    const quint64 id = m_nextId++;
    auto *req = new Request;
    req->id = id;
    req->commands = commands;
    req->done = std::move(done);
    req->maxBytes = m_maxReplyBytes;
    m_requests.insert(id, req);

    req->timer = new QTimer(this);
    req->timer->setSingleShot(true);
    connect(req->timer, &QTimer::timeout, this, [this, id] {
        finish(id,
            makeError(SourceError::Kind::Timeout,
                QStringLiteral("no complete reply within %1 ms").arg(m_timeoutMs)));
    });
    req->timer->start(m_timeoutMs);

    for (const QString &c : commands) {
        if (c.contains(u'\n') || c.trimmed().isEmpty()) {
            // Defer so the callback never runs inside send().
            QTimer::singleShot(0, this, [this, id] {
                finish(id,
                    makeError(SourceError::Kind::Config,
                        QStringLiteral("refusing an empty or multi-line command")));
            });
            return id;
        }
    }
    const QByteArray line = commands.join(u';').toUtf8() + '\n';

    if (m_endpoint.kind == RuntimeEndpoint::Kind::Unix) {
        auto *sock = new QLocalSocket(this);
        req->socket = sock;
        connect(sock, &QLocalSocket::connected, this, [sock, line] { sock->write(line); });
        connect(sock, &QLocalSocket::readyRead, this, [this, id] { onReadyRead(id); });
        connect(sock, &QLocalSocket::disconnected, this, [this, id] { onDisconnected(id); });
        connect(sock, &QLocalSocket::errorOccurred, this,
            [this, id, sock](QLocalSocket::LocalSocketError err) {
                if (err == QLocalSocket::PeerClosedError) {
                    onDisconnected(id);
                    return;
                }
                const QString path = m_endpoint.path;
                switch (err) {
                case QLocalSocket::ServerNotFoundError:
                    onSocketError(id, SourceError::Kind::NotFound,
                        QStringLiteral("no HAProxy runtime socket at %1").arg(path),
                        sock->errorString());
                    break;
                case QLocalSocket::ConnectionRefusedError:
                    onSocketError(id, SourceError::Kind::Network,
                        QStringLiteral("connection refused on %1 (is HAProxy "
                                       "running?)")
                            .arg(path),
                        sock->errorString());
                    break;
                case QLocalSocket::SocketAccessError:
                    onSocketError(id, SourceError::Kind::Auth,
                        QStringLiteral("no permission to open %1").arg(path), sock->errorString());
                    break;
                default:
                    onSocketError(id, SourceError::Kind::Network,
                        QStringLiteral("socket error on %1").arg(path), sock->errorString());
                    break;
                }
            });
        sock->connectToServer(m_endpoint.path);
    } else if (m_endpoint.kind == RuntimeEndpoint::Kind::Tcp) {
        auto *sock = new QTcpSocket(this);
        req->socket = sock;
        connect(sock, &QTcpSocket::connected, this, [sock, line] { sock->write(line); });
        connect(sock, &QTcpSocket::readyRead, this, [this, id] { onReadyRead(id); });
        connect(sock, &QTcpSocket::disconnected, this, [this, id] { onDisconnected(id); });
        connect(sock, &QTcpSocket::errorOccurred, this,
            [this, id, sock](QAbstractSocket::SocketError err) {
                if (err == QAbstractSocket::RemoteHostClosedError) {
                    onDisconnected(id);
                    return;
                }
                const QString where = m_endpoint.tcp.toString();
                const bool refused = err == QAbstractSocket::ConnectionRefusedError;
                const bool notFound = err == QAbstractSocket::HostNotFoundError;
                onSocketError(id,
                    notFound ? SourceError::Kind::NotFound : SourceError::Kind::Network,
                    refused ? QStringLiteral("connection refused by %1 (is HAProxy "
                                             "listening there?)")
                                  .arg(where)
                            : QStringLiteral("cannot talk to %1").arg(where),
                    sock->errorString());
            });
        sock->connectToHost(m_endpoint.tcp.host, m_endpoint.tcp.port);
    } else {
        QTimer::singleShot(0, this, [this, id] {
            finish(id,
                makeError(
                    SourceError::Kind::Config, QStringLiteral("no runtime endpoint configured")));
        });
    }
    return id;
}

void HaproxyRuntimeClient::abort(quint64 id)
{
    Request *req = m_requests.take(id);
    if (!req) {
        return;
    }
    if (req->socket) {
        req->socket->disconnect(this);
        req->socket->close();
        req->socket->deleteLater();
    }
    delete req->timer;
    delete req;
}

void HaproxyRuntimeClient::onReadyRead(quint64 id)
{
    Request *req = m_requests.value(id);
    if (!req || !req->socket) {
        return;
    }
    // Read in bounded chunks: a reply beyond the cap is refused before it is all in memory.
    while (req->socket->bytesAvailable() > 0) {
        const qint64 room = req->maxBytes - req->buffer.size();
        if (room < 0) {
            break;
        }
        req->buffer += readAvailable(*req->socket, std::min<qint64>(room + 1, 1 << 20));
        if (req->buffer.size() > req->maxBytes) {
            finish(id,
                makeError(SourceError::Kind::TooLarge,
                    QStringLiteral("reply larger than %1 bytes; refused").arg(req->maxBytes)));
            return;
        }
    }
}

void HaproxyRuntimeClient::onDisconnected(quint64 id)
{
    Request *req = m_requests.value(id);
    if (!req) {
        return;
    }
    onReadyRead(id);
    if (!m_requests.contains(id)) {
        return; // finished by the size cap
    }
    finish(id, {});
}

void HaproxyRuntimeClient::onSocketError(
    quint64 id, SourceError::Kind kind, const QString &message, const QString &detail)
{
    finish(id, makeError(kind, message, detail));
}

void HaproxyRuntimeClient::finish(quint64 id, SourceError error)
{
    Request *req = m_requests.take(id);
    if (!req) {
        return;
    }
    HaproxyRuntimeReply reply;
    reply.id = id;
    reply.commands = req->commands;
    if (!error.isError()) {
        // Each command's output ends with an empty line, and holds no empty line before it.
        QByteArrayView rest(req->buffer);
        while (!rest.isEmpty() && reply.outputs.size() < req->commands.size()) {
            const qsizetype end = rest.indexOf("\n\n");
            if (end < 0) {
                reply.outputs.append(rest.toByteArray());
                rest = {};
                break;
            }
            reply.outputs.append(rest.first(end + 1).toByteArray());
            rest = rest.sliced(end + 2);
        }
        const QByteArray first = reply.outputs.value(0).trimmed();
        if (first.startsWith("Permission denied")) {
            error = makeError(SourceError::Kind::Refused,
                QStringLiteral("HAProxy said 'Permission denied': the runtime socket "
                               "%1 is below the level this command needs (admin for "
                               "changes)")
                    .arg(m_endpoint.toString()),
                QString::fromUtf8(first.left(200)));
        } else if (first.startsWith("Unknown command")) {
            error = makeError(SourceError::Kind::Refused,
                QStringLiteral("HAProxy does not know the command '%1' (or the "
                               "socket level hides it)")
                    .arg(req->commands.value(0)),
                QString::fromUtf8(first.left(200)));
        } else if (reply.outputs.isEmpty()) {
            // Only a change can "have been applied": a batch of reads ('show …') just lost its
            // answer.
            const bool readsOnly = std::all_of(req->commands.cbegin(), req->commands.cend(),
                [](const QString &c) { return c.trimmed().startsWith(u"show "); });
            error = makeError(SourceError::Kind::Network,
                readsOnly ? QStringLiteral("the connection closed before any reply to '%1'")
                                .arg(req->commands.value(0))
                          : QStringLiteral("the connection closed before any reply: '%1' may or "
                                           "may not have been applied")
                                .arg(req->commands.value(0)));
        } else if (reply.outputs.size() < req->commands.size()) {
            error = makeError(SourceError::Kind::Malformed,
                QStringLiteral("the connection closed after %1 of %2 replies")
                    .arg(reply.outputs.size())
                    .arg(req->commands.size()));
        }
    }
    reply.error = error;
    if (req->socket) {
        req->socket->disconnect(this);
        req->socket->close();
        req->socket->deleteLater();
    }
    delete req->timer;
    ReplyCallback done = std::move(req->done);
    delete req;
    if (done) {
        done(reply);
    }
}

quint64 HaproxyRuntimeClient::mutate(const QString &command)
{
    const quint64 id = m_nextId; // send() takes this id
    QPointer<HaproxyRuntimeClient> self(this);
    send({ command }, [self, command](const HaproxyRuntimeReply &reply) {
        if (!self) {
            return;
        }
        HaproxyCommandResult result;
        result.id = reply.id;
        result.command = command;
        result.error = reply.error;
        result.reply = QString::fromUtf8(reply.outputs.value(0)).trimmed();
        if (!reply.error.isError() && !result.reply.isEmpty()) {
            // A successful set returns an empty answer; any text is an error or a warning.
            result.error = self->makeError(SourceError::Kind::Refused,
                QStringLiteral("HAProxy refused '%1': %2")
                    .arg(command, result.reply.section(u'\n', 0, 0)),
                result.reply);
        }
        result.ok = !result.error.isError();
        Q_EMIT self->commandFinished(result);
    });
    // A set answers with an empty line (or one line of complaint): anything long is not HAProxy.
    if (Request *req = m_requests.value(id)) {
        req->maxBytes = std::min(m_maxReplyBytes, s_maxMutationReplyBytes);
    }
    return id;
}

namespace {
bool isValidName(const QString &name)
{
    if (name.isEmpty()) {
        return false;
    }
    for (const QChar c : name) {
        if (c.isSpace() || c == u'/' || c.unicode() < 0x20) {
            return false;
        }
    }
    return true;
}
} // namespace

quint64 HaproxyRuntimeClient::setServerState(
    const QString &backend, const QString &server, HaproxyAdminAction action)
{
    const char *word = action == HaproxyAdminAction::Ready ? "ready"
        : action == HaproxyAdminAction::Drain              ? "drain"
                                                           : "maint";
    const QString target = escapeArgument(backend) + u'/' + escapeArgument(server);
    const QString command
        = QStringLiteral("set server %1 state %2").arg(target, QLatin1String(word));
    if (!isValidName(backend) || !isValidName(server)) {
        return refuse(command, QStringLiteral("invalid backend/server name in '%1'").arg(command));
    }
    return mutate(command);
}

quint64 HaproxyRuntimeClient::refuse(const QString &command, const QString &why)
{
    // Reported asynchronously like every other result, so callers handle one path.
    const quint64 id = m_nextId++;
    QTimer::singleShot(0, this, [this, id, command, why] {
        HaproxyCommandResult r;
        r.id = id;
        r.command = command;
        r.error = makeError(SourceError::Kind::Config, why);
        Q_EMIT commandFinished(r);
    });
    return id;
}

quint64 HaproxyRuntimeClient::setServerWeight(
    const QString &backend, const QString &server, int weight)
{
    const QString command = QStringLiteral("set server %1/%2 weight %3")
                                .arg(escapeArgument(backend), escapeArgument(server))
                                .arg(weight);
    if (!isValidName(backend) || !isValidName(server) || weight < 0 || weight > 256) {
        return refuse(
            command, QStringLiteral("invalid target or weight (0-256) in '%1'").arg(command));
    }
    return mutate(command);
}

} // namespace hopscope

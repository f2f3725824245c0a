#pragma once

#include "SshForward.h"

#include <QByteArray>
#include <QObject>
#include <QPointer>

#include <libssh/libssh.h>

class QTcpSocket;

namespace hopscope {

class SshSession;

// One accepted local connection bridged to one SSH channel. Opens the channel once the session
// is authenticated, then moves bytes both ways with at most `byteCap` buffered per direction
// (the socket's read buffer and the channel's window pause the faster side). Closing either side
// closes the other. Emits finished(reason) once (empty reason: closed cleanly) and deletes
// itself. Lives on the session's thread; owns the socket.
class SshChannelBridge : public QObject
{
    Q_OBJECT
public:
    SshChannelBridge(SshSession *session, QTcpSocket *socket, const SshForwardTarget &target,
        qint64 byteCap, QObject *parent = nullptr);
    ~SshChannelBridge() override;

    void start();
    // Bytes held here for either direction: read from the client and not yet taken by the
    // channel, plus given to the client socket and not yet written to the kernel.
    qint64 bufferedBytes() const;

Q_SIGNALS:
    void finished(const QString &reason);

private:
    enum class Phase { WaitingForSession, Opening, Open, Done };

    void step();
    bool openChannel();
    bool socketToChannel();
    bool channelToSocket();
    void finish(const QString &reason);
    void freeChannel();
    QString describe() const;

    QPointer<SshSession> m_session;
    QTcpSocket *m_socket;
    SshForwardTarget m_target;
    qint64 m_byteCap;
    Phase m_phase = Phase::WaitingForSession;
    ssh_channel m_channel = nullptr;
    QByteArray m_toChannel;
    bool m_socketClosed = false;
    bool m_stepping = false;
};

} // namespace hopscope

#pragma once

#include "SshHostConfig.h"
#include "core/Backoff.h"

#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QMutex>
#include <QObject>
#include <QString>

#include <libssh/libssh.h>

#include <memory>

class QSocketNotifier;
class QTimer;

namespace hopscope {

class SecretResolver;
class SshTcpConnector;

// One libssh session to one jump host, driven by the event loop of the thread it lives on
// (usually the GUI thread) and never blocking it: non-blocking libssh, a QSocketNotifier pair on
// its socket, QTimers for the hard connect deadline, keepalives and reconnects. The host key must
// match the expected fingerprint or the known_hosts file; a mismatch or an unknown key is a
// blocking failure naming both fingerprints. States and reasons are emitted with stateChanged();
// channels (SshChannelBridge) run on stepped() and free themselves on closing().
class SshSession : public QObject
{
    Q_OBJECT
public:
    enum class State { Idle, Connecting, Authenticated, Failed };
    Q_ENUM(State)
    // What went wrong. Transport failures (Resolve … Lost) are retried with backoff; the others
    // are refused until open() is called again with a fixed configuration.
    enum class Failure { None, Resolve, Connect, Timeout, Protocol, Lost, HostKey, Auth, Identity };
    Q_ENUM(Failure)

    explicit SshSession(const SshHostConfig &config, QObject *parent = nullptr);
    ~SshSession() override;

    // Starts connecting unless connecting or authenticated already; clears a blocking failure.
    void open();
    // Disconnects and stays Idle: no reconnects.
    void close();

    State state() const { return m_state; }
    Failure failure() const { return m_failure; }
    QString errorString() const { return m_error; }
    bool isReconnectScheduled() const;
    int reconnectAttempts() const { return m_consecutiveFailures; }
    // The fingerprint the server presented on the last handshake ("SHA256:…").
    QString serverFingerprint() const { return m_serverFingerprint; }
    const SshHostConfig &config() const { return m_config; }

    // For channels: the libssh session while Authenticated, else nullptr. Only on this thread.
    ssh_session handle() const;
    // A channel queued data or consumed some: re-arm the socket notifiers.
    void wake();

Q_SIGNALS:
    void stateChanged(hopscope::SshSession::State state);
    // After every pump of the session while Authenticated: channels read and write now.
    void stepped();
    // The libssh session is about to be freed (failure or close): free every channel now.
    void closing(const QString &reason);

private:
    enum class Phase { None, Key, Tcp, Handshake, Auth, Ready };
    // A private key being imported on a pool thread; whoever comes last frees the key.
    struct KeyImportJob
    {
        QMutex mutex;
        bool done = false;
        bool abandoned = false;
        ssh_key key = nullptr;
    };

    void startAttempt();
    void resolveIdentity();
    void startKeyImport(const QByteArray &text);
    void onKeyImported();
    void connectTcp();
    void onTcpConnected();
    void step();
    bool stepHandshake();
    bool checkHostKey();
    bool stepAuth();
    void stepReady();
    void becomeAuthenticated();
    void arm();
    void sendKeepalive();
    void onDeadline();
    void fail(Failure failure, const QString &reason);
    void teardown(const QString &reason);
    void setState(State state);
    QString phaseName() const;

    SshHostConfig m_config;
    Backoff m_backoff;
    State m_state = State::Idle;
    Phase m_phase = Phase::None;
    Failure m_failure = Failure::None;
    QString m_error;
    QString m_serverFingerprint;
    bool m_wanted = false;
    int m_consecutiveFailures = 0;

    SshTcpConnector *m_connector = nullptr;
    ssh_session m_ssh = nullptr;
    ssh_event m_event = nullptr;
    ssh_key m_key = nullptr;
    int m_fd = -1;
    quint64 m_fdInode = 0;
    QSocketNotifier *m_readNotifier = nullptr;
    QSocketNotifier *m_writeNotifier = nullptr;
    QTimer *m_deadline = nullptr;
    QTimer *m_keepalive = nullptr;
    QTimer *m_reconnect = nullptr;
    QTimer *m_kick = nullptr;
    QFutureWatcher<void> *m_keyWatcher = nullptr;
    SecretResolver *m_secretResolver = nullptr; // while the identity's secret is read
    std::shared_ptr<KeyImportJob> m_keyJob;
    QElapsedTimer m_attemptClock;
    QElapsedTimer m_lastInbound; // last time the server sent anything
    ssh_counter_struct m_socketCounter {};
    quint64 m_seenInBytes = 0;
    bool m_stepping = false;
};

} // namespace hopscope

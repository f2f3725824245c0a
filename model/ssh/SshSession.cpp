// Slightly over 500 lines, knowingly: one session's phases (key import, TCP connect, handshake,
// host key, auth, ready, keepalive, deadline, teardown, reconnect) are one state machine driven
// from the same notifiers and timers; the host-key decision (SshHostKey) and the non-blocking
// connect (SshTcpConnector) already live beside it.
#include "SshSession.h"

#include "SshHostKey.h"
#include "SshTcpConnector.h"
#include "ops/SecretResolver.h"

#include <QMutexLocker>
#include <QPromise>
#include <QSocketNotifier>
#include <QThreadPool>
#include <QTimer>

#include <libssh/server.h> // ssh_send_keepalive() is declared there, and works for clients

#include <sys/stat.h>
#include <unistd.h>

namespace hopscope {

namespace {

// libssh's "default asker" would prompt on a terminal for an encrypted key's passphrase.
int refusePassphrasePrompt(const char *, char *, size_t, int, int, void *)
{
    return -1;
}

QString authMethods(int mask)
{
    QStringList names;
    if (mask & SSH_AUTH_METHOD_PUBLICKEY) {
        names << QStringLiteral("publickey");
    }
    if (mask & SSH_AUTH_METHOD_PASSWORD) {
        names << QStringLiteral("password");
    }
    if (mask & SSH_AUTH_METHOD_INTERACTIVE) {
        names << QStringLiteral("keyboard-interactive");
    }
    if (mask & SSH_AUTH_METHOD_GSSAPI_MIC) {
        names << QStringLiteral("gssapi");
    }
    return names.isEmpty() ? QStringLiteral("nothing") : names.join(QStringLiteral(", "));
}

quint64 inodeOf(int fd)
{
    struct stat st
    {
    };
    return fd >= 0 && ::fstat(fd, &st) == 0 ? static_cast<quint64>(st.st_ino) : 0;
}

} // namespace

SshSession::SshSession(const SshHostConfig &config, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_backoff(config.reconnectBaseMs, config.reconnectMaxMs)
    , m_connector(new SshTcpConnector(this))
    , m_deadline(new QTimer(this))
    , m_keepalive(new QTimer(this))
    , m_reconnect(new QTimer(this))
    , m_kick(new QTimer(this))
    , m_keyWatcher(new QFutureWatcher<void>(this))
{
    m_deadline->setSingleShot(true);
    m_reconnect->setSingleShot(true);
    m_kick->setSingleShot(true);
    m_kick->setInterval(0);
    m_keepalive->setInterval(qMax(1000, m_config.keepaliveIntervalMs));
    connect(m_deadline, &QTimer::timeout, this, &SshSession::onDeadline);
    connect(m_keepalive, &QTimer::timeout, this, &SshSession::sendKeepalive);
    connect(m_reconnect, &QTimer::timeout, this, &SshSession::startAttempt);
    connect(m_kick, &QTimer::timeout, this, &SshSession::step);
    connect(m_keyWatcher, &QFutureWatcher<void>::finished, this, &SshSession::onKeyImported);
    connect(m_connector, &SshTcpConnector::connected, this, &SshSession::onTcpConnected);
    connect(m_connector, &SshTcpConnector::failed, this, [this](const QString &reason) {
        fail(reason.startsWith(QLatin1String("cannot resolve")) ? Failure::Resolve
                                                                : Failure::Connect,
            QStringLiteral("SSH %1: %2").arg(m_config.label(), reason));
    });
}

SshSession::~SshSession()
{
    m_wanted = false;
    teardown(QStringLiteral("SSH session to %1 closed").arg(m_config.label()));
    if (m_key) {
        ssh_key_free(m_key);
    }
}

void SshSession::open()
{
    m_wanted = true;
    if (m_state == State::Connecting || m_state == State::Authenticated
        || m_reconnect->isActive()) {
        return;
    }
    startAttempt();
}

void SshSession::close()
{
    m_wanted = false;
    m_reconnect->stop();
    if (m_ssh && m_phase == Phase::Ready) {
        ssh_disconnect(m_ssh);
    }
    teardown(QStringLiteral("SSH session to %1 closed").arg(m_config.label()));
    m_failure = Failure::None;
    m_error.clear();
    setState(State::Idle);
}

bool SshSession::isReconnectScheduled() const
{
    return m_reconnect->isActive();
}

ssh_session SshSession::handle() const
{
    return m_phase == Phase::Ready ? m_ssh : nullptr;
}

void SshSession::wake()
{
    arm();
    if (!m_kick->isActive()) {
        m_kick->start();
    }
}

void SshSession::startAttempt()
{
    teardown(QString());
    m_attemptClock.start();
    m_deadline->start(qMax(1, m_config.deadlineMs));
    setState(State::Connecting);

    const SshIdentity &id = m_config.identity;
    if (id.kind == SshIdentity::Kind::Agent && id.agentSocket.isEmpty()
        && qEnvironmentVariableIsEmpty("SSH_AUTH_SOCK")) {
        fail(Failure::Identity,
            QStringLiteral("identity agent for %1: SSH_AUTH_SOCK is not set (no ssh-agent)")
                .arg(m_config.label()));
        return;
    }
    if (m_config.expectedFingerprint.isEmpty() && m_config.knownHostsFile.isEmpty()) {
        fail(Failure::HostKey,
            QStringLiteral("no host key to check %1 against: give the expected fingerprint "
                           "(SHA256:…) or a known_hosts file")
                .arg(m_config.label()));
        return;
    }
    if (id.kind == SshIdentity::Kind::PrivateKey && !m_key) {
        if (id.privateKey.isEmpty() && id.secret.isValid()) {
            resolveIdentity();
        } else {
            startKeyImport(id.privateKey);
        }
        return;
    }
    connectTcp();
}

void SshSession::resolveIdentity()
{
    // file: and keychain: references are read by SecretResolver (a capped regular file; the
    // keychain through its helper process, with a timeout): nothing waits on this thread. The
    // key text lives only until it is imported.
    m_phase = Phase::Key;
    m_secretResolver = new SecretResolver(this);
    connect(m_secretResolver, &SecretResolver::resolved, this, [this](const QByteArray &text) {
        m_secretResolver->deleteLater();
        m_secretResolver = nullptr;
        startKeyImport(text);
    });
    connect(m_secretResolver, &SecretResolver::failed, this, [this](const QString &why) {
        m_secretResolver->deleteLater();
        m_secretResolver = nullptr;
        fail(Failure::Identity,
            QStringLiteral("identity %1 for %2: %3")
                .arg(m_config.identity.source, m_config.label(), why));
    });
    m_secretResolver->resolve(m_config.identity.secret);
}

void SshSession::startKeyImport(const QByteArray &keyText)
{
    const SshIdentity &id = m_config.identity;
    if (keyText.isEmpty()) {
        fail(Failure::Identity,
            QStringLiteral("identity %1 for %2: no private key given")
                .arg(id.source, m_config.label()));
        return;
    }
    // The key is imported on a pool thread: decrypting an OpenSSH key runs its bcrypt KDF
    // (~0.2 s here), which must not stall the event loop. Kept for the reconnects.
    m_phase = Phase::Key;
    auto job = std::make_shared<KeyImportJob>();
    auto promise = std::make_shared<QPromise<void>>();
    m_keyJob = job;
    m_keyWatcher->setFuture(promise->future());
    promise->start();
    const QByteArray text = keyText;
    const QByteArray passphrase = id.passphrase;
    QThreadPool::globalInstance()->start([job, promise, text, passphrase] {
        ssh_key key = nullptr;
        const int rc = ssh_pki_import_privkey_base64(text.constData(),
            passphrase.isEmpty() ? nullptr : passphrase.constData(), refusePassphrasePrompt,
            nullptr, &key);
        if (rc != SSH_OK && key) {
            ssh_key_free(key);
            key = nullptr;
        }
        {
            QMutexLocker lock(&job->mutex);
            job->done = true;
            if (job->abandoned) {
                if (key) {
                    ssh_key_free(key); // the session gave up on it (teardown, destruction)
                }
            } else {
                job->key = key;
            }
        }
        promise->finish();
    });
}

void SshSession::onKeyImported()
{
    const std::shared_ptr<KeyImportJob> job = m_keyJob;
    if (!job || m_phase != Phase::Key) {
        return;
    }
    {
        QMutexLocker lock(&job->mutex);
        if (!job->done) {
            return;
        }
        m_key = job->key;
        job->key = nullptr;
        job->abandoned = true;
    }
    m_keyJob.reset();
    if (!m_key) {
        fail(Failure::Identity,
            QStringLiteral("identity %1 for %2 is not a private key libssh can read (or it "
                           "is encrypted and the passphrase is missing or wrong)")
                .arg(m_config.identity.source, m_config.label()));
        return;
    }
    connectTcp();
}

void SshSession::connectTcp()
{
    m_phase = Phase::Tcp;
    m_connector->start(m_config.host, m_config.port, m_config.deadPeerMs);
}

void SshSession::onTcpConnected()
{
    m_fd = m_connector->takeDescriptor();
    m_fdInode = inodeOf(m_fd);
    m_ssh = ssh_new();
    const QByteArray host = m_config.host.toUtf8();
    const QByteArray user = m_config.user.toUtf8();
    const QByteArray knownHosts = m_config.knownHostsFile.isEmpty()
        ? QByteArrayLiteral("/dev/null")
        : m_config.knownHostsFile.toLocal8Bit();
    const QByteArray agent = m_config.identity.agentSocket.toLocal8Bit();
    int port = m_config.port;
    bool processConfig = false; // never ~/.ssh/config or /etc/ssh/ssh_config (ProxyJump, …)
    socket_t fd = m_fd;
    ssh_options_set(m_ssh, SSH_OPTIONS_HOST, host.constData()); // also the known_hosts name
    ssh_options_set(m_ssh, SSH_OPTIONS_PORT, &port);
    ssh_options_set(m_ssh, SSH_OPTIONS_USER, user.constData());
    ssh_options_set(m_ssh, SSH_OPTIONS_KNOWNHOSTS, knownHosts.constData());
    ssh_options_set(m_ssh, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
    ssh_options_set(m_ssh, SSH_OPTIONS_PROCESS_CONFIG, &processConfig);
    if (!agent.isEmpty()) {
        ssh_options_set(m_ssh, SSH_OPTIONS_IDENTITY_AGENT, agent.constData());
    }
    ssh_options_set(m_ssh, SSH_OPTIONS_FD, &fd); // our non-blocking connect, no getaddrinfo()
    m_socketCounter = ssh_counter_struct {};
    m_seenInBytes = 0;
    ssh_set_counters(m_ssh, &m_socketCounter, nullptr); // bytes received, whoever read them
    ssh_set_blocking(m_ssh, 0);

    m_readNotifier = new QSocketNotifier(m_fd, QSocketNotifier::Read, this);
    m_writeNotifier = new QSocketNotifier(m_fd, QSocketNotifier::Write, this);
    connect(m_readNotifier, &QSocketNotifier::activated, this, &SshSession::step);
    connect(m_writeNotifier, &QSocketNotifier::activated, this, &SshSession::step);
    m_phase = Phase::Handshake;
    step();
}

void SshSession::step()
{
    if (m_stepping || !m_ssh) {
        return;
    }
    m_stepping = true;
    switch (m_phase) {
    case Phase::Handshake:
        stepHandshake();
        break;
    case Phase::Auth:
        stepAuth();
        break;
    case Phase::Ready:
        stepReady();
        break;
    case Phase::None:
    case Phase::Key:
    case Phase::Tcp:
        break;
    }
    m_stepping = false;
    arm();
}

bool SshSession::stepHandshake()
{
    const int rc = ssh_connect(m_ssh);
    if (rc == SSH_AGAIN) {
        return true;
    }
    if (rc != SSH_OK) {
        fail(Failure::Protocol,
            QStringLiteral("SSH handshake with %1 failed: %2")
                .arg(m_config.label(), QString::fromUtf8(ssh_get_error(m_ssh))));
        return false;
    }
    if (!checkHostKey()) {
        return false;
    }
    m_phase = Phase::Auth;
    return stepAuth();
}

bool SshSession::checkHostKey()
{
    const SshHostKey::Verdict verdict = SshHostKey::verify(m_ssh, m_config);
    m_serverFingerprint = verdict.serverFingerprint;
    if (!verdict.accepted) {
        fail(verdict.noKey ? Failure::Protocol : Failure::HostKey, verdict.error);
    }
    return verdict.accepted;
}

bool SshSession::stepAuth()
{
    const bool agent = m_config.identity.kind == SshIdentity::Kind::Agent;
    const int rc = agent ? ssh_userauth_agent(m_ssh, nullptr)
                         : ssh_userauth_publickey(m_ssh, nullptr, m_key);
    if (rc == SSH_AUTH_AGAIN) {
        return true;
    }
    if (rc == SSH_AUTH_SUCCESS) {
        becomeAuthenticated();
        return m_ssh != nullptr;
    }
    if (rc == SSH_AUTH_DENIED || rc == SSH_AUTH_PARTIAL) {
        QString what;
        if (agent) {
            what = QStringLiteral("no key offered by the ssh-agent was accepted");
        } else {
            ssh_key pub = nullptr;
            QString keyFingerprint;
            if (ssh_pki_export_privkey_to_pubkey(m_key, &pub) == SSH_OK) {
                keyFingerprint = SshHostKey::fingerprint(pub) + QLatin1Char(' ');
                ssh_key_free(pub);
            }
            what = QStringLiteral("the server refused the key %1from %2")
                       .arg(keyFingerprint, m_config.identity.source);
        }
        const QString hint = rc == SSH_AUTH_PARTIAL
            ? QStringLiteral("the server wants a further method")
            : QStringLiteral("wrong user, or the key is not authorized for it");
        fail(Failure::Auth,
            QStringLiteral("authentication as %1 failed: %2 (%3; the server "
                           "accepts: %4)")
                .arg(m_config.label(), what, hint, authMethods(ssh_userauth_list(m_ssh, nullptr))));
        return false;
    }
    fail(Failure::Protocol,
        QStringLiteral("authentication as %1 failed: %2")
            .arg(m_config.label(), QString::fromUtf8(ssh_get_error(m_ssh))));
    return false;
}

void SshSession::becomeAuthenticated()
{
    m_deadline->stop();
    m_consecutiveFailures = 0;
    m_failure = Failure::None;
    m_error.clear();
    m_event = ssh_event_new();
    ssh_event_add_session(m_event, m_ssh);
    m_phase = Phase::Ready;
    m_lastInbound.start();
    m_seenInBytes = m_socketCounter.in_bytes;
    m_keepalive->start();
    setState(State::Authenticated);
    if (m_ssh && m_phase == Phase::Ready) {
        stepReady();
    }
}

void SshSession::stepReady()
{
    // Consume whatever arrived (channel data, window adjusts, keepalive replies); channels then
    // read from libssh's buffers on stepped().
    const int rc = ssh_event_dopoll(m_event, 0);
    const bool closed = (ssh_get_status(m_ssh) & (SSH_CLOSED | SSH_CLOSED_ERROR)) != 0;
    if (rc == SSH_ERROR || closed || !ssh_is_connected(m_ssh)) {
        // ssh_get_error() may still hold the text of an earlier, harmless error here.
        const char *disconnect = ssh_get_disconnect_message(m_ssh);
        const QString why = disconnect
            ? QStringLiteral("the server disconnected: ") + QString::fromUtf8(disconnect)
            : QStringLiteral("the connection was closed or reset by the server");
        fail(Failure::Lost,
            QStringLiteral("SSH connection to %1 lost: %2").arg(m_config.label(), why));
        return;
    }
    Q_EMIT stepped();
}

void SshSession::arm()
{
    if (!m_ssh || !m_writeNotifier) {
        return;
    }
    m_writeNotifier->setEnabled((ssh_get_poll_flags(m_ssh) & SSH_WRITE_PENDING) != 0);
}

void SshSession::sendKeepalive()
{
    if (m_ssh && m_phase == Phase::Ready) {
        // sshd answers every keepalive@openssh.com (with a failure reply): silence for longer
        // than deadPeerMs means a hung server or a dead path, which TCP alone may never report
        // while the peer's kernel still acknowledges.
        if (m_socketCounter.in_bytes != m_seenInBytes) {
            m_seenInBytes = m_socketCounter.in_bytes;
            m_lastInbound.start();
        }
        if (m_config.deadPeerMs > 0 && m_lastInbound.isValid()
            && m_lastInbound.elapsed() > m_config.deadPeerMs) {
            fail(Failure::Lost,
                QStringLiteral("SSH connection to %1 lost: no answer for %2 s "
                               "(keepalives unanswered)")
                    .arg(m_config.label())
                    .arg(m_lastInbound.elapsed() / 1000.0, 0, 'f', 1));
            return;
        }
        ssh_send_keepalive(m_ssh);
        arm();
    }
}

void SshSession::onDeadline()
{
    fail(Failure::Timeout,
        QStringLiteral("no SSH session with %1 within %2 s (%3)")
            .arg(m_config.label())
            .arg(m_config.deadlineMs / 1000.0, 0, 'g', 3)
            .arg(phaseName()));
}

QString SshSession::phaseName() const
{
    switch (m_phase) {
    case Phase::Key:
        return QStringLiteral("decrypting the private key did not finish");
    case Phase::Tcp:
        return QStringLiteral("resolving the name or connecting over TCP");
    case Phase::Handshake:
        return QStringLiteral("the server accepted TCP but the SSH handshake did not finish");
    case Phase::Auth:
        return QStringLiteral("authentication did not finish");
    case Phase::None:
    case Phase::Ready:
        break;
    }
    return QStringLiteral("not connecting");
}

void SshSession::fail(Failure failure, const QString &reason)
{
    m_failure = failure;
    m_error = reason;
    teardown(reason);
    const bool transient = failure == Failure::Resolve || failure == Failure::Connect
        || failure == Failure::Timeout || failure == Failure::Protocol || failure == Failure::Lost;
    if (m_wanted && transient) {
        ++m_consecutiveFailures;
        m_reconnect->start(m_backoff.delayMs(m_consecutiveFailures));
    }
    setState(State::Failed);
}

void SshSession::teardown(const QString &reason)
{
    m_deadline->stop();
    m_keepalive->stop();
    m_kick->stop();
    m_connector->abort();
    if (m_secretResolver) {
        m_secretResolver->disconnect(this);
        m_secretResolver->deleteLater();
        m_secretResolver = nullptr;
    }
    for (QSocketNotifier *notifier : { m_readNotifier, m_writeNotifier }) {
        if (notifier) {
            notifier->setEnabled(false);
            notifier->deleteLater(); // may be inside its own activated()
        }
    }
    m_readNotifier = nullptr;
    m_writeNotifier = nullptr;
    if (m_ssh) {
        Q_EMIT closing(reason); // channels are freed now, before ssh_free() frees them under us
        if (m_event) {
            ssh_event_remove_session(m_event, m_ssh);
            ssh_event_free(m_event);
            m_event = nullptr;
        }
        ssh_free(m_ssh);
        m_ssh = nullptr;
    }
    // libssh closes a descriptor given with SSH_OPTIONS_FD in some versions and not in others:
    // close it only while it is still the socket we opened (same inode), never a reused number.
    if (m_fd >= 0 && m_fdInode != 0 && inodeOf(m_fd) == m_fdInode) {
        ::close(m_fd);
    }
    m_fd = -1;
    m_fdInode = 0;
    if (m_keyJob) {
        QMutexLocker lock(&m_keyJob->mutex);
        m_keyJob->abandoned = true;
        if (m_keyJob->key) {
            ssh_key_free(m_keyJob->key);
            m_keyJob->key = nullptr;
        }
    }
    m_keyJob.reset();
    m_phase = Phase::None;
}

void SshSession::setState(State state)
{
    m_state = state;
    Q_EMIT stateChanged(state);
}

} // namespace hopscope

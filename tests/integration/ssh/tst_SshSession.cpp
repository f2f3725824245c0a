// SshSession against the real throwaway sshd of the `peers_ssh` fixture: host-key checks by
// fingerprint and known_hosts, key authentication, plain-words failures, the hard deadline
// against a server that never speaks SSH, reconnect after sshd is killed and restarted, and the
// event loop turning all along.
#include "SshPeer.h"
#include "ssh/SshSession.h"

#include <QDir>
#include <QElapsedTimer>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

#include <memory>
#include <vector>

#include <sys/resource.h>

using hopscope::SshHostConfig;
using hopscope::SshIdentity;
using hopscope::SshSession;

namespace {

// Counts the ticks of a 10 ms QTimer and the longest gap between two: a blocked event loop
// shows as a gap as long as the block.
class LoopWatch
{
public:
    LoopWatch()
    {
        m_timer.setInterval(10);
        QObject::connect(&m_timer, &QTimer::timeout, [this] {
            const qint64 now = m_clock.elapsed();
            m_maxGap = qMax(m_maxGap, now - m_last);
            m_last = now;
            ++m_ticks;
        });
        m_clock.start();
        m_timer.start();
    }
    qint64 maxGapMs() const { return qMax(m_maxGap, m_clock.elapsed() - m_last); }
    int ticks() const { return m_ticks; }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_last = 0;
    qint64 m_maxGap = 0;
    int m_ticks = 0;
};

int openDescriptors()
{
    return static_cast<int>(QDir(QStringLiteral("/proc/self/fd"))
                                .entryList(QDir::NoDotAndDotDot | QDir::AllEntries | QDir::System)
                                .size());
}

qint64 cpuMs()
{
    rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000LL
        + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000;
}

} // namespace

class tst_SshSession : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_peer.isUp(), "the peers_ssh fixture is not up (tests/peers/ssh_peer.py)");
    }

    void authenticatesWithFingerprintAndKey()
    {
        LoopWatch watch;
        SshSession session(m_peer.config());
        QSignalSpy states(&session, &SshSession::stateChanged);
        session.open();
        QCOMPARE(session.state(), SshSession::State::Connecting);
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), SshSession::State::Authenticated, 15000);
        QCOMPARE(states.first().first().value<SshSession::State>(), SshSession::State::Connecting);
        QCOMPARE(session.serverFingerprint(), m_peer.value("host_key_fingerprint"));
        QVERIFY(session.handle() != nullptr);
        qInfo("connect: %d ticks, longest event-loop gap %lld ms", watch.ticks(), watch.maxGapMs());
        QVERIFY2(watch.maxGapMs() < 500, qPrintable(QString::number(watch.maxGapMs())));
        session.close();
        QCOMPARE(session.state(), SshSession::State::Idle);
        QVERIFY(session.handle() == nullptr);
    }

    // Sessions that authenticate, fail or are refused leave no descriptor behind (libssh and we
    // never both close the socket, nor neither), and an idle session does not spin.
    void noDescriptorLeakNoSpin()
    {
        {
            SshSession warm(m_peer.config()); // first use loads libssh's crypto state
            warm.open();
            QTRY_COMPARE_WITH_TIMEOUT(warm.state(), SshSession::State::Authenticated, 15000);
        }
        const int before = openDescriptors();
        for (int i = 0; i < 4; ++i) {
            SshHostConfig c = m_peer.config();
            if (i % 2) {
                c.expectedFingerprint = m_peer.value("other_host_key_fingerprint");
            }
            SshSession session(c);
            session.open();
            QTRY_VERIFY_WITH_TIMEOUT(session.state() == SshSession::State::Authenticated
                    || session.state() == SshSession::State::Failed,
                15000);
            if (i == 0) {
                // Idle and authenticated for one second: CPU stays near zero.
                const qint64 cpuBefore = cpuMs();
                QTimer window;
                window.setSingleShot(true);
                QSignalSpy over(&window, &QTimer::timeout);
                window.start(1000);
                QVERIFY(over.wait(5000));
                const qint64 used = cpuMs() - cpuBefore;
                qInfo("idle authenticated session: %lld ms CPU in 1 s", used);
                QVERIFY2(used < 200, qPrintable(QString::number(used)));
            }
            session.close();
        }
        QTRY_COMPARE_WITH_TIMEOUT(openDescriptors(), before, 5000);
    }

    void authenticatesWithKnownHostsFile_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("plain") << m_peer.value("known_hosts");
        QTest::newRow("hashed") << m_peer.value("known_hosts_hashed");
    }

    void authenticatesWithKnownHostsFile()
    {
        QFETCH(QString, file);
        SshHostConfig c = m_peer.config();
        c.expectedFingerprint.clear();
        c.knownHostsFile = file;
        SshSession session(c);
        session.open();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), SshSession::State::Authenticated, 15000);
    }

    void authenticatesWithTheAgent()
    {
        SshHostConfig c = m_peer.config();
        c.identity = SshIdentity::agent(m_peer.value("agent_socket"));
        SshSession session(c);
        session.open();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), SshSession::State::Authenticated, 15000);

        // No agent at all: refused before connecting, in words.
        const QByteArray saved = qgetenv("SSH_AUTH_SOCK");
        qunsetenv("SSH_AUTH_SOCK");
        c.identity = SshIdentity::agent();
        SshSession none(c);
        none.open();
        if (!saved.isEmpty()) {
            qputenv("SSH_AUTH_SOCK", saved);
        }
        QCOMPARE(none.state(), SshSession::State::Failed);
        QCOMPARE(none.failure(), SshSession::Failure::Identity);
        QVERIFY2(none.errorString().contains(QLatin1String("SSH_AUTH_SOCK")),
            qPrintable(none.errorString()));
    }

    void hostKeyRefused_data()
    {
        QTest::addColumn<QString>("fingerprint");
        QTest::addColumn<QString>("knownHosts");
        QTest::addColumn<bool>("namesOther"); // the message names the other host key's fingerprint
        QTest::newRow("wrong-fingerprint")
            << m_peer.value("other_host_key_fingerprint") << QString() << true;
        QTest::newRow("known-hosts-changed")
            << QString() << m_peer.value("known_hosts_other") << true;
        QTest::newRow("known-hosts-changed-hashed")
            << QString() << m_peer.value("known_hosts_other_hashed") << true;
        QTest::newRow("known-hosts-unknown")
            << QString() << m_peer.value("known_hosts_empty") << false;
    }

    void hostKeyRefused()
    {
        QFETCH(QString, fingerprint);
        QFETCH(QString, knownHosts);
        QFETCH(bool, namesOther);
        SshHostConfig c = m_peer.config();
        c.expectedFingerprint = fingerprint;
        c.knownHostsFile = knownHosts;
        SshSession session(c);
        session.open();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), SshSession::State::Failed, 15000);
        QCOMPARE(session.failure(), SshSession::Failure::HostKey);
        const QString why = session.errorString();
        qInfo("%s", qPrintable(why));
        QVERIFY2(why.contains(m_peer.value("host_key_fingerprint")), qPrintable(why));
        if (namesOther) {
            QVERIFY2(why.contains(m_peer.value("other_host_key_fingerprint")), qPrintable(why));
        } else {
            QVERIFY2(why.contains(QLatin1String("unknown")), qPrintable(why));
        }
        QVERIFY2(why.contains(QLatin1String("refusing")), qPrintable(why));
        QVERIFY(!session.isReconnectScheduled()); // blocking: never retried behind the user's back
        QVERIFY(session.handle() == nullptr);
    }

    void authenticationRefused_data()
    {
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("keyFile");
        QTest::addColumn<QString>("keyFingerprint");
        QTest::newRow("key-not-authorized") << m_peer.value("user") << m_peer.value("stranger_key")
                                            << m_peer.value("stranger_key_fingerprint");
        QTest::newRow("wrong-user") << QStringLiteral("no-such-user-hs") << m_peer.value("user_key")
                                    << m_peer.value("user_key_fingerprint");
    }

    void authenticationRefused()
    {
        QFETCH(QString, user);
        QFETCH(QString, keyFile);
        QFETCH(QString, keyFingerprint);
        SshHostConfig c = m_peer.config();
        c.user = user;
        QString error;
        c.identity = SshIdentity::fromKeyFile(keyFile, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        SshSession session(c);
        session.open();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), SshSession::State::Failed, 15000);
        QCOMPARE(session.failure(), SshSession::Failure::Auth);
        const QString why = session.errorString();
        qInfo("%s", qPrintable(why));
        QVERIFY2(
            why.startsWith(QStringLiteral("authentication as %1@").arg(user)), qPrintable(why));
        QVERIFY2(why.contains(QLatin1String("refused the key ") + keyFingerprint), qPrintable(why));
        QVERIFY2(why.contains(keyFile), qPrintable(why));
        QVERIFY2(why.contains(QLatin1String("publickey")), qPrintable(why));
        QVERIFY2(!why.contains(QLatin1String("PRIVATE KEY")), qPrintable(why));
        QVERIFY(!session.isReconnectScheduled());
    }

    void unreadableIdentity()
    {
        QString error;
        const QString missing = m_peer.value("user_key") + QStringLiteral(".missing");
        SshIdentity id = SshIdentity::fromKeyFile(missing, &error);
        QVERIFY2(error.contains(missing), qPrintable(error));
        SshHostConfig c = m_peer.config();
        c.identity = id;
        SshSession session(c);
        session.open();
        QCOMPARE(session.state(), SshSession::State::Failed);
        QCOMPARE(session.failure(), SshSession::Failure::Identity);
        QVERIFY2(session.errorString().contains(QLatin1String("file:") + missing),
            qPrintable(session.errorString()));

        // A public key is no private key: refused by name, its text never quoted.
        c.identity
            = SshIdentity::fromKeyFile(m_peer.value("user_key") + QStringLiteral(".pub"), &error);
        SshSession session2(c);
        session2.open();
        QTRY_COMPARE_WITH_TIMEOUT(session2.state(), SshSession::State::Failed, 10000);
        QCOMPARE(session2.failure(), SshSession::Failure::Identity);
        QVERIFY2(session2.errorString().contains(QLatin1String("not a private key")),
            qPrintable(session2.errorString()));
        QVERIFY(!session2.errorString().contains(QLatin1String("ssh-ed25519 AAAA")));
    }

    // An encrypted key with its passphrase authenticates; with a wrong one it is refused by
    // name, and the passphrase never appears. Prints the event loop's longest gap (the bcrypt KDF
    // of the key import runs on this thread).
    void encryptedKey()
    {
        SshHostConfig c = m_peer.config();
        QString error;
        c.identity = SshIdentity::fromKeyFile(m_peer.value("encrypted_key"), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        c.identity.passphrase = m_peer.value("encrypted_key_passphrase").toUtf8();
        {
            LoopWatch watch;
            SshSession session(c);
            session.open();
            QTRY_COMPARE_WITH_TIMEOUT(session.state(), SshSession::State::Authenticated, 15000);
            qInfo("encrypted key: longest event-loop gap %lld ms", watch.maxGapMs());
            // The key's bcrypt KDF alone takes ~1 s: on this thread it would show here.
            QVERIFY2(watch.maxGapMs() < 400, qPrintable(QString::number(watch.maxGapMs())));
        }
        c.identity.passphrase = "not-" + c.identity.passphrase;
        SshSession wrong(c);
        wrong.open();
        QTRY_COMPARE_WITH_TIMEOUT(wrong.state(), SshSession::State::Failed, 10000);
        QCOMPARE(wrong.failure(), SshSession::Failure::Identity);
        QVERIFY2(wrong.errorString().contains(m_peer.value("encrypted_key")),
            qPrintable(wrong.errorString()));
        QVERIFY(!wrong.errorString().contains(QString::fromUtf8(c.identity.passphrase)));
        c.identity.passphrase.clear(); // none given: refused, never prompted on a terminal
        SshSession none(c);
        none.open();
        QTRY_COMPARE_WITH_TIMEOUT(none.state(), SshSession::State::Failed, 10000);
        QCOMPARE(none.failure(), SshSession::Failure::Identity);
    }

    void silentServerFailsAtTheDeadline()
    {
        // Accepts TCP and never says a word of SSH.
        QTcpServer silent;
        QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
        std::vector<std::unique_ptr<QTcpSocket>> held;
        connect(&silent, &QTcpServer::newConnection, this, [&] {
            while (QTcpSocket *s = silent.nextPendingConnection()) {
                held.emplace_back(s);
            }
        });
        SshHostConfig c = m_peer.config();
        c.port = silent.serverPort();
        c.deadlineMs = 1500;
        c.reconnectBaseMs = 60'000;
        SshSession session(c);
        LoopWatch watch;
        QElapsedTimer clock;
        clock.start();
        session.open();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), SshSession::State::Failed, 10000);
        const qint64 elapsed = clock.elapsed();
        QCOMPARE(session.failure(), SshSession::Failure::Timeout);
        qInfo("%s", qPrintable(session.errorString()));
        QVERIFY2(session.errorString().contains(QLatin1String("handshake did not finish")),
            qPrintable(session.errorString()));
        QVERIFY2(elapsed >= 1400 && elapsed < 4000, qPrintable(QString::number(elapsed)));
        QVERIFY(!held.empty()); // it did connect
        qInfo("silent server: failed after %lld ms; %d ticks, longest event-loop gap %lld ms",
            elapsed, watch.ticks(), watch.maxGapMs());
        QVERIFY2(watch.maxGapMs() < 500, qPrintable(QString::number(watch.maxGapMs())));
        QVERIFY(watch.ticks() > 30); // a blocked loop would tick ~once in 1.5 s
        QVERIFY(session.isReconnectScheduled()); // transport failures are retried
    }

    void refusedPortIsAConnectFailure()
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        const quint16 closedPort = probe.serverPort();
        probe.close();
        SshHostConfig c = m_peer.config();
        c.port = closedPort;
        SshSession session(c);
        session.open();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), SshSession::State::Failed, 10000);
        QCOMPARE(session.failure(), SshSession::Failure::Connect);
        QVERIFY2(session.errorString().contains(QLatin1String("Connection refused")),
            qPrintable(session.errorString()));
    }

    void reconnectsAfterSshdRestart()
    {
        SshSession session(m_peer.config());
        session.open();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), SshSession::State::Authenticated, 15000);

        QSignalSpy states(&session, &SshSession::stateChanged);
        QString log;
        QVERIFY2(m_peer.run(QStringLiteral("kill"), &log), qPrintable(log));
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), SshSession::State::Failed, 15000);
        QCOMPARE(session.failure(), SshSession::Failure::Lost);
        qInfo("%s", qPrintable(session.errorString()));
        QVERIFY2(session.errorString().contains(QLatin1String("lost")),
            qPrintable(session.errorString()));
        // Retried with backoff while sshd is down: each attempt is refused, in words.
        QTRY_VERIFY_WITH_TIMEOUT(session.failure() == SshSession::Failure::Connect, 15000);
        QVERIFY(session.isReconnectScheduled());
        qInfo("%s", qPrintable(session.errorString()));

        QVERIFY2(m_peer.run(QStringLiteral("start"), &log), qPrintable(log));
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), SshSession::State::Authenticated, 15000);
        QCOMPARE(session.reconnectAttempts(), 0);
        QCOMPARE(session.serverFingerprint(), m_peer.value("host_key_fingerprint"));
    }

    // sshd stopped (SIGSTOP): TCP stays up and the kernel still acknowledges, only SSH goes
    // silent. Unanswered keepalives fail the session; after SIGCONT it reconnects.
    void silentPeerIsDetectedByKeepalives()
    {
        SshHostConfig c = m_peer.config();
        c.keepaliveIntervalMs = 1000;
        c.deadPeerMs = 3000;
        c.deadlineMs = 3000;
        SshSession session(c);
        session.open();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), SshSession::State::Authenticated, 15000);
        QString log;
        QVERIFY2(m_peer.run(QStringLiteral("freeze"), &log), qPrintable(log));
        auto thaw = qScopeGuard([&] { m_peer.run(QStringLiteral("thaw")); });
        QElapsedTimer clock;
        clock.start();
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), SshSession::State::Failed, 15000);
        qInfo("%s (after %lld ms)", qPrintable(session.errorString()), clock.elapsed());
        QCOMPARE(session.failure(), SshSession::Failure::Lost);
        QVERIFY2(session.errorString().contains(QLatin1String("keepalives unanswered")),
            qPrintable(session.errorString()));
        QVERIFY2(clock.elapsed() >= 2500, qPrintable(QString::number(clock.elapsed())));
        // While frozen, reconnects reach TCP but no SSH: they fail at the deadline.
        QTRY_VERIFY_WITH_TIMEOUT(session.failure() == SshSession::Failure::Timeout, 15000);
        thaw.dismiss();
        QVERIFY2(m_peer.run(QStringLiteral("thaw"), &log), qPrintable(log));
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), SshSession::State::Authenticated, 20000);
    }

private:
    SshPeer m_peer;
};

QTEST_GUILESS_MAIN(tst_SshSession)
#include "tst_SshSession.moc"

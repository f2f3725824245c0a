// SshForward against the real throwaway sshd of the `peers_ssh` fixture: an HTTP GET with
// QNetworkAccessManager through direct-tcpip, megabytes echoed through direct-streamlocal under a
// small byte cap, a refused target and a failed tunnel failing their connections with the
// reason, and open connections closed when sshd dies.
#include "SshPeer.h"
#include "ssh/SshForward.h"
#include "ssh/SshSession.h"

#include <QCryptographicHash>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

#include <algorithm>
#include <memory>
#include <vector>

using hopscope::SshForward;
using hopscope::SshForwardTarget;
using hopscope::SshSession;

class tst_SshForward : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_peer.isUp(), "the peers_ssh fixture is not up (tests/peers/ssh_peer.py)");
    }

    void httpGetThroughDirectTcpip()
    {
        SshSession session(m_peer.config());
        const QJsonObject http = m_peer.http();
        SshForward forward(&session,
            SshForwardTarget::tcp(QStringLiteral("127.0.0.1"),
                static_cast<quint16>(http[QStringLiteral("port")].toInt())));
        QString error;
        QVERIFY2(forward.listen(&error), qPrintable(error));
        QVERIFY(forward.localPort() != 0);
        QCOMPARE(session.state(), SshSession::State::Idle); // opened lazily

        QNetworkAccessManager nam;
        for (int i = 0; i < 3; ++i) { // a new connection (and channel) each time
            QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1%2")
                                             .arg(forward.localPort())
                                             .arg(http[QStringLiteral("path")].toString())));
            request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
            request.setRawHeader("Connection", "close");
            std::unique_ptr<QNetworkReply> reply(nam.get(request));
            QSignalSpy finished(reply.get(), &QNetworkReply::finished);
            QVERIFY(finished.wait(15000));
            QCOMPARE(reply->error(), QNetworkReply::NoError);
            QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
            QCOMPARE(QString::fromUtf8(reply->readAll()), http[QStringLiteral("body")].toString());
        }
        QCOMPARE(session.state(), SshSession::State::Authenticated);
        QTRY_COMPARE_WITH_TIMEOUT(forward.activeConnections(), 0, 10000);
    }

    // Many connections at once share the session: their channels open concurrently.
    void parallelRequestsShareTheSession()
    {
        SshSession session(m_peer.config());
        const QJsonObject http = m_peer.http();
        SshForward forward(&session,
            SshForwardTarget::tcp(QStringLiteral("127.0.0.1"),
                static_cast<quint16>(http[QStringLiteral("port")].toInt())));
        QVERIFY(forward.listen());
        QNetworkAccessManager nam;
        std::vector<std::unique_ptr<QNetworkReply>> replies;
        for (int i = 0; i < 12; ++i) {
            QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1%2?n=%3")
                                             .arg(forward.localPort())
                                             .arg(http[QStringLiteral("path")].toString())
                                             .arg(i)));
            request.setRawHeader("Connection", "close");
            replies.emplace_back(nam.get(request));
        }
        QTRY_VERIFY_WITH_TIMEOUT(std::all_of(replies.begin(), replies.end(),
                                     [](const auto &r) { return r->isFinished(); }),
            20000);
        for (const auto &reply : replies) {
            QCOMPARE(reply->error(), QNetworkReply::NoError);
            QCOMPARE(QString::fromUtf8(reply->readAll()), http[QStringLiteral("body")].toString());
        }
    }

    void echoThroughStreamlocalUnderAByteCap()
    {
        SshSession session(m_peer.config());
        SshForward forward(&session, SshForwardTarget::unixSocket(m_peer.value("echo_socket")));
        forward.setByteCap(
            64 * 1024); // far below the payload: both directions must pause and resume
        QVERIFY(forward.listen());
        QTcpSocket client;
        client.connectToHost(QHostAddress::LocalHost, forward.localPort());
        QVERIFY(client.waitForConnected(5000));

        QByteArray payload(4 * 1024 * 1024, Qt::Uninitialized);
        QRandomGenerator::global()->fillRange(
            reinterpret_cast<quint32 *>(payload.data()), payload.size() / 4);
        qint64 sent = 0;
        QByteArray received;
        // Write as the socket drains, read as data comes: the echo only keeps up if the tunnel
        // moves both ways at once.
        auto pump = [&] {
            if (sent < payload.size() && client.bytesToWrite() < 256 * 1024) {
                sent += client.write(
                    payload.constData() + sent, qMin<qint64>(128 * 1024, payload.size() - sent));
            }
            received += client.readAll();
        };
        connect(&client, &QTcpSocket::bytesWritten, this, pump);
        connect(&client, &QTcpSocket::readyRead, this, pump);
        pump();
        QTRY_VERIFY_WITH_TIMEOUT(received.size() >= payload.size(), 60000);
        QCOMPARE(received.size(), payload.size());
        QVERIFY(received == payload);

        // Closing the client closes the channel (the echo server sees EOF), and the bridge goes.
        QSignalSpy closed(&forward, &SshForward::connectionClosed);
        client.disconnectFromHost();
        QVERIFY(closed.wait(10000) || closed.count() == 1);
        QTRY_COMPARE_WITH_TIMEOUT(forward.activeConnections(), 0, 10000);
    }

    // A client that does not read: the bridge fills to its byte cap and stops taking data from
    // the channel (whose window then stops the server), instead of buffering the whole 8 MiB.
    // When the client reads again, every byte arrives intact.
    void slowReaderIsBackpressured()
    {
        SshSession session(m_peer.config());
        const QJsonObject http = m_peer.http();
        SshForward forward(&session,
            SshForwardTarget::tcp(QStringLiteral("127.0.0.1"),
                static_cast<quint16>(http[QStringLiteral("port")].toInt())));
        const qint64 cap = 64 * 1024;
        forward.setByteCap(cap);
        QVERIFY(forward.listen());
        qint64 peak = 0;
        connect(&session, &SshSession::stepped, this,
            [&] { peak = qMax(peak, forward.bufferedBytes()); });

        QTcpSocket client;
        client.setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, 8192);
        client.setReadBufferSize(16 * 1024);
        client.connectToHost(QHostAddress::LocalHost, forward.localPort());
        QVERIFY(client.waitForConnected(5000));
        client.write("GET " + http[QStringLiteral("big_path")].toString().toUtf8()
            + " HTTP/1.0\r\nHost: t\r\n\r\n");
        QTRY_VERIFY_WITH_TIMEOUT(forward.bufferedBytes() >= cap / 2, 20000);
        // A measurement window (not a synchronisation): the bridge must stay at its cap.
        QTimer window;
        window.setSingleShot(true);
        QSignalSpy over(&window, &QTimer::timeout);
        window.start(500);
        QVERIFY(over.wait(5000));
        qInfo("slow reader: peak %lld bytes buffered in the bridge (cap %lld), now %lld", peak, cap,
            forward.bufferedBytes());
        QVERIFY2(peak <= cap + 64 * 1024, qPrintable(QString::number(peak)));

        QByteArray received;
        connect(&client, &QTcpSocket::readyRead, this, [&] { received += client.readAll(); });
        received += client.readAll();
        QTRY_VERIFY_WITH_TIMEOUT(client.state() == QAbstractSocket::UnconnectedState, 60000);
        received += client.readAll();
        const qsizetype split = received.indexOf("\r\n\r\n");
        QVERIFY(split > 0);
        const QByteArray body = received.mid(split + 4);
        QCOMPARE(body.size(), http[QStringLiteral("big_size")].toInteger());
        QCOMPARE(
            QString::fromLatin1(QCryptographicHash::hash(body, QCryptographicHash::Sha256).toHex()),
            http[QStringLiteral("big_sha256")].toString());
        QVERIFY2(peak <= cap + 64 * 1024, qPrintable(QString::number(peak)));
    }

    void refusedTargetFailsTheConnectionWithTheReason()
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        const quint16 closedPort = probe.serverPort();
        probe.close();
        SshSession session(m_peer.config());
        SshForward forward(
            &session, SshForwardTarget::tcp(QStringLiteral("127.0.0.1"), closedPort));
        QVERIFY(forward.listen());
        QSignalSpy failed(&forward, &SshForward::connectionFailed);
        QTcpSocket client;
        QSignalSpy disconnected(&client, &QTcpSocket::disconnected);
        client.connectToHost(QHostAddress::LocalHost, forward.localPort());
        QVERIFY(failed.wait(15000));
        const QString why = failed.first().first().toString();
        qInfo("%s", qPrintable(why));
        QVERIFY2(why.contains(QStringLiteral("127.0.0.1:%1").arg(closedPort)), qPrintable(why));
        QVERIFY2(why.contains(QLatin1String("Connection refused")), qPrintable(why));
        QTRY_VERIFY_WITH_TIMEOUT(disconnected.count() == 1, 10000);
        QCOMPARE(session.state(), SshSession::State::Authenticated); // only that channel failed
        // A missing socket path on the jump host, likewise.
        SshForward missing(&session,
            SshForwardTarget::unixSocket(m_peer.value("echo_socket") + QStringLiteral(".none")));
        QVERIFY(missing.listen());
        QSignalSpy failed2(&missing, &SshForward::connectionFailed);
        QTcpSocket client2;
        client2.connectToHost(QHostAddress::LocalHost, missing.localPort());
        QVERIFY(failed2.wait(15000));
        QVERIFY2(failed2.first().first().toString().contains(QLatin1String("unix:")),
            qPrintable(failed2.first().first().toString()));
    }

    void failedTunnelFailsItsConnections()
    {
        hopscope::SshHostConfig c = m_peer.config();
        c.expectedFingerprint = m_peer.value("other_host_key_fingerprint");
        SshSession session(c);
        SshForward forward(&session, SshForwardTarget::unixSocket(m_peer.value("echo_socket")));
        QVERIFY(forward.listen());
        QSignalSpy failed(&forward, &SshForward::connectionFailed);
        QTcpSocket client;
        QSignalSpy disconnected(&client, &QTcpSocket::disconnected);
        client.connectToHost(QHostAddress::LocalHost, forward.localPort());
        QVERIFY(failed.wait(15000));
        const QString why = failed.first().first().toString();
        qInfo("%s", qPrintable(why));
        QVERIFY2(why.contains(QLatin1String("does not match")), qPrintable(why));
        QVERIFY2(why.contains(m_peer.value("host_key_fingerprint")), qPrintable(why));
        QTRY_VERIFY_WITH_TIMEOUT(disconnected.count() == 1, 10000);
        QCOMPARE(forward.activeConnections(), 0);
    }

    void openConnectionsCloseWhenSshdDies()
    {
        SshSession session(m_peer.config());
        SshForward forward(&session, SshForwardTarget::unixSocket(m_peer.value("echo_socket")));
        QVERIFY(forward.listen());
        QTcpSocket client;
        client.connectToHost(QHostAddress::LocalHost, forward.localPort());
        QVERIFY(client.waitForConnected(5000));
        client.write("ping\n");
        QTRY_VERIFY_WITH_TIMEOUT(client.bytesAvailable() >= 5, 15000);
        QCOMPARE(client.readAll(), QByteArray("ping\n"));

        QSignalSpy failed(&forward, &SshForward::connectionFailed);
        QSignalSpy disconnected(&client, &QTcpSocket::disconnected);
        QString log;
        QVERIFY2(m_peer.run(QStringLiteral("kill"), &log), qPrintable(log));
        QVERIFY(failed.wait(15000));
        QVERIFY2(failed.first().first().toString().contains(QLatin1String("lost")),
            qPrintable(failed.first().first().toString()));
        QTRY_VERIFY_WITH_TIMEOUT(disconnected.count() == 1, 10000);
        // New connections while it is down fail with the session's reason, then work again.
        QTcpSocket client2;
        client2.connectToHost(QHostAddress::LocalHost, forward.localPort());
        QTRY_VERIFY_WITH_TIMEOUT(failed.count() >= 2, 15000);
        QVERIFY2(m_peer.run(QStringLiteral("start"), &log), qPrintable(log));
        QTRY_COMPARE_WITH_TIMEOUT(session.state(), SshSession::State::Authenticated, 15000);
        QTcpSocket client3;
        client3.connectToHost(QHostAddress::LocalHost, forward.localPort());
        QVERIFY(client3.waitForConnected(5000));
        client3.write("again\n");
        QTRY_VERIFY_WITH_TIMEOUT(client3.bytesAvailable() >= 6, 15000);
        QCOMPARE(client3.readAll(), QByteArray("again\n"));
    }

private:
    SshPeer m_peer;
};

QTEST_GUILESS_MAIN(tst_SshForward)
#include "tst_SshForward.moc"

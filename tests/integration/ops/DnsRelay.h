#pragma once

// A relay in front of BIND for RFC 2136 UPDATEs (UDP and TCP on one port) for the drain fault
// tests: forwards every message to BIND; in DropReplies mode BIND's answers are thrown away, so
// the UPDATE is applied and the sender never hears back. Header-only, test event loop.

#include <QHash>
#include <QHostAddress>
#include <QNetworkDatagram>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QUdpSocket>

class DnsRelay : public QObject
{
public:
    // Hold: UDP messages are kept, not forwarded (BIND "slow"), until releaseHeld().
    enum class Mode { PassThrough, DropReplies, Hold };

    DnsRelay(QHostAddress upstream, quint16 upstreamPort)
        : m_upstream(std::move(upstream))
        , m_port(upstreamPort)
    {
        // One port for both transports (the updater falls back from UDP to TCP on the same one).
        for (int attempt = 0; attempt < 20; ++attempt) {
            if (!m_udp.bind(QHostAddress::LocalHost, 0)) {
                continue;
            }
            if (m_tcp.listen(QHostAddress::LocalHost, m_udp.localPort())) {
                break;
            }
            m_udp.close();
        }
        connect(&m_udp, &QUdpSocket::readyRead, this, [this] {
            while (m_udp.hasPendingDatagrams()) {
                QHostAddress from;
                quint16 fromPort = 0;
                QByteArray d(int(m_udp.pendingDatagramSize()), Qt::Uninitialized);
                d.resize(int(m_udp.readDatagram(d.data(), d.size(), &from, &fromPort)));
                if (m_mode == Mode::Hold) {
                    m_held << d;
                    continue;
                }
                ++m_forwarded;
                auto *up = new QUdpSocket(this);
                connect(up, &QUdpSocket::readyRead, up, [this, up, from, fromPort] {
                    while (up->hasPendingDatagrams()) {
                        QByteArray r(int(up->pendingDatagramSize()), Qt::Uninitialized);
                        r.resize(int(up->readDatagram(r.data(), r.size())));
                        if (m_mode == Mode::PassThrough) {
                            m_udp.writeDatagram(r, from, fromPort);
                        } else {
                            ++m_dropped;
                        }
                    }
                    up->deleteLater();
                });
                up->writeDatagram(d, m_upstream, m_port);
            }
        });
        connect(&m_tcp, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *c = m_tcp.nextPendingConnection()) {
                c->setParent(this);
                QPointer<QTcpSocket> client(c);
                auto *up = new QTcpSocket(this);
                connect(c, &QTcpSocket::readyRead, up, [this, c, up] {
                    ++m_forwarded;
                    up->write(c->readAll());
                });
                connect(up, &QTcpSocket::readyRead, up, [this, up, client] {
                    const QByteArray r = up->readAll();
                    if (m_mode == Mode::PassThrough && client) {
                        client->write(r);
                    } else {
                        ++m_dropped;
                    }
                });
                up->connectToHost(m_upstream, m_port);
            }
        });
    }

    quint16 port() const { return m_udp.localPort(); }
    int held() const { return int(m_held.size()); }
    // Delivers the held messages to BIND now; its answers go nowhere (the sender is gone).
    void releaseHeld()
    {
        for (const QByteArray &d : std::as_const(m_held)) {
            auto *up = new QUdpSocket(this);
            connect(up, &QUdpSocket::readyRead, up, [this, up] {
                while (up->hasPendingDatagrams()) {
                    up->receiveDatagram();
                    ++m_dropped;
                }
                up->deleteLater();
            });
            up->writeDatagram(d, m_upstream, m_port);
        }
        m_held.clear();
    }
    void setMode(Mode m) { m_mode = m; }
    int forwarded() const { return m_forwarded; }
    int dropped() const { return m_dropped; }

private:
    QUdpSocket m_udp;
    QTcpServer m_tcp;
    QHostAddress m_upstream;
    quint16 m_port;
    Mode m_mode = Mode::PassThrough;
    QList<QByteArray> m_held;
    int m_forwarded = 0;
    int m_dropped = 0;
};

// The unchanged HAProxy runtime client (TCP mode) reaching the demo cluster's HAProxy runtime
// unix socket through an SSH forward (direct-streamlocal@openssh.com), next to the same query
// over the socket directly: both answer from the same HAProxy process.
#include "PeersHarness.h"
#include "SshPeer.h"
#include "haproxy/HaproxyRuntimeClient.h"
#include "ssh/SshForward.h"
#include "ssh/SshSession.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTest>

#include <optional>

using namespace hopscope;

namespace {

// "Pid: 1234" → "1234" from `show info`.
QByteArray infoField(const QByteArray &info, const QByteArray &name)
{
    const QList<QByteArray> lines = info.split('\n');
    for (const QByteArray &line : lines) {
        if (line.startsWith(QByteArray(name + ": "))) {
            return line.mid(name.size() + 2).trimmed();
        }
    }
    return QByteArray();
}

std::optional<HaproxyRuntimeReply> ask(const QString &endpointText, const QStringList &commands)
{
    const std::optional<RuntimeEndpoint> endpoint = RuntimeEndpoint::parse(endpointText);
    if (!endpoint) {
        return std::nullopt;
    }
    HaproxyRuntimeClient client(*endpoint);
    client.setTimeoutMs(10000);
    std::optional<HaproxyRuntimeReply> result;
    client.send(commands, [&](const HaproxyRuntimeReply &reply) { result = reply; });
    QElapsedTimer clock;
    clock.start();
    while (!result && clock.elapsed() < 15000) {
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 100);
    }
    return result;
}

} // namespace

class tst_SshHaproxyRuntime : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void runtimeSocketThroughStreamlocal()
    {
        PeersHarness demo;
        SshPeer peer;
        QVERIFY2(demo.isUp(), "the peers_demo fixture is not up");
        QVERIFY2(peer.isUp(), "the peers_ssh fixture is not up");
        const QString socketPath = demo.state()[QStringLiteral("haproxy")]
                                       .toObject()[QStringLiteral("socket")]
                                       .toString();
        QVERIFY(!socketPath.isEmpty());

        SshSession session(peer.config());
        SshForward forward(&session, SshForwardTarget::unixSocket(socketPath));
        QVERIFY(forward.listen());

        const QStringList commands { QStringLiteral("show info"), QStringLiteral("show stat") };
        const auto tunnelled
            = ask(QStringLiteral("tcp:127.0.0.1:%1").arg(forward.localPort()), commands);
        const auto direct = ask(QStringLiteral("unix:") + socketPath, commands);
        QVERIFY(tunnelled && direct);
        QVERIFY2(
            tunnelled->error.kind == SourceError::Kind::None, qPrintable(tunnelled->error.message));
        QCOMPARE(tunnelled->outputs.size(), 2);
        const QByteArray pid = infoField(tunnelled->outputs.at(0), "Pid");
        QVERIFY(!pid.isEmpty());
        QCOMPARE(pid, infoField(direct->outputs.at(0), "Pid"));
        // `show stat` lists the same proxies and servers (the first two CSV columns).
        auto names = [](const QByteArray &csv) {
            QList<QByteArray> rows;
            for (const QByteArray &line : csv.split('\n')) {
                rows << line.split(',').mid(0, 2).join(',');
            }
            return rows;
        };
        QCOMPARE(names(tunnelled->outputs.at(1)), names(direct->outputs.at(1)));
        QVERIFY(tunnelled->outputs.at(1).size() > 1000);
        QCOMPARE(session.state(), SshSession::State::Authenticated);
    }
};

QTEST_GUILESS_MAIN(tst_SshHaproxyRuntime)
#include "tst_SshHaproxyRuntime.moc"

// hopscope-keychain: reads one entry of the system keychain (QtKeychain, service "hopscope") on
// behalf of hopscope and hopscope-cli, in its own short-lived process.
//
// Why a process: on Linux QtKeychain talks D-Bus, and QDBusConnection::sessionBus() blocks its
// caller (and Qt's D-Bus thread, in dbus_bus_register → poll(-1)) for as long as a session bus
// that accepted the connection stays silent (a wedged desktop session, a dead SSH-forwarded bus).
// No thread of the caller can be abandoned safely in that state (the D-Bus thread is joined at
// exit), but a process can: SecretResolver kills it when its timeout fires. This helper also
// ends itself at its own hard deadline, so it never outlives a caller that died.
//
// usage: hopscope-keychain read KEY DEADLINE_MS
//        hopscope-keychain write KEY DEADLINE_MS   (the secret on stdin, at most 64 KiB)
// stdout: "ok\n" followed by the secret's bytes (read) or nothing (write), or "error\n"
// followed by a message in UTF-8 (never the secret). Exit 0 after either; 2 on a usage error;
// 3 when the deadline passed.

#include <QByteArray>
#include <QCoreApplication>
#include <QTimer>

#include <qt6keychain/keychain.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <thread>

namespace {

void writeAll(const QByteArray &bytes)
{
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout);
    std::fflush(stdout);
}

} // namespace

int main(int argc, char *argv[])
{
    const bool writing = argc == 4 && std::string_view(argv[1]) == "write";
    if (argc != 4 || (std::string_view(argv[1]) != "read" && !writing)) {
        std::fputs("usage: hopscope-keychain read|write KEY DEADLINE_MS\n", stderr);
        return 2;
    }
    bool ok = false;
    const int deadlineMs = QByteArray(argv[3]).toInt(&ok);
    if (!ok || deadlineMs <= 0 || deadlineMs > 10 * 60 * 1000) {
        std::fputs("hopscope-keychain: DEADLINE_MS must be 1..600000\n", stderr);
        return 2;
    }
    // The hard deadline runs on its own thread: the main thread may be stuck inside D-Bus.
    std::thread([deadlineMs] {
        std::this_thread::sleep_for(std::chrono::milliseconds(deadlineMs));
        std::fputs("hopscope-keychain: deadline passed\n", stderr);
        std::_Exit(3);
    }).detach();

    QCoreApplication app(argc, argv);
    const QString key = QString::fromLocal8Bit(argv[2]);
    if (writing) {
        // The secret comes on stdin (never on the command line, where ps would show it); the
        // deadline thread above bounds this read too.
        constexpr size_t maxBytes = 64 * 1024;
        QByteArray secret(qsizetype(maxBytes + 1), '\0');
        const size_t n = std::fread(secret.data(), 1, maxBytes + 1, stdin);
        if (n > maxBytes || n == 0) {
            writeAll(n == 0 ? "error\nno secret on standard input"
                            : "error\nthe secret is larger than 64 KiB");
            return 0;
        }
        secret.truncate(qsizetype(n));
        auto *job = new QKeychain::WritePasswordJob(QStringLiteral("hopscope"), &app);
        job->setAutoDelete(false);
        job->setKey(key);
        job->setBinaryData(secret);
        secret.fill('\0');
        QObject::connect(job, &QKeychain::Job::finished, &app, [](QKeychain::Job *j) {
            writeAll(j->error() != QKeychain::NoError ? "error\n" + j->errorString().toUtf8()
                                                      : QByteArray("ok\n"));
            QCoreApplication::exit(0);
        });
        QTimer::singleShot(0, job, [job] { job->start(); });
        return QCoreApplication::exec();
    }
    auto *job = new QKeychain::ReadPasswordJob(QStringLiteral("hopscope"), &app);
    job->setAutoDelete(false);
    job->setKey(key);
    QObject::connect(job, &QKeychain::Job::finished, &app, [](QKeychain::Job *j) {
        auto *read = static_cast<QKeychain::ReadPasswordJob *>(j);
        if (read->error() != QKeychain::NoError) {
            writeAll("error\n" + read->errorString().toUtf8());
        } else {
            writeAll("ok\n" + read->binaryData());
        }
        QCoreApplication::exit(0);
    });
    QTimer::singleShot(0, job, [job] { job->start(); });
    return QCoreApplication::exec();
}

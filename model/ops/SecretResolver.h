#pragma once

#include "ops/KeychainHelperProcess.h"
#include "profile/Endpoint.h"

#include <QByteArray>
#include <QObject>
#include <QString>

namespace hopscope {

// Turns a SecretRef ("env:NAME", "file:PATH", "keychain:ID") into the secret's bytes, never
// logging them. env: and file: answer at once (still through the signal, on the next event-loop
// turn); file: reads a regular file of at most 64 KiB only (a FIFO or a device is refused, never
// waited on). keychain: never touches the keychain in this process: it starts the short-lived
// helper hopscope-keychain (app/keychain_main.cpp), which asks QtKeychain (service "hopscope"),
// and gives up after a timeout, killing the helper — with no secret service, or with a session
// bus that accepts the connection and never answers, QtKeychain blocks whatever thread calls it.
// Lives on its owner's thread, which it never blocks; emits resolved() or failed() exactly once
// per resolve().
class SecretResolver : public QObject
{
    Q_OBJECT
public:
    explicit SecretResolver(QObject *parent = nullptr);

    void setKeychainTimeoutMs(int ms) { m_timeoutMs = ms; }
    static QString keychainService() { return KeychainHelperProcess::service(); }
    static constexpr qint64 maxSecretBytes = 64 * 1024;

    // Where the keychain helper is (KeychainHelperProcess::helperPath()).
    static QString keychainHelperPath() { return KeychainHelperProcess::helperPath(); }

    // Starts resolving; a second call while one is pending is refused with failed().
    void resolve(const SecretRef &ref);
    bool isPending() const { return m_pending; }

Q_SIGNALS:
    void resolved(const QByteArray &secret);
    void failed(const QString &reason); // never contains the secret

private:
    void finish(const QByteArray &secret, const QString &error);
    void resolveFromKeychain(const QString &id, quint64 generation);
    QString keychainAnswer(const KeychainHelperProcess::Result &result, const QString &id,
        const QString &helperPath, QByteArray *secret) const;

    int m_timeoutMs = 5000;
    bool m_pending = false;
    quint64 m_generation = 0;
};

} // namespace hopscope

#pragma once

#include "profile/Endpoint.h"

#include <QByteArray>
#include <QObject>
#include <QString>

namespace hopscope {

// Turns a SecretRef ("env:NAME", "file:PATH", "keychain:ID") into the secret's bytes, never
// logging them. env: and file: answer at once (still through the signal, on the next event-loop
// turn); keychain: asks QtKeychain asynchronously (service "hopscope") and gives up after a
// timeout, because with no secret service running the job may never answer. Lives on its
// owner's thread; emits resolved() or failed() exactly once per resolve().
class SecretResolver : public QObject
{
    Q_OBJECT
public:
    explicit SecretResolver(QObject *parent = nullptr);

    void setKeychainTimeoutMs(int ms) { m_timeoutMs = ms; }
    static QString keychainService() { return QStringLiteral("hopscope"); }

    // Starts resolving; a second call while one is pending is refused with failed().
    void resolve(const SecretRef &ref);
    bool isPending() const { return m_pending; }

Q_SIGNALS:
    void resolved(const QByteArray &secret);
    void failed(const QString &reason); // never contains the secret

private:
    void finish(const QByteArray &secret, const QString &error);

    int m_timeoutMs = 5000;
    bool m_pending = false;
    quint64 m_generation = 0;
};

} // namespace hopscope

#pragma once

#include "ops/KeychainHelperProcess.h"

#include <QByteArray>
#include <QObject>
#include <QString>

namespace hopscope {

// Stores one secret in the system keychain (QtKeychain, service "hopscope") under an entry id,
// for the profile editor: the profile then holds only "keychain:ID". Like SecretResolver it
// never touches the keychain in this process: it runs the helper hopscope-keychain
// (KeychainHelperProcess) as `write ID DEADLINE_MS`, hands it the secret on stdin and kills it
// at the deadline. Lives on its owner's (GUI) thread, which it never blocks;
// emits stored() or failed() exactly once per store(). Messages never contain the secret.
class KeychainWriter : public QObject
{
    Q_OBJECT
public:
    explicit KeychainWriter(QObject *parent = nullptr);
    ~KeychainWriter() override;

    void setTimeoutMs(int ms) { m_timeoutMs = ms; }
    // Starts storing; a second call while one is pending is refused with failed().
    void store(const QString &id, const QByteArray &secret);
    bool isPending() const { return m_pending; }

Q_SIGNALS:
    void stored(const QString &id);
    void failed(const QString &reason);

private:
    void finish(const QString &id, const QString &error);
    QString answerError(const KeychainHelperProcess::Result &result, const QString &id) const;

    int m_timeoutMs = 5000;
    bool m_pending = false;
    quint64 m_generation = 0;
};

} // namespace hopscope

#include "ops/KeychainWriter.h"

#include "ops/SecretResolver.h"

#include <QCoreApplication>
#include <QTimer>

namespace hopscope {

KeychainWriter::KeychainWriter(QObject *parent)
    : QObject(parent)
{ }

KeychainWriter::~KeychainWriter() = default;

void KeychainWriter::finish(const QString &id, const QString &error)
{
    m_pending = false;
    ++m_generation;
    if (error.isEmpty()) {
        Q_EMIT stored(id);
    } else {
        Q_EMIT failed(error);
    }
}

void KeychainWriter::store(const QString &id, const QByteArray &secret)
{
    if (m_pending) {
        QTimer::singleShot(0, this,
            [this] { Q_EMIT failed(tr("a secret is already being stored in the keychain")); });
        return;
    }
    m_pending = true;
    const quint64 generation = ++m_generation;
    const auto later = [this, generation](const QString &error) {
        QTimer::singleShot(0, this, [this, generation, error] {
            if (generation == m_generation) {
                finish({}, error);
            }
        });
    };
    if (id.trimmed().isEmpty() || secret.isEmpty()) {
        later(tr("nothing to store: the keychain entry id and the secret must not be empty"));
        return;
    }
    if (secret.size() > SecretResolver::maxSecretBytes) {
        later(tr("the secret is larger than %1 bytes").arg(SecretResolver::maxSecretBytes));
        return;
    }
    const QString helperPath = KeychainHelperProcess::helperPath();
    if (helperPath.isEmpty()) {
        later(tr("cannot store keychain entry '%1': the helper hopscope-keychain is not "
                 "installed next to %2 (or set HOPSCOPE_KEYCHAIN_HELPER)")
                  .arg(id, QCoreApplication::applicationDirPath()));
        return;
    }
    // The answer is "ok\n" or "error\n" and a message: 4 KiB is plenty.
    auto *helper = new KeychainHelperProcess(
        helperPath, QStringLiteral("write"), id, m_timeoutMs, 4096, this);
    connect(helper, &KeychainHelperProcess::ended, this,
        [this, generation, id, helperPath](const KeychainHelperProcess::Result &result) {
            if (generation != m_generation) {
                return;
            }
            if (result.end == KeychainHelperProcess::End::FailedToStart) {
                finish({},
                    tr("cannot store keychain entry '%1': cannot start %2: %3")
                        .arg(id, helperPath, result.startError));
            } else if (result.end == KeychainHelperProcess::End::TimedOut) {
                finish({},
                    tr("the keychain did not answer for '%1' within %2 s (is a secret service "
                       "running in this session?); the keychain helper was stopped")
                        .arg(id)
                        .arg(m_timeoutMs / 1000.0));
            } else {
                finish(id, answerError(result, id));
            }
        });
    helper->start(secret);
}

QString KeychainWriter::answerError(
    const KeychainHelperProcess::Result &result, const QString &id) const
{
    const QString entry
        = tr("keychain entry '%1' (service %2)").arg(id, KeychainHelperProcess::service());
    if (result.end != KeychainHelperProcess::End::Exited) {
        return entry + tr(": the keychain helper crashed");
    }
    if (result.out.startsWith("ok\n")) {
        return {};
    }
    if (result.out.startsWith("error\n")) {
        return entry + QStringLiteral(": ") + QString::fromUtf8(result.out.mid(6)).left(500);
    }
    if (result.exitCode != 0) {
        return entry + tr(": the keychain helper failed (exit status %1)").arg(result.exitCode);
    }
    return entry + tr(": the keychain helper gave no answer");
}

} // namespace hopscope

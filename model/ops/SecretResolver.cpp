#include "ops/SecretResolver.h"

#include "core/BoundedFile.h"
#include "ops/KeychainHelperProcess.h"

#include <QCoreApplication>
#include <QTimer>

namespace hopscope {

SecretResolver::SecretResolver(QObject *parent)
    : QObject(parent)
{ }

void SecretResolver::finish(const QByteArray &secret, const QString &error)
{
    m_pending = false;
    ++m_generation;
    if (error.isEmpty()) {
        Q_EMIT resolved(secret);
    } else {
        Q_EMIT failed(error);
    }
}

void SecretResolver::resolve(const SecretRef &ref)
{
    if (m_pending) {
        QTimer::singleShot(0, this,
            [this] { Q_EMIT failed(QStringLiteral("a secret is already being resolved")); });
        return;
    }
    m_pending = true;
    const quint64 generation = ++m_generation;
    auto later = [this, generation](QByteArray secret, QString error) {
        QTimer::singleShot(0, this, [this, generation, secret, error] {
            if (generation == m_generation) {
                finish(secret, error);
            }
        });
    };
    switch (ref.kind) {
    case SecretRef::Kind::None:
        later({}, QStringLiteral("no secret reference given"));
        return;
    case SecretRef::Kind::Env: {
        const QByteArray value = qgetenv(ref.value.toLocal8Bit().constData()).trimmed();
        if (value.isEmpty()) {
            later({}, QStringLiteral("environment variable %1 is not set or empty").arg(ref.value));
        } else {
            later(value, {});
        }
        return;
    }
    case SecretRef::Kind::File: {
        // Regular files only, bounded: a FIFO would block this (GUI) thread until a writer came.
        const BoundedRead read = readRegularFile(ref.value, maxSecretBytes);
        if (!read.ok()) {
            later({}, QStringLiteral("cannot read secret file ") + read.error);
            return;
        }
        const QByteArray value = read.data.trimmed();
        if (value.isEmpty()) {
            later({}, QStringLiteral("secret file %1 is empty").arg(ref.value));
        } else {
            later(value, {});
        }
        return;
    }
    case SecretRef::Kind::Keychain:
        resolveFromKeychain(ref.value, generation);
        return;
    }
}

void SecretResolver::resolveFromKeychain(const QString &id, quint64 generation)
{
    const QString helperPath = keychainHelperPath();
    if (helperPath.isEmpty()) {
        QTimer::singleShot(0, this, [this, generation, id] {
            if (generation == m_generation) {
                finish({},
                    QStringLiteral("cannot read keychain entry '%1': the helper "
                                   "hopscope-keychain is not installed next to %2 "
                                   "(or set HOPSCOPE_KEYCHAIN_HELPER)")
                        .arg(id, QCoreApplication::applicationDirPath()));
            }
        });
        return;
    }
    // The answer is "ok\n" and the secret: a little over the secret's cap is "too large".
    auto *helper = new KeychainHelperProcess(
        helperPath, QStringLiteral("read"), id, m_timeoutMs, maxSecretBytes + 64, this);
    connect(helper, &KeychainHelperProcess::ended, this,
        [this, generation, id, helperPath](const KeychainHelperProcess::Result &result) {
            if (generation != m_generation) {
                return;
            }
            QByteArray secret;
            const QString error = keychainAnswer(result, id, helperPath, &secret);
            finish(secret, error);
        });
    helper->start();
}

QString SecretResolver::keychainAnswer(const KeychainHelperProcess::Result &result,
    const QString &id, const QString &helperPath, QByteArray *secret) const
{
    using End = KeychainHelperProcess::End;
    if (result.end == End::FailedToStart) {
        return QStringLiteral("cannot read keychain entry '%1': cannot start %2: %3")
            .arg(id, helperPath, result.startError);
    }
    if (result.end == End::TimedOut) {
        return QStringLiteral("the keychain did not answer for '%1' within %2 s (is a secret "
                              "service running in this session, and does its D-Bus session "
                              "bus answer?); the keychain helper was stopped")
            .arg(id)
            .arg(m_timeoutMs / 1000.0);
    }
    const QByteArray &out = result.out;
    const QString entry
        = QStringLiteral("keychain entry '%1' (service %2)").arg(id, keychainService());
    if (result.outCapped) {
        return entry + QStringLiteral(": larger than %1 bytes; refusing it").arg(maxSecretBytes);
    }
    if (result.end != End::Exited) {
        return entry + QStringLiteral(": the keychain helper crashed");
    }
    if (result.exitCode != 0) {
        return entry
            + QStringLiteral(": the keychain helper failed (exit status %1)").arg(result.exitCode);
    }
    if (out.startsWith("ok\n")) {
        *secret = out.mid(3).trimmed();
        return secret->isEmpty() ? QStringLiteral("keychain entry '%1' is empty").arg(id)
                                 : QString();
    }
    if (out.startsWith("error\n")) {
        return entry + QStringLiteral(": ") + QString::fromUtf8(out.mid(6)).left(500);
    }
    return entry + QStringLiteral(": the keychain helper gave no answer");
}

} // namespace hopscope

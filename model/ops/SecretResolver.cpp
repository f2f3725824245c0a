#include "ops/SecretResolver.h"

#include <QFile>
#include <QPointer>
#include <QTimer>

#include <qt6keychain/keychain.h>

namespace hopscope {

SecretResolver::SecretResolver(QObject *parent)
    : QObject(parent)
{
}

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
        QTimer::singleShot(0, this, [this] {
            Q_EMIT failed(QStringLiteral("a secret is already being resolved"));
        });
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
        QFile f(ref.value);
        if (!f.open(QIODevice::ReadOnly)) {
            later({}, QStringLiteral("cannot read secret file %1: %2").arg(ref.value, f.errorString()));
            return;
        }
        const QByteArray value = f.read(64 * 1024).trimmed();
        if (value.isEmpty()) {
            later({}, QStringLiteral("secret file %1 is empty").arg(ref.value));
        } else {
            later(value, {});
        }
        return;
    }
    case SecretRef::Kind::Keychain:
        break;
    }

    auto *job = new QKeychain::ReadPasswordJob(keychainService(), this);
    job->setAutoDelete(true);
    job->setKey(ref.value);
    const QString id = ref.value;
    auto *timer = new QTimer(this);
    timer->setSingleShot(true);
    connect(job, &QKeychain::Job::finished, this, [this, generation, timer, id](QKeychain::Job *j) {
        timer->deleteLater();
        if (generation != m_generation) {
            return;
        }
        auto *read = static_cast<QKeychain::ReadPasswordJob *>(j);
        if (read->error() != QKeychain::NoError) {
            finish({}, QStringLiteral("keychain entry '%1' (service %2): %3")
                           .arg(id, keychainService(), read->errorString()));
            return;
        }
        const QByteArray value = read->binaryData().trimmed();
        if (value.isEmpty()) {
            finish({}, QStringLiteral("keychain entry '%1' is empty").arg(id));
        } else {
            finish(value, {});
        }
    });
    connect(timer, &QTimer::timeout, this, [this, generation, id] {
        if (generation == m_generation) {
            finish({}, QStringLiteral("the keychain did not answer for '%1' within %2 s "
                                      "(is a secret service running in this session?)")
                           .arg(id)
                           .arg(m_timeoutMs / 1000.0));
        }
    });
    timer->start(m_timeoutMs);
    job->start();
}

} // namespace hopscope

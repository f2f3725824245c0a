#include "ops/SecretResolver.h"

#include "core/BoundedFile.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QTimer>

namespace hopscope {

SecretResolver::SecretResolver(QObject *parent)
    : QObject(parent)
{ }

QString SecretResolver::keychainHelperPath()
{
    const QString overridden = qEnvironmentVariable("HOPSCOPE_KEYCHAIN_HELPER");
    if (!overridden.isEmpty()) {
        return QFileInfo(overridden).isExecutable() ? overridden : QString();
    }
    const QString here = QCoreApplication::applicationDirPath();
    return QStandardPaths::findExecutable(QStringLiteral("hopscope-keychain"),
        { here, QDir::cleanPath(here + QStringLiteral("/../libexec")) });
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
    auto *helper = new QProcess(this);
    auto *out = new QByteArray;
    auto *timer = new QTimer(helper);
    timer->setSingleShot(true);
    helper->setProgram(helperPath);
    // The helper's own deadline comes later than ours: it is only there for the case where this
    // process dies and nobody kills the helper.
    helper->setArguments({ QStringLiteral("read"), id, QString::number(m_timeoutMs + 5000) });
    helper->setStandardInputFile(QProcess::nullDevice());
    helper->setStandardErrorFile(QProcess::nullDevice());
    // Everything the helper owns goes when it has ended (finished, or never started).
    auto dispose = [helper, out] {
        delete out;
        helper->deleteLater();
    };
    connect(helper, &QProcess::readyReadStandardOutput, this, [helper, out] {
        out->append(helper->read(maxSecretBytes + 64 - out->size()));
        if (out->size() >= maxSecretBytes + 64 && helper->state() != QProcess::NotRunning) {
            helper->kill(); // keychainAnswer() says "too large" when it finishes
        }
    });
    connect(helper, &QProcess::finished, this, [this, helper, out, generation, id, dispose] {
        if (generation == m_generation) {
            out->append(helper->read(maxSecretBytes + 64 - out->size()));
            QByteArray secret;
            const QString error = keychainAnswer(helper, *out, id, &secret);
            finish(secret, error);
        }
        out->fill('\0');
        dispose();
    });
    connect(helper, &QProcess::errorOccurred, this,
        [this, helper, generation, id, dispose, helperPath](QProcess::ProcessError e) {
            if (e != QProcess::FailedToStart) {
                return; // finished() follows
            }
            if (generation == m_generation) {
                finish({},
                    QStringLiteral("cannot read keychain entry '%1': cannot start %2: %3")
                        .arg(id, helperPath, helper->errorString()));
            }
            dispose();
        });
    connect(timer, &QTimer::timeout, this, [this, helper, generation, id] {
        if (generation != m_generation) {
            return;
        }
        helper->kill(); // finished() then disposes of it; its answer is no longer wanted
        finish({},
            QStringLiteral("the keychain did not answer for '%1' within %2 s (is a secret "
                           "service running in this session, and does its D-Bus session "
                           "bus answer?); the keychain helper was stopped")
                .arg(id)
                .arg(m_timeoutMs / 1000.0));
    });
    timer->start(m_timeoutMs);
    helper->start(QIODevice::ReadOnly);
}

QString SecretResolver::keychainAnswer(
    QProcess *helper, const QByteArray &out, const QString &id, QByteArray *secret) const
{
    const QString entry
        = QStringLiteral("keychain entry '%1' (service %2)").arg(id, keychainService());
    if (out.size() >= maxSecretBytes + 64) {
        return entry + QStringLiteral(": larger than %1 bytes; refusing it").arg(maxSecretBytes);
    }
    if (helper->exitStatus() != QProcess::NormalExit) {
        return entry + QStringLiteral(": the keychain helper crashed");
    }
    if (helper->exitCode() != 0) {
        return entry
            + QStringLiteral(": the keychain helper failed (exit status %1)")
                  .arg(helper->exitCode());
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

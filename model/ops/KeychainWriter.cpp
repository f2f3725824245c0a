#include "ops/KeychainWriter.h"

#include "ops/SecretResolver.h"

#include <QCoreApplication>
#include <QProcess>
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
    const QString helperPath = SecretResolver::keychainHelperPath();
    if (helperPath.isEmpty()) {
        later(tr("cannot store keychain entry '%1': the helper hopscope-keychain is not "
                 "installed next to %2 (or set HOPSCOPE_KEYCHAIN_HELPER)")
                  .arg(id, QCoreApplication::applicationDirPath()));
        return;
    }
    auto *helper = new QProcess(this);
    auto *out = new QByteArray;
    auto *timer = new QTimer(helper);
    timer->setSingleShot(true);
    helper->setProgram(helperPath);
    // The helper's own deadline comes after ours: it only matters when this process dies.
    helper->setArguments({ QStringLiteral("write"), id, QString::number(m_timeoutMs + 5000) });
    helper->setStandardErrorFile(QProcess::nullDevice());
    const auto dispose = [helper, out] {
        delete out;
        helper->deleteLater();
    };
    connect(helper, &QProcess::started, this, [helper, secret] {
        QByteArray copy = secret;
        helper->write(copy);
        copy.fill('\0');
        helper->closeWriteChannel();
    });
    connect(helper, &QProcess::readyReadStandardOutput, this, [helper, out] {
        out->append(helper->read(4096 - out->size()));
        if (out->size() >= 4096) {
            helper->kill();
        }
    });
    connect(helper, &QProcess::finished, this, [this, helper, out, generation, id, dispose] {
        if (generation == m_generation) {
            out->append(helper->read(4096 - out->size()));
            const QString entry
                = tr("keychain entry '%1' (service %2)").arg(id, SecretResolver::keychainService());
            QString error;
            if (helper->exitStatus() != QProcess::NormalExit) {
                error = entry + tr(": the keychain helper crashed");
            } else if (out->startsWith("ok\n")) {
                error.clear();
            } else if (out->startsWith("error\n")) {
                error = entry + QStringLiteral(": ") + QString::fromUtf8(out->mid(6)).left(500);
            } else if (helper->exitCode() != 0) {
                error = entry
                    + tr(": the keychain helper failed (exit status %1)").arg(helper->exitCode());
            } else {
                error = entry + tr(": the keychain helper gave no answer");
            }
            finish(id, error);
        }
        dispose();
    });
    connect(helper, &QProcess::errorOccurred, this,
        [this, helper, generation, id, dispose, helperPath](QProcess::ProcessError e) {
            if (e != QProcess::FailedToStart) {
                return; // finished() follows
            }
            if (generation == m_generation) {
                finish({},
                    tr("cannot store keychain entry '%1': cannot start %2: %3")
                        .arg(id, helperPath, helper->errorString()));
            }
            dispose();
        });
    connect(timer, &QTimer::timeout, this, [this, helper, generation, id] {
        if (generation != m_generation) {
            return;
        }
        helper->kill(); // finished() then disposes of it
        finish({},
            tr("the keychain did not answer for '%1' within %2 s (is a secret service running "
               "in this session?); the keychain helper was stopped")
                .arg(id)
                .arg(m_timeoutMs / 1000.0));
    });
    timer->start(m_timeoutMs);
    helper->start(QIODevice::ReadWrite);
}

} // namespace hopscope

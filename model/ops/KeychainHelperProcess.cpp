#include "ops/KeychainHelperProcess.h"
#include "core/BoundedRead.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>

namespace hopscope {

QString KeychainHelperProcess::helperPath()
{
    const QString overridden = qEnvironmentVariable("HOPSCOPE_KEYCHAIN_HELPER");
    if (!overridden.isEmpty()) {
        return QFileInfo(overridden).isExecutable() ? overridden : QString();
    }
    const QString here = QCoreApplication::applicationDirPath();
    return QStandardPaths::findExecutable(QStringLiteral("hopscope-keychain"),
        { here, QDir::cleanPath(here + QStringLiteral("/../libexec")) });
}

KeychainHelperProcess::KeychainHelperProcess(const QString &helperPath, const QString &verb,
    const QString &id, int timeoutMs, qint64 maxOutBytes, QObject *parent)
    : QObject(parent)
    , m_process(new QProcess(this))
    , m_maxOutBytes(maxOutBytes)
    , m_timeoutMs(timeoutMs)
{
    m_process->setProgram(helperPath);
    m_process->setArguments({ verb, id, QString::number(timeoutMs + 5000) });
    m_process->setStandardErrorFile(QProcess::nullDevice());
    m_deadline.setSingleShot(true);
    connect(m_process, &QProcess::started, this, [this] {
        if (!m_input.isEmpty()) {
            m_process->write(m_input);
            m_input.fill('\0');
            m_process->closeWriteChannel();
        }
    });
    connect(m_process, &QProcess::readyReadStandardOutput, this, [this] {
        readCapped();
        if (m_result.outCapped && m_process->state() != QProcess::NotRunning) {
            m_process->kill(); // finished() follows
        }
    });
    connect(m_process, &QProcess::finished, this, [this] {
        readCapped();
        end(m_process->exitStatus() == QProcess::NormalExit ? End::Exited : End::Crashed);
        deleteLater();
    });
    connect(m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
        if (e != QProcess::FailedToStart) {
            return; // finished() follows
        }
        m_result.startError = m_process->errorString();
        end(End::FailedToStart);
        deleteLater();
    });
    connect(&m_deadline, &QTimer::timeout, this, [this] {
        m_process->kill(); // finished() then disposes of it; its answer is no longer wanted
        end(End::TimedOut);
    });
}

KeychainHelperProcess::~KeychainHelperProcess()
{
    m_input.fill('\0');
    m_result.out.fill('\0');
}

void KeychainHelperProcess::start(const QByteArray &input)
{
    m_input = input;
    m_input.detach(); // a copy of our own, zeroed once written
    if (m_input.isEmpty()) {
        m_process->setStandardInputFile(QProcess::nullDevice());
    }
    m_deadline.start(m_timeoutMs);
    m_process->start(m_input.isEmpty() ? QIODevice::ReadOnly : QIODevice::ReadWrite);
}

void KeychainHelperProcess::readCapped()
{
    m_result.out.append(readAvailable(*m_process, m_maxOutBytes - m_result.out.size()));
    m_result.outCapped = m_result.out.size() >= m_maxOutBytes;
}

void KeychainHelperProcess::end(End how)
{
    m_deadline.stop();
    if (m_ended) {
        return;
    }
    m_ended = true;
    m_result.end = how;
    m_result.exitCode = how == End::Exited ? m_process->exitCode() : 0;
    Q_EMIT ended(m_result);
    m_result.out.fill('\0');
}

} // namespace hopscope

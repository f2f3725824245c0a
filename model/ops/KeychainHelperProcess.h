#pragma once

#include <QByteArray>
#include <QObject>
#include <QString>
#include <QTimer>

class QProcess;

namespace hopscope {

// One run of the keychain helper hopscope-keychain (app/keychain_main.cpp), for SecretResolver
// (`read`) and KeychainWriter (`write`): the one place that starts it, reads its answer and stops
// it. The helper is started as `VERB ID DEADLINE_MS`, its own deadline 5 s after the caller's (it
// only matters when the caller dies and nobody kills the helper); stdin gets `input` and is then
// closed (the null device when there is none), stderr goes to the null device. Its stdout is read
// up to `maxOutBytes`; at the cap the helper is killed. At `timeoutMs` it is killed too: a
// keychain behind a session bus that never answers blocks whoever asks it, and only a process can
// be abandoned. Emits ended() exactly once and deletes itself once the process has ended (its
// owner's destruction kills it). Never blocks its thread.
class KeychainHelperProcess : public QObject
{
    Q_OBJECT
public:
    enum class End {
        Exited, // exitCode and out say what it answered ("ok\n..." or "error\n...")
        Crashed, // killed at the output cap, or crashed
        FailedToStart, // startError says why
        TimedOut, // no end within timeoutMs; it was killed
    };
    struct Result
    {
        End end = End::Exited;
        int exitCode = 0;
        QByteArray out; // at most maxOutBytes; zeroed once ended() returns
        bool outCapped = false; // out reached maxOutBytes
        QString startError;
    };

    // Where the helper is: $HOPSCOPE_KEYCHAIN_HELPER if set, else hopscope-keychain next to this
    // executable or in ../libexec from it. Empty when none exists.
    static QString helperPath();
    // The system keychain's service name for every entry hopscope reads or writes.
    static QString service() { return QStringLiteral("hopscope"); }

    KeychainHelperProcess(const QString &helperPath, const QString &verb, const QString &id,
        int timeoutMs, qint64 maxOutBytes, QObject *parent);
    ~KeychainHelperProcess() override;

    // Starts the helper; `input` goes to its stdin (the caller's copy is not kept).
    void start(const QByteArray &input = {});

Q_SIGNALS:
    void ended(const hopscope::KeychainHelperProcess::Result &result);

private:
    void readCapped();
    void end(End how);

    QProcess *m_process;
    QTimer m_deadline;
    QByteArray m_input;
    Result m_result;
    qint64 m_maxOutBytes;
    int m_timeoutMs;
    bool m_ended = false;
};

} // namespace hopscope

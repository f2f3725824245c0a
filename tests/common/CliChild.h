#pragma once

// Runs hopscope-cli ($HOPSCOPE_CLI) as a child the test controls byte by byte: its stdin is a
// pipe the test writes in pieces (and can see drained by the child's reads, so a piece arrives
// only after the child consumed the previous one: synchronised by the reads, not by sleeps), its
// stdout and stderr go to files, and wait4() gives the child's own peak RSS and CPU time.
// POSIX only (posix_spawn, wait4, FIONREAD).
//
// Peak RSS: a child's ru_maxrss also counts the high-water mark of the address space it was
// spawned from (the kernel records the old mm's peak at exec), so a test process that has held
// big buffers would pollute it. With `measure`, the CLI is started by a small python3 that
// forks, execs it and reports its wait4() figures in a file: the polluting peak is python's own
// (~10 MB, below any hopscope-cli process).

#include <QByteArray>
#include <QDeadlineTimer>
#include <QFile>
#include <QStringList>
#include <QTemporaryDir>

#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

extern char **environ;

namespace hopscope::test {

struct CliResult
{
    bool finished = false; // false: killed at the deadline
    int exitCode = -1;
    qint64 maxRssKb = 0; // the child's peak resident set (wait4's ru_maxrss)
    double cpuSeconds = 0; // user + system
    QByteArray out;
    QByteArray err;
};

class CliChild
{
public:
    CliChild() = default;
    CliChild(const CliChild &) = delete;
    CliChild &operator=(const CliChild &) = delete;
    ~CliChild()
    {
        closeStdin();
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
        }
    }

    // stdinPath empty: stdin is a pipe fed by write(); else that file.
    bool start(const QStringList &args, bool measure = false)
    {
        std::signal(SIGPIPE, SIG_IGN); // a child that stops reading must not kill the test
        int pipeFds[2] = { -1, -1 };
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        const QByteArray outPath = QFile::encodeName(m_dir.filePath(QStringLiteral("out")));
        const QByteArray errPath = QFile::encodeName(m_dir.filePath(QStringLiteral("err")));
        if (::pipe2(pipeFds, O_CLOEXEC) != 0) {
            return false;
        }
        posix_spawn_file_actions_adddup2(&fa, pipeFds[0], 0);
        posix_spawn_file_actions_addopen(
            &fa, 1, outPath.constData(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addopen(
            &fa, 2, errPath.constData(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const QByteArray cli = QFile::encodeName(qEnvironmentVariable("HOPSCOPE_CLI"));
        m_measured = measure;
        const QByteArray program = measure ? QByteArray("/usr/bin/python3") : cli;
        std::vector<QByteArray> argBytes { program };
        if (measure) {
            argBytes.push_back("-c");
            argBytes.push_back("import os, sys\n"
                               "pid = os.fork()\n"
                               "if pid == 0:\n"
                               "    os.execv(sys.argv[2], sys.argv[2:])\n"
                               "_, status, ru = os.wait4(pid, 0)\n"
                               "with open(sys.argv[1], 'w') as f:\n"
                               "    f.write('%d %f' % (ru.ru_maxrss, ru.ru_utime + ru.ru_stime))\n"
                               "os._exit(os.waitstatus_to_exitcode(status) & 0xff)\n");
            argBytes.push_back(QFile::encodeName(m_dir.filePath(QStringLiteral("rusage"))));
            argBytes.push_back(cli);
        }
        for (const QString &a : args) {
            argBytes.push_back(a.toUtf8());
        }
        std::vector<char *> argv;
        for (QByteArray &a : argBytes) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        const int rc
            = ::posix_spawn(&m_pid, program.constData(), &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        if (pipeFds[0] >= 0) {
            ::close(pipeFds[0]);
            m_stdin = pipeFds[1];
        }
        if (rc != 0) {
            m_pid = -1;
            return false;
        }
        return true;
    }

    // Writes all of `bytes` (blocking while the pipe is full); false if the child stopped reading.
    bool write(QByteArrayView bytes)
    {
        qsizetype done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::write(m_stdin, bytes.data() + done, size_t(bytes.size() - done));
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                return false;
            }
            done += n;
        }
        return true;
    }

    // True once the child has read everything written so far (the pipe holds no byte).
    bool waitDrained(int timeoutMs)
    {
        QDeadlineTimer deadline(timeoutMs);
        for (;;) {
            int pending = 0;
            if (::ioctl(m_stdin, FIONREAD, &pending) != 0) {
                return false;
            }
            if (pending == 0) {
                return true;
            }
            if (deadline.hasExpired()) {
                return false;
            }
            ::poll(nullptr, 0, 5);
        }
    }

    void closeStdin()
    {
        if (m_stdin >= 0) {
            ::close(m_stdin);
            m_stdin = -1;
        }
    }

    // Waits for the child to exit (killed at the deadline); keeps stdin open unless closed.
    CliResult finish(int timeoutMs)
    {
        CliResult r;
        QDeadlineTimer deadline(timeoutMs);
        int status = 0;
        struct rusage ru = {};
        for (;;) {
            const pid_t got = ::wait4(m_pid, &status, WNOHANG, &ru);
            if (got == m_pid) {
                r.finished = true;
                break;
            }
            if (deadline.hasExpired()) {
                ::kill(m_pid, SIGKILL);
                ::wait4(m_pid, &status, 0, &ru);
                break;
            }
            ::poll(nullptr, 0, 10);
        }
        m_pid = -1;
        r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        r.maxRssKb = ru.ru_maxrss;
        r.cpuSeconds = double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
            + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
        QFile usage(m_dir.filePath(QStringLiteral("rusage")));
        if (m_measured && usage.open(QIODevice::ReadOnly)) {
            const QList<QByteArray> f = usage.readAll().split(' ');
            r.maxRssKb = f.value(0).toLongLong();
            r.cpuSeconds = f.value(1).toDouble();
        }
        QFile out(m_dir.filePath(QStringLiteral("out")));
        QFile err(m_dir.filePath(QStringLiteral("err")));
        if (out.open(QIODevice::ReadOnly)) {
            r.out = out.readAll();
        }
        if (err.open(QIODevice::ReadOnly)) {
            r.err = err.readAll();
        }
        return r;
    }

    // Runs to the end with `input` on stdin.
    static CliResult run(
        const QStringList &args, QByteArrayView input, int timeoutMs = 60000, bool measure = false)
    {
        CliChild c;
        if (!c.start(args, measure)) {
            return {};
        }
        c.write(input);
        c.closeStdin();
        return c.finish(timeoutMs);
    }

private:
    QTemporaryDir m_dir;
    pid_t m_pid = -1;
    int m_stdin = -1;
    bool m_measured = false;
};

} // namespace hopscope::test

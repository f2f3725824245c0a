// libFuzzer target: the audit log reader (`hopscope-cli audit verify`, `undrain`, the window's open
// drains). AuditReader::scan streams a log through AuditLineReader, checks the hash chain against
// the head record and collects the drains not undone yet; any file content must give a verdict
// (problems say which line and what), never a crash; the drains it collects must name their
// target. The input is the log, optionally followed by the separator "\n\0head\0" and the content
// of its head record (<log>.head); both are written to a private directory (on /dev/shm when
// there is one: a disk makes every run wait for the file system), because the reader only reads
// regular files by path.
#include "ops/AuditReader.h"

#include <QByteArray>
#include <QFile>
#include <QString>

#include <cstdint>
#include <cstdlib>
#include <unistd.h>

namespace {

QString s_log;
QString s_head;

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return false;
    }
    return f.write(bytes) == bytes.size();
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    char shm[] = "/dev/shm/hopscope-fuzz-audit-XXXXXX";
    char tmp[] = "/tmp/hopscope-fuzz-audit-XXXXXX";
    const char *dir = mkdtemp(shm);
    if (!dir && !(dir = mkdtemp(tmp))) {
        std::abort();
    }
    s_log = QString::fromLatin1(dir) + QStringLiteral("/cluster.audit.jsonl");
    s_head = hopscope::AuditLog::headPath(s_log);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const QByteArray separator("\n\0head\0", 7);
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    const qsizetype cut = input.indexOf(separator);
    if (!writeFile(s_log, cut < 0 ? input : input.left(cut))) {
        std::abort();
    }
    if (cut < 0) {
        QFile::remove(s_head);
    } else if (!writeFile(s_head, input.mid(cut + separator.size()))) {
        std::abort();
    }
    const hopscope::AuditScan scan = hopscope::AuditReader::scan(s_log);
    for (const auto &p : scan.verify.problems) {
        if (p.what.isEmpty()) {
            std::abort(); // a problem must say what is wrong
        }
    }
    if (scan.verify.problemCount < scan.verify.problems.size()) {
        std::abort(); // the count covers every listed problem
    }
    for (const hopscope::OpenDrain &d : scan.drains) {
        if (d.target.isEmpty()) {
            std::abort(); // a drain to undo names what to put back
        }
    }
    return 0;
}

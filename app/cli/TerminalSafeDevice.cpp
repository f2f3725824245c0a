#include "cli/TerminalSafeDevice.h"

#include "cli/CliSupport.h"

namespace hopscope::cli {

namespace {

// True when the UTF-8 bytes hold nothing terminalSafe(LineBreaks::Keep) would change: no C0
// control but '\n' and '\t', no DEL, no C1 (C2 80-9F), no U+061C (D8 9C), no U+200E/F, U+2028/9,
// U+202A-E (E2 80 8E/8F/A8-AE) and no U+2066-9 (E2 81 A6-A9).
bool isClean(QByteArrayView bytes)
{
    const auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
    const qsizetype n = bytes.size();
    for (qsizetype i = 0; i < n; ++i) {
        const unsigned char c = p[i];
        if (c < 0x20) {
            if (c != '\n' && c != '\t') {
                return false;
            }
        } else if (c == 0x7f) {
            return false;
        } else if (c == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f) {
            return false;
        } else if (c == 0xd8 && i + 1 < n && p[i + 1] == 0x9c) {
            return false;
        } else if (c == 0xe2 && i + 2 < n) {
            const unsigned char b = p[i + 1];
            const unsigned char d = p[i + 2];
            if (b == 0x80 && (d == 0x8e || d == 0x8f || (d >= 0xa8 && d <= 0xae))) {
                return false;
            }
            if (b == 0x81 && d >= 0xa6 && d <= 0xa9) {
                return false;
            }
        }
    }
    return true;
}

// Where the bytes stop being whole UTF-8 sequences: the start of an unfinished one at the end.
qsizetype completeLength(QByteArrayView bytes)
{
    const qsizetype n = bytes.size();
    for (qsizetype back = 1; back <= 3 && back <= n; ++back) {
        const auto c = static_cast<unsigned char>(bytes[n - back]);
        if ((c & 0xc0) == 0x80) {
            continue; // a continuation byte: look further back for the lead
        }
        const qsizetype need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        return need > back ? n - back : n;
    }
    return n;
}

} // namespace

TerminalSafeDevice::TerminalSafeDevice(FILE *target, QObject *parent)
    : QIODevice(parent)
    , m_target(target)
{
    open(QIODevice::WriteOnly | QIODevice::Unbuffered);
}

TerminalSafeDevice::~TerminalSafeDevice()
{
    if (!m_pending.isEmpty()) {
        put(m_pending); // an unfinished sequence at the very end: decoded as U+FFFD
    }
}

qint64 TerminalSafeDevice::readData(char *, qint64)
{
    return -1;
}

bool TerminalSafeDevice::put(QByteArrayView bytes)
{
    if (bytes.isEmpty()) {
        return true;
    }
    if (isClean(bytes)) {
        return std::fwrite(bytes.data(), 1, size_t(bytes.size()), m_target) == size_t(bytes.size());
    }
    const QByteArray safe = terminalSafe(QString::fromUtf8(bytes), LineBreaks::Keep).toUtf8();
    return std::fwrite(safe.constData(), 1, size_t(safe.size()), m_target) == size_t(safe.size());
}

qint64 TerminalSafeDevice::writeData(const char *data, qint64 size)
{
    QByteArray joined;
    QByteArrayView bytes(data, size);
    if (!m_pending.isEmpty()) {
        joined = m_pending + bytes;
        m_pending.clear();
        bytes = joined;
    }
    const qsizetype whole = completeLength(bytes);
    m_pending = bytes.sliced(whole).toByteArray();
    if (!put(bytes.first(whole))) {
        return -1;
    }
    std::fflush(m_target);
    return size;
}

} // namespace hopscope::cli

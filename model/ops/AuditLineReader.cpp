#include "ops/AuditLineReader.h"

#include "core/BoundedFile.h"

#include <QFile>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hopscope {

namespace {

constexpr qint64 s_chunk = 256 * 1024;

QString errnoText(int err)
{
    return QString::fromLocal8Bit(std::strerror(err));
}

} // namespace

AuditLineReader::AuditLineReader(QString path, qint64 maxLineBytes)
    : m_path(std::move(path))
    , m_maxLine(maxLineBytes)
{ }

AuditLineReader::~AuditLineReader()
{
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

bool AuditLineReader::open()
{
    m_fd = openRegularFile(m_path, &m_size, &m_error, &m_missing);
    return m_fd >= 0;
}

bool AuditLineReader::fill()
{
    if (m_eof || m_fd < 0) {
        return false;
    }
    const qint64 want = std::min(s_chunk, m_size - m_consumed);
    if (want <= 0) {
        m_eof = true;
        return false;
    }
    // Keep only what is not consumed yet.
    m_buf.remove(0, m_pos);
    m_pos = 0;
    const qsizetype old = m_buf.size();
    m_buf.resize(old + qsizetype(want));
    for (;;) {
        const ssize_t n = ::read(m_fd, m_buf.data() + old, size_t(want));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            m_error = QStringLiteral("%1: read failed: %2").arg(m_path, errnoText(errno));
            m_buf.resize(old);
            m_eof = true;
            return false;
        }
        m_buf.resize(old + n);
        m_consumed += n;
        if (n == 0) {
            m_eof = true; // shrank while read
            return false;
        }
        return true;
    }
}

bool AuditLineReader::next(Line *line)
{
    if (m_fd < 0) {
        return false;
    }
    line->bytes.clear();
    line->overlong = false;
    line->terminated = true;
    for (;;) {
        const qsizetype nl = m_buf.indexOf('\n', m_pos);
        if (nl >= 0) {
            const qsizetype len = nl - m_pos;
            const qsizetype room = qsizetype(m_maxLine) - line->bytes.size();
            if (len > room) {
                line->overlong = true;
            }
            line->bytes.append(
                m_buf.constData() + m_pos, std::max<qsizetype>(0, std::min(len, room)));
            m_pos = nl + 1;
            line->number = ++m_number;
            return true;
        }
        // No newline in the buffer: keep at most maxLine bytes of this line, drop the rest.
        const qsizetype len = m_buf.size() - m_pos;
        const qsizetype room = qsizetype(m_maxLine) - line->bytes.size();
        if (len > room) {
            line->overlong = true;
        }
        line->bytes.append(m_buf.constData() + m_pos, std::max<qsizetype>(0, std::min(len, room)));
        m_pos = m_buf.size();
        if (!fill()) {
            if (line->bytes.isEmpty() && !line->overlong) {
                return false; // clean end of file
            }
            line->terminated = false;
            line->number = ++m_number;
            return true;
        }
    }
}

} // namespace hopscope

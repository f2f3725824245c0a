#pragma once

#include <QByteArrayView>

namespace hopscope {

// Walks an input line by line without copying. A final line without '\n' is reported so callers
// can tell a truncated dump from a complete one. For the text dumps of the proxies' admin
// interfaces (HAProxy show stat / show servers state / show info, Envoy /clusters and /stats in
// text): '\r' before '\n' is dropped, lines count from 1.
class LineReader
{
public:
    explicit LineReader(QByteArrayView input)
        : m_input(input)
    { }
    // False at the end. *terminated is false for a last line without '\n'.
    bool next(QByteArrayView *line, bool *terminated)
    {
        if (m_pos >= m_input.size()) {
            return false;
        }
        const qsizetype nl = m_input.indexOf('\n', m_pos);
        const qsizetype end = nl < 0 ? m_input.size() : nl;
        QByteArrayView l = m_input.sliced(m_pos, end - m_pos);
        if (l.endsWith('\r')) {
            l.chop(1);
        }
        *line = l;
        *terminated = nl >= 0;
        m_pos = end + 1;
        ++m_lineNo;
        return true;
    }
    int lineNo() const { return m_lineNo; }

private:
    QByteArrayView m_input;
    qsizetype m_pos = 0;
    int m_lineNo = 0;
};

} // namespace hopscope

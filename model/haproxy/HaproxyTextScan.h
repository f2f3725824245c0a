#pragma once

// Internal: the line and field scanning shared by the HAProxy parsers (HaproxyStatParser,
// HaproxyServersStateParser, HaproxyInfoParser). Not part of the model's API.

#include "core/Parsed.h"

#include <QByteArrayView>
#include <QString>

#include <optional>
#include <vector>

namespace hopscope::haproxyscan {

// Walks an input line by line without copying. A final line without '\n' is reported so callers
// can tell a truncated dump from a complete one.
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

QString excerpt(QByteArrayView bytes); // at most 40 printable characters, '?' for the rest
// Binary garbage must be refused before anything else looks at it.
bool isTextLine(QByteArrayView line);
bool isColumnName(QByteArrayView name);

enum class Sign { NonNegative, Any };

// Empty -> nullopt with *ok true. Non-numeric, negative (when not allowed) or overflowing -> *ok
// false.
std::optional<qint64> parseInt(QByteArrayView text, Sign sign, bool *ok);

ParseError lineError(int lineNo, const QString &what); // where: "line N"
// "line N: COLUMN value 'VALUE' is not a number | is negative | overflows a 64-bit counter"
ParseError intError(int lineNo, QByteArrayView column, QByteArrayView value);

struct CsvField
{
    QByteArrayView raw;
    bool quoted = false;
    QString text() const
    {
        QString s = QString::fromUtf8(raw);
        if (quoted) {
            s.replace(QStringLiteral("\"\""), QStringLiteral("\""));
        }
        return s;
    }
};

// Splits one CSV line; HAProxy quotes a field only when it holds ',' or '"' ("" inside quotes).
// A trailing comma (every HAProxy line has one) does not make an extra field.
bool splitCsv(QByteArrayView line, std::vector<CsvField> *fields, QString *why);

// "10.0.0.1:80", "[::1]:80", "unix", "/path": false when it has a port that is not one.
bool splitAddress(const QString &addr, std::optional<QString> *host, std::optional<quint16> *port);

} // namespace hopscope::haproxyscan

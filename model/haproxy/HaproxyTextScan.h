#pragma once

// Internal: the line and field scanning shared by the HAProxy parsers (HaproxyStatParser,
// HaproxyServersStateParser, HaproxyInfoParser). Not part of the model's API.

#include "core/LineReader.h"
#include "core/Parsed.h"

#include <QByteArrayView>
#include <QHash>
#include <QString>

#include <optional>
#include <vector>

namespace hopscope::haproxyscan {

using hopscope::LineReader;

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

// Values that repeat across thousands of rows of one dump (states, check results, backend and
// slot names): one QString per distinct value, shared, instead of one allocation per row. The
// keys point into the dump being parsed: one instance per parse. Bounded: past 4,096 distinct
// values the rest are decoded but not kept.
class SharedText
{
public:
    QString operator()(QByteArrayView raw)
    {
        if (const auto it = m_seen.constFind(raw); it != m_seen.cend()) {
            return *it;
        }
        QString value = QString::fromUtf8(raw);
        if (m_seen.size() < 4096) {
            m_seen.insert(raw, value);
        }
        return value;
    }

private:
    QHash<QByteArrayView, QString> m_seen;
};

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

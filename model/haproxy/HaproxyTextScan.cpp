#include "haproxy/HaproxyTextScan.h"

#include "haproxy/HaproxyParsers.h"

#include <charconv>

namespace hopscope::haproxyscan {

QString excerpt(QByteArrayView bytes)
{
    QString text;
    for (const char c : bytes.first(std::min<qsizetype>(bytes.size(), 40))) {
        const auto u = static_cast<unsigned char>(c);
        text += (u >= 0x20 && u < 0x7f) ? QChar(char16_t(u)) : QChar(u'?');
    }
    if (bytes.size() > 40) {
        text += QStringLiteral("...");
    }
    return text;
}

// Binary garbage must be refused before anything else looks at it.
bool isTextLine(QByteArrayView line)
{
    for (const char c : line) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 && u != '\t') {
            return false;
        }
    }
    return true;
}

bool isColumnName(QByteArrayView name)
{
    if (name.isEmpty()) {
        return false;
    }
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || c == '_' || c == '-' || c == '.';
        if (!ok) {
            return false;
        }
    }
    return true;
}

// Empty -> nullopt with *ok true. Non-numeric, negative (when not allowed) or overflowing -> *ok
// false.
std::optional<qint64> parseInt(QByteArrayView text, Sign sign, bool *ok)
{
    *ok = true;
    if (text.isEmpty()) {
        return std::nullopt;
    }
    qint64 value = 0;
    const char *begin = text.data();
    const char *end = begin + text.size();
    const auto [ptr, ec] = std::from_chars(begin, end, value);
    if (ec != std::errc() || ptr != end || (sign == Sign::NonNegative && value < 0)) {
        *ok = false;
        return std::nullopt;
    }
    return value;
}

ParseError lineError(int lineNo, const QString &what)
{
    return ParseError { QStringLiteral("line %1").arg(lineNo), what };
}

ParseError intError(int lineNo, QByteArrayView column, QByteArrayView value)
{
    qint64 probe = 0;
    const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), probe);
    QString why;
    if (ec == std::errc::result_out_of_range) {
        why = QStringLiteral("overflows a 64-bit counter");
    } else if (ec == std::errc() && ptr == value.data() + value.size() && probe < 0) {
        why = QStringLiteral("is negative");
    } else {
        why = QStringLiteral("is not a number");
    }
    return lineError(lineNo,
        QStringLiteral("%1 value '%2' %3").arg(QString::fromLatin1(column), excerpt(value), why));
}

// Splits one CSV line; HAProxy quotes a field only when it holds ',' or '"' ("" inside quotes).
// A trailing comma (every HAProxy line has one) does not make an extra field.
bool splitCsv(QByteArrayView line, std::vector<CsvField> *fields, QString *why)
{
    fields->clear();
    qsizetype i = 0;
    const qsizetype n = line.size();
    while (i <= n) {
        if (i == n) {
            // after a trailing comma, or an empty line
            break;
        }
        if (fields->size() >= size_t(s_haproxyMaxColumns)) {
            *why = QStringLiteral("more than %1 fields").arg(s_haproxyMaxColumns);
            return false;
        }
        if (line[i] == '"') {
            qsizetype j = i + 1;
            for (;;) {
                const qsizetype q = line.indexOf('"', j);
                if (q < 0) {
                    *why = QStringLiteral("unterminated quoted field");
                    return false;
                }
                if (q + 1 < n && line[q + 1] == '"') {
                    j = q + 2;
                    continue;
                }
                fields->push_back({ line.sliced(i + 1, q - i - 1), true });
                i = q + 1;
                break;
            }
            if (i < n && line[i] != ',') {
                *why = QStringLiteral("text after a closing quote");
                return false;
            }
            ++i;
        } else {
            qsizetype comma = line.indexOf(',', i);
            if (comma < 0) {
                comma = n;
            }
            fields->push_back({ line.sliced(i, comma - i), false });
            i = comma + 1;
        }
    }
    return true;
}

bool splitAddress(const QString &addr, std::optional<QString> *host, std::optional<quint16> *port)
{
    if (addr.isEmpty()) {
        return true;
    }
    if (addr == u"unix" || addr.startsWith(u'/') || !addr.contains(u':')) {
        *host = addr;
        return true;
    }
    const qsizetype colon = addr.lastIndexOf(u':');
    QString h = addr.left(colon);
    if (h.startsWith(u'[') && h.endsWith(u']')) {
        h = h.mid(1, h.size() - 2);
    }
    bool ok = false;
    const uint p = QStringView(addr).mid(colon + 1).toUInt(&ok);
    if (!ok || p > 65535 || h.isEmpty()) {
        return false;
    }
    *host = h;
    *port = quint16(p);
    return true;
}

} // namespace hopscope::haproxyscan

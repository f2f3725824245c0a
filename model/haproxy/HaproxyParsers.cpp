#include "haproxy/HaproxyParsers.h"

#include <QHash>

#include <charconv>
#include <climits>
#include <vector>

namespace hopscope {

namespace {

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

bool fail(QString *error, const QString &why)
{
    if (error) {
        *error = why;
    }
    return false;
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

enum class Sign { NonNegative, Any };

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

QString intError(int lineNo, QByteArrayView column, QByteArrayView value)
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
    return QStringLiteral("line %1: %2 value '%3' %4")
        .arg(lineNo)
        .arg(QString::fromLatin1(column), excerpt(value), why);
}

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

} // namespace

std::optional<HaproxyStatSnapshot> HaproxyStatParser::parse(QByteArrayView input, QString *error)
{
    if (input.isEmpty()) {
        fail(error, QStringLiteral("empty input: no show stat header"));
        return std::nullopt;
    }
    LineReader reader(input);
    QByteArrayView line;
    bool terminated = false;
    reader.next(&line, &terminated);
    if (line.size() > s_haproxyMaxLineBytes) {
        fail(error,
            QStringLiteral("header line longer than %1 bytes: not show stat output")
                .arg(s_haproxyMaxLineBytes));
        return std::nullopt;
    }
    if (!line.startsWith("# ")) {
        fail(error,
            QStringLiteral("not show stat CSV: the first line does not start with '# ' "
                           "(it starts '%1')")
                .arg(excerpt(line)));
        return std::nullopt;
    }
    std::vector<CsvField> fields;
    QString why;
    if (!isTextLine(line) || !splitCsv(line.sliced(2), &fields, &why)) {
        fail(error,
            QStringLiteral("unreadable show stat header: %1")
                .arg(why.isEmpty() ? QStringLiteral("control characters") : why));
        return std::nullopt;
    }
    QHash<QByteArray, int> column;
    for (size_t i = 0; i < fields.size(); ++i) {
        if (fields[i].quoted || !isColumnName(fields[i].raw)) {
            fail(error,
                QStringLiteral("show stat header column %1 '%2' is not a column name")
                    .arg(i + 1)
                    .arg(excerpt(fields[i].raw)));
            return std::nullopt;
        }
        column.insert(fields[i].raw.toByteArray(), int(i)); // later duplicates (module columns) win
    }
    const int columns = int(fields.size());
    for (const char *required : { "pxname", "svname", "status" }) {
        if (!column.contains(required)) {
            fail(error,
                QStringLiteral("show stat header has no '%1' column").arg(QLatin1String(required)));
            return std::nullopt;
        }
    }
    const auto col = [&](const char *name) { return column.value(name, -1); };
    const int cPx = col("pxname"), cSv = col("svname"), cStatus = col("status"),
              cType = col("type"), cScur = col("scur"), cStot = col("stot"), cQcur = col("qcur"),
              cWeight = col("weight"), cUweight = col("uweight"), cLastchg = col("lastchg"),
              cChk = col("check_status"), cChkCode = col("check_code"),
              cChkDesc = col("check_desc"), cLastChk = col("last_chk"), cAddr = col("addr"),
              cBck = col("bck"), cMode = col("mode");
    // Traffic columns (model/traffic/ turns successive values into rates).
    const int tCols[] = { col("req_tot"), col("stot"), col("hrsp_1xx"), col("hrsp_2xx"),
        col("hrsp_3xx"), col("hrsp_4xx"), col("hrsp_5xx"), col("hrsp_other"), col("econ"),
        col("eresp"), col("scur"), col("qcur"), col("rtime"), col("ttime"), col("rtime_max"),
        col("ttime_max") };

    HaproxyStatSnapshot snap;
    snap.columnCount = columns;
    QHash<QString, int> frontends;
    QHash<QString, int> backends;
    const auto proxyIndex = [&](const QString &name, HaproxyStatProxy::Type type) {
        QHash<QString, int> &index
            = type == HaproxyStatProxy::Type::Frontend ? frontends : backends;
        auto it = index.constFind(name);
        if (it != index.constEnd()) {
            return *it;
        }
        HaproxyStatProxy p;
        p.name = name;
        p.type = type;
        snap.proxies.append(p);
        index.insert(name, int(snap.proxies.size() - 1));
        return int(snap.proxies.size() - 1);
    };

    while (reader.next(&line, &terminated)) {
        const int lineNo = reader.lineNo();
        if (line.isEmpty()) {
            continue; // the terminating blank line
        }
        if (line.size() > s_haproxyMaxLineBytes) {
            fail(error,
                QStringLiteral("line %1 is longer than %2 bytes")
                    .arg(lineNo)
                    .arg(s_haproxyMaxLineBytes));
            return std::nullopt;
        }
        if (!isTextLine(line)) {
            fail(error,
                QStringLiteral("line %1 holds control characters (binary data?)").arg(lineNo));
            return std::nullopt;
        }
        if (!terminated) {
            fail(error, QStringLiteral("truncated: line %1 has no end of line").arg(lineNo));
            return std::nullopt;
        }
        if (line.startsWith("# ")) {
            fail(error,
                QStringLiteral("line %1: a second header (two dumps concatenated?)").arg(lineNo));
            return std::nullopt;
        }
        if (!splitCsv(line, &fields, &why)) {
            fail(error, QStringLiteral("line %1: %2").arg(lineNo).arg(why));
            return std::nullopt;
        }
        if (int(fields.size()) != columns) {
            fail(error,
                QStringLiteral("line %1 has %2 fields but the header names %3 columns")
                    .arg(lineNo)
                    .arg(fields.size())
                    .arg(columns));
            return std::nullopt;
        }
        bool ok = true;
        const auto num = [&](int c, Sign sign) -> std::optional<qint64> {
            if (c < 0 || !ok) {
                return std::nullopt;
            }
            bool good = true;
            auto v = parseInt(fields[size_t(c)].raw, sign, &good);
            if (!good) {
                ok = false;
                why = intError(lineNo, QByteArrayView(column.key(c)), fields[size_t(c)].raw);
            }
            return v;
        };
        const auto text = [&](int c) { return c < 0 ? QString() : fields[size_t(c)].text(); };
        const auto traffic = [&] {
            HaproxyTrafficCounters t;
            std::optional<qint64> *out[] = { &t.reqTot, &t.stot, &t.hrsp1xx, &t.hrsp2xx, &t.hrsp3xx,
                &t.hrsp4xx, &t.hrsp5xx, &t.hrspOther, &t.econ, &t.eresp, &t.scur, &t.qcur, &t.rtime,
                &t.ttime, &t.rtimeMax, &t.ttimeMax };
            for (size_t i = 0; i < std::size(tCols); ++i) {
                *out[i] = num(tCols[i], Sign::NonNegative);
            }
            return t;
        };

        const QString pxname = text(cPx);
        const QString svname = text(cSv);
        if (pxname.isEmpty()) {
            fail(error, QStringLiteral("line %1: empty pxname").arg(lineNo));
            return std::nullopt;
        }
        int type = -1;
        if (cType >= 0) {
            const auto t = num(cType, Sign::NonNegative);
            if (!ok) {
                fail(error, why);
                return std::nullopt;
            }
            type = t ? int(std::min<qint64>(*t, 99)) : -1;
        }
        if (type < 0) { // very old dumps without the type column
            type = svname == u"FRONTEND" ? 0 : svname == u"BACKEND" ? 1 : 2;
        }
        if (type > 3) {
            fail(error,
                QStringLiteral("line %1: unknown row type %2 (0-3 expected)")
                    .arg(lineNo)
                    .arg(type));
            return std::nullopt;
        }
        const QString status = text(cStatus);
        if (type == 0 || type == 1) {
            HaproxyStatProxy &p = snap.proxies[proxyIndex(pxname,
                type == 0 ? HaproxyStatProxy::Type::Frontend : HaproxyStatProxy::Type::Backend)];
            p.status = status;
            p.state = classifyHaproxyStatus(status);
            p.scur = num(cScur, Sign::NonNegative);
            p.weight = num(cWeight, Sign::NonNegative);
            p.mode = text(cMode);
            p.traffic = traffic();
            if (!ok) {
                fail(error, why);
                return std::nullopt;
            }
            continue;
        }
        HaproxyStatServer s;
        s.name = svname;
        s.status = status;
        s.state = classifyHaproxyStatus(status, &s.transitional, &s.trackedBy);
        s.scur = num(cScur, Sign::NonNegative);
        s.stot = num(cStot, Sign::NonNegative);
        s.qcur = num(cQcur, Sign::NonNegative);
        s.weight = num(cWeight, Sign::NonNegative);
        s.userWeight = num(cUweight, Sign::NonNegative);
        s.lastChangeSeconds = num(cLastchg, Sign::NonNegative);
        s.checkCode = num(cChkCode, Sign::NonNegative);
        s.backup = num(cBck, Sign::NonNegative).value_or(0) != 0;
        s.traffic = traffic();
        if (!ok) {
            fail(error, why);
            return std::nullopt;
        }
        s.checkStatus = text(cChk);
        if (s.checkStatus.startsWith(QStringLiteral("* "))) {
            s.checkInProgress = true;
            s.checkStatus.remove(0, 2);
        }
        s.checkDesc = text(cChkDesc);
        s.lastCheck = text(cLastChk);
        if (cAddr >= 0 && !splitAddress(text(cAddr), &s.address, &s.port)) {
            fail(error,
                QStringLiteral("line %1: addr '%2' is not address:port")
                    .arg(lineNo)
                    .arg(excerpt(fields[size_t(cAddr)].raw)));
            return std::nullopt;
        }
        snap.addressesVisible = snap.addressesVisible || s.address.has_value();
        if (type == 2) {
            snap.proxies[proxyIndex(pxname, HaproxyStatProxy::Type::Backend)].servers.append(s);
        } else {
            snap.proxies[proxyIndex(pxname, HaproxyStatProxy::Type::Frontend)].listeners.append(s);
        }
    }
    return snap;
}

std::optional<HaproxyServersStateSnapshot> HaproxyServersStateParser::parse(
    QByteArrayView input, QString *error)
{
    if (input.isEmpty()) {
        fail(error, QStringLiteral("empty input: no show servers state version line"));
        return std::nullopt;
    }
    LineReader reader(input);
    QByteArrayView line;
    bool terminated = false;
    reader.next(&line, &terminated);
    bool ok = false;
    const auto version = parseInt(line.trimmed(), Sign::NonNegative, &ok);
    if (!ok || !version || !terminated) {
        fail(error,
            QStringLiteral("not show servers state output: the first line '%1' is not a "
                           "format version number")
                .arg(excerpt(line)));
        return std::nullopt;
    }
    if (*version != 1) {
        fail(error,
            QStringLiteral("unsupported show servers state format version %1 (1 expected)")
                .arg(*version));
        return std::nullopt;
    }
    if (!reader.next(&line, &terminated) || !line.startsWith("# ") || !terminated
        || line.size() > s_haproxyMaxLineBytes || !isTextLine(line)) {
        fail(error, QStringLiteral("show servers state: line 2 is not the '# ' column header"));
        return std::nullopt;
    }
    QHash<QByteArray, int> column;
    int columns = 0;
    for (const QByteArrayView name : QByteArrayView(line.sliced(2)).toByteArray().split(' ')) {
        if (name.isEmpty()) {
            continue;
        }
        if (!isColumnName(name) || columns >= s_haproxyMaxColumns) {
            fail(error,
                QStringLiteral("show servers state header column '%1' is not a column name")
                    .arg(excerpt(name)));
            return std::nullopt;
        }
        column.insert(name.toByteArray(), columns++);
    }
    for (const char *required :
        { "be_name", "srv_name", "srv_addr", "srv_op_state", "srv_admin_state" }) {
        if (!column.contains(required)) {
            fail(error,
                QStringLiteral("show servers state header has no '%1' column")
                    .arg(QLatin1String(required)));
            return std::nullopt;
        }
    }
    const auto col = [&](const char *name) { return column.value(name, -1); };
    HaproxyServersStateSnapshot snap;
    snap.formatVersion = int(*version);
    // One server per line: reserving avoids the list's growth copies on a big dump.
    snap.servers.reserve(input.count('\n'));
    std::vector<QByteArrayView> fields;
    while (reader.next(&line, &terminated)) {
        const int lineNo = reader.lineNo();
        if (line.isEmpty()) {
            continue;
        }
        if (!terminated) {
            fail(error, QStringLiteral("truncated: line %1 has no end of line").arg(lineNo));
            return std::nullopt;
        }
        if (line.size() > s_haproxyMaxLineBytes || !isTextLine(line)) {
            fail(error,
                QStringLiteral("line %1 is too long or holds control characters").arg(lineNo));
            return std::nullopt;
        }
        fields.clear();
        qsizetype pos = 0;
        while (pos <= line.size() && int(fields.size()) <= columns) {
            qsizetype sp = line.indexOf(' ', pos);
            if (sp < 0) {
                sp = line.size();
            }
            if (sp > pos) {
                fields.push_back(line.sliced(pos, sp - pos));
            }
            pos = sp + 1;
        }
        if (int(fields.size()) != columns) {
            fail(error,
                QStringLiteral("line %1 has %2%3 fields but the header names %4 columns")
                    .arg(lineNo)
                    .arg(int(fields.size()) > columns ? QStringLiteral("more than ") : QString())
                    .arg(std::min<int>(int(fields.size()), columns))
                    .arg(columns));
            return std::nullopt;
        }
        QString why;
        bool good = true;
        const auto num = [&](const char *name) -> qint64 {
            const int c = col(name);
            if (c < 0 || !good) {
                return 0;
            }
            bool ok2 = true;
            const auto v = parseInt(fields[size_t(c)], Sign::NonNegative, &ok2);
            if (!ok2) {
                good = false;
                why = intError(lineNo, QByteArrayView(name), fields[size_t(c)]);
            }
            return v.value_or(0);
        };
        const auto optText = [&](const char *name) -> std::optional<QString> {
            const int c = col(name);
            if (c < 0 || fields[size_t(c)] == "-") {
                return std::nullopt;
            }
            return QString::fromUtf8(fields[size_t(c)]);
        };
        HaproxyServerState s;
        s.backendId = int(std::min<qint64>(num("be_id"), INT_MAX));
        s.backend = QString::fromUtf8(fields[size_t(col("be_name"))]);
        s.serverId = int(std::min<qint64>(num("srv_id"), INT_MAX));
        s.name = QString::fromUtf8(fields[size_t(col("srv_name"))]);
        s.address = optText("srv_addr");
        const qint64 op = num("srv_op_state");
        s.opState = op <= 3 ? HaproxyOpState(op) : HaproxyOpState::Unknown;
        const qint64 admin = num("srv_admin_state");
        s.userWeight = int(std::min<qint64>(num("srv_uweight"), INT_MAX));
        s.initialWeight = int(std::min<qint64>(num("srv_iweight"), INT_MAX));
        s.secondsSinceChange = num("srv_time_since_last_change");
        s.checkStatus = int(std::min<qint64>(num("srv_check_status"), INT_MAX));
        s.checkResult = int(std::min<qint64>(num("srv_check_result"), INT_MAX));
        s.checkHealth = int(std::min<qint64>(num("srv_check_health"), INT_MAX));
        s.checkState = int(std::min<qint64>(num("srv_check_state"), INT_MAX));
        const qint64 port = num("srv_port");
        if (!good) {
            fail(error, why);
            return std::nullopt;
        }
        if (admin > 0xffff || port > 65535) {
            fail(error,
                QStringLiteral("line %1: %2 out of range")
                    .arg(lineNo)
                    .arg(admin > 0xffff ? QStringLiteral("srv_admin_state %1").arg(admin)
                                        : QStringLiteral("srv_port %1").arg(port)));
            return std::nullopt;
        }
        s.adminState = quint32(admin);
        if (port > 0) {
            s.port = quint16(port);
        }
        if (s.address && (*s.address == u"0.0.0.0" || *s.address == u"::")) {
            s.address.reset(); // an unfilled template slot
        }
        s.fqdn = optText("srv_fqdn");
        s.srvRecord = optText("srvrecord");
        snap.servers.append(s);
    }
    return snap;
}

std::optional<HaproxyInfo> HaproxyInfoParser::parse(QByteArrayView input, QString *error)
{
    if (input.isEmpty()) {
        fail(error, QStringLiteral("empty input: no show info fields"));
        return std::nullopt;
    }
    HaproxyInfo info;
    LineReader reader(input);
    QByteArrayView line;
    bool terminated = false;
    while (reader.next(&line, &terminated)) {
        const int lineNo = reader.lineNo();
        if (line.isEmpty()) {
            continue;
        }
        if (line.size() > s_haproxyMaxLineBytes || !isTextLine(line)) {
            fail(error,
                QStringLiteral("line %1 is too long or holds control characters: not show "
                               "info output")
                    .arg(lineNo));
            return std::nullopt;
        }
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0) {
            fail(error,
                QStringLiteral("line %1 '%2' is not 'Name: value': not show info output")
                    .arg(lineNo)
                    .arg(excerpt(line)));
            return std::nullopt;
        }
        if (!terminated) {
            fail(error, QStringLiteral("truncated: line %1 has no end of line").arg(lineNo));
            return std::nullopt;
        }
        if (info.fields.size() >= s_haproxyMaxInfoFields) {
            fail(error,
                QStringLiteral("more than %1 fields: not show info output")
                    .arg(s_haproxyMaxInfoFields));
            return std::nullopt;
        }
        const QString key = QString::fromUtf8(line.first(colon)).trimmed();
        const QString value = QString::fromUtf8(line.sliced(colon + 1)).trimmed();
        info.fields.append({ key, value });
        const auto number = [&](std::optional<qint64> *out) {
            bool ok = false;
            const auto v = parseInt(line.sliced(colon + 1).trimmed(), Sign::NonNegative, &ok);
            if (!ok) {
                return false;
            }
            *out = v;
            return true;
        };
        bool ok = true;
        if (key == u"Name") {
            info.name = value;
        } else if (key == u"Version") {
            info.version = value;
        } else if (key == u"node") {
            info.node = value;
        } else if (key == u"Pid") {
            ok = number(&info.pid);
        } else if (key == u"Uptime_sec") {
            ok = number(&info.uptimeSeconds);
        } else if (key == u"CurrConns") {
            ok = number(&info.currentConnections);
        } else if (key == u"Maxconn") {
            ok = number(&info.maxConnections);
        } else if (key == u"Stopping") {
            info.stopping = value == u"1";
        }
        if (!ok) {
            fail(error, intError(lineNo, line.first(colon), line.sliced(colon + 1).trimmed()));
            return std::nullopt;
        }
    }
    if (info.version.isEmpty()) {
        fail(error, QStringLiteral("no 'Version:' field: not show info output"));
        return std::nullopt;
    }
    return info;
}

} // namespace hopscope

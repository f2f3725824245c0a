#include "haproxy/HaproxyServersStateParser.h"

#include "haproxy/HaproxyParsers.h"
#include "haproxy/HaproxyTextScan.h"

#include <climits>
#include <vector>

namespace hopscope {

using namespace haproxyscan;

Parsed<HaproxyServersStateSnapshot> HaproxyServersStateParser::parse(QByteArrayView input)
{
    if (input.isEmpty()) {
        return ParseError { {}, QStringLiteral("empty input: no show servers state version line") };
    }
    LineReader reader(input);
    QByteArrayView line;
    bool terminated = false;
    reader.next(&line, &terminated);
    bool ok = false;
    const auto version = parseInt(line.trimmed(), Sign::NonNegative, &ok);
    if (!ok || !version || !terminated) {
        return ParseError { {},
            QStringLiteral("not show servers state output: the first line '%1' is not a "
                           "format version number")
                .arg(excerpt(line)) };
    }
    if (*version != 1) {
        return ParseError { {},
            QStringLiteral("unsupported show servers state format version %1 (1 expected)")
                .arg(*version) };
    }
    if (!reader.next(&line, &terminated) || !line.startsWith("# ") || !terminated
        || line.size() > s_haproxyMaxLineBytes || !isTextLine(line)) {
        return ParseError { {},
            QStringLiteral("show servers state: line 2 is not the '# ' column header") };
    }
    QHash<QByteArray, int> column;
    int columns = 0;
    for (const QByteArrayView name : QByteArrayView(line.sliced(2)).toByteArray().split(' ')) {
        if (name.isEmpty()) {
            continue;
        }
        if (!isColumnName(name) || columns >= s_haproxyMaxColumns) {
            return ParseError { {},
                QStringLiteral("show servers state header column '%1' is not a column name")
                    .arg(excerpt(name)) };
        }
        column.insert(name.toByteArray(), columns++);
    }
    for (const char *required :
        { "be_name", "srv_name", "srv_addr", "srv_op_state", "srv_admin_state" }) {
        if (!column.contains(required)) {
            return ParseError { {},
                QStringLiteral("show servers state header has no '%1' column")
                    .arg(QLatin1String(required)) };
        }
    }
    const auto col = [&](const char *name) { return column.value(name, -1); };
    HaproxyServersStateSnapshot snap;
    snap.formatVersion = int(*version);
    // One server per line: reserving avoids the list's growth copies on a big dump.
    snap.servers.reserve(input.count('\n'));
    std::vector<QByteArrayView> fields;
    SharedText shared; // backend and slot names (20 servers a backend, "s01" in every backend)
    while (reader.next(&line, &terminated)) {
        const int lineNo = reader.lineNo();
        if (line.isEmpty()) {
            continue;
        }
        if (!terminated) {
            return lineError(lineNo, QStringLiteral("truncated: the line has no end of line"));
        }
        if (line.size() > s_haproxyMaxLineBytes || !isTextLine(line)) {
            return lineError(lineNo, QStringLiteral("is too long or holds control characters"));
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
            return lineError(lineNo,
                QStringLiteral("has %1%2 fields but the header names %3 columns")
                    .arg(int(fields.size()) > columns ? QStringLiteral("more than ") : QString())
                    .arg(std::min<int>(int(fields.size()), columns))
                    .arg(columns));
        }
        ParseError bad;
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
                bad = intError(lineNo, QByteArrayView(name), fields[size_t(c)]);
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
        s.backend = shared(fields[size_t(col("be_name"))]);
        s.serverId = int(std::min<qint64>(num("srv_id"), INT_MAX));
        s.name = shared(fields[size_t(col("srv_name"))]);
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
            return bad;
        }
        if (admin > 0xffff || port > 65535) {
            return lineError(lineNo,
                QStringLiteral("%1 out of range")
                    .arg(admin > 0xffff ? QStringLiteral("srv_admin_state %1").arg(admin)
                                        : QStringLiteral("srv_port %1").arg(port)));
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
        snap.servers.append(std::move(s));
    }
    return snap;
}

} // namespace hopscope

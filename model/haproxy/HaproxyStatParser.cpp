#include "haproxy/HaproxyStatParser.h"

#include "haproxy/HaproxyParsers.h"
#include "haproxy/HaproxyTextScan.h"

#include <QHash>

#include <vector>

namespace hopscope {

using namespace haproxyscan;

Parsed<HaproxyStatSnapshot> HaproxyStatParser::parse(QByteArrayView input)
{
    if (input.isEmpty()) {
        return ParseError { {}, QStringLiteral("empty input: no show stat header") };
    }
    LineReader reader(input);
    QByteArrayView line;
    bool terminated = false;
    reader.next(&line, &terminated);
    if (line.size() > s_haproxyMaxLineBytes) {
        return ParseError { {},
            QStringLiteral("header line longer than %1 bytes: not show stat output")
                .arg(s_haproxyMaxLineBytes) };
    }
    if (!line.startsWith("# ")) {
        return ParseError { {},
            QStringLiteral("not show stat CSV: the first line does not start with '# ' "
                           "(it starts '%1')")
                .arg(excerpt(line)) };
    }
    std::vector<CsvField> fields;
    QString why;
    if (!isTextLine(line) || !splitCsv(line.sliced(2), &fields, &why)) {
        return ParseError { {},
            QStringLiteral("unreadable show stat header: %1")
                .arg(why.isEmpty() ? QStringLiteral("control characters") : why) };
    }
    QHash<QByteArray, int> column;
    for (size_t i = 0; i < fields.size(); ++i) {
        if (fields[i].quoted || !isColumnName(fields[i].raw)) {
            return ParseError { {},
                QStringLiteral("show stat header column %1 '%2' is not a column name")
                    .arg(i + 1)
                    .arg(excerpt(fields[i].raw)) };
        }
        column.insert(fields[i].raw.toByteArray(), int(i)); // later duplicates (module columns) win
    }
    const int columns = int(fields.size());
    for (const char *required : { "pxname", "svname", "status" }) {
        if (!column.contains(required)) {
            return ParseError {
                {},
                QStringLiteral("show stat header has no '%1' column").arg(QLatin1String(required))
            };
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
    SharedText repeated; // see shared() below
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

    ParseError bad; // the first bad number of a line
    while (reader.next(&line, &terminated)) {
        const int lineNo = reader.lineNo();
        if (line.isEmpty()) {
            continue; // the terminating blank line
        }
        if (line.size() > s_haproxyMaxLineBytes) {
            return lineError(
                lineNo, QStringLiteral("is longer than %1 bytes").arg(s_haproxyMaxLineBytes));
        }
        if (!isTextLine(line)) {
            return lineError(lineNo, QStringLiteral("holds control characters (binary data?)"));
        }
        if (!terminated) {
            return lineError(lineNo, QStringLiteral("truncated: the line has no end of line"));
        }
        if (line.startsWith("# ")) {
            return lineError(lineNo, QStringLiteral("a second header (two dumps concatenated?)"));
        }
        if (!splitCsv(line, &fields, &why)) {
            return lineError(lineNo, why);
        }
        if (int(fields.size()) != columns) {
            return lineError(lineNo,
                QStringLiteral("has %1 fields but the header names %2 columns")
                    .arg(fields.size())
                    .arg(columns));
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
                bad = intError(lineNo, QByteArrayView(column.key(c)), fields[size_t(c)].raw);
            }
            return v;
        };
        const auto text = [&](int c) { return c < 0 ? QString() : fields[size_t(c)].text(); };
        // Names, states and check results repeat across thousands of rows ("UP", "L7OK",
        // "s01"): one string each, shared, instead of one allocation per row.
        const auto shared = [&](int c) {
            if (c < 0 || fields[size_t(c)].quoted) {
                return text(c);
            }
            return repeated(fields[size_t(c)].raw); // unquoted: the text is the bytes
        };
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

        const QString pxname = shared(cPx);
        const QString svname = shared(cSv);
        if (pxname.isEmpty()) {
            return lineError(lineNo, QStringLiteral("empty pxname"));
        }
        int type = -1;
        if (cType >= 0) {
            const auto t = num(cType, Sign::NonNegative);
            if (!ok) {
                return bad;
            }
            type = t ? int(std::min<qint64>(*t, 99)) : -1;
        }
        if (type < 0) { // very old dumps without the type column
            type = svname == u"FRONTEND" ? 0 : svname == u"BACKEND" ? 1 : 2;
        }
        if (type > 3) {
            return lineError(
                lineNo, QStringLiteral("unknown row type %1 (0-3 expected)").arg(type));
        }
        const QString status = shared(cStatus);
        if (type == 0 || type == 1) {
            HaproxyStatProxy &p = snap.proxies[proxyIndex(pxname,
                type == 0 ? HaproxyStatProxy::Type::Frontend : HaproxyStatProxy::Type::Backend)];
            p.status = status;
            p.state = classifyHaproxyStatus(status);
            p.scur = num(cScur, Sign::NonNegative);
            p.weight = num(cWeight, Sign::NonNegative);
            p.mode = shared(cMode);
            p.traffic = traffic();
            if (!ok) {
                return bad;
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
            return bad;
        }
        s.checkStatus = shared(cChk);
        if (s.checkStatus.startsWith(QStringLiteral("* "))) {
            s.checkInProgress = true;
            s.checkStatus.remove(0, 2);
        }
        s.checkDesc = shared(cChkDesc);
        s.lastCheck = shared(cLastChk);
        if (cAddr >= 0 && !splitAddress(text(cAddr), &s.address, &s.port)) {
            return lineError(lineNo,
                QStringLiteral("addr '%1' is not address:port")
                    .arg(excerpt(fields[size_t(cAddr)].raw)));
        }
        snap.addressesVisible = snap.addressesVisible || s.address.has_value();
        if (type == 2) {
            snap.proxies[proxyIndex(pxname, HaproxyStatProxy::Type::Backend)].servers.append(std::move(s));
        } else {
            snap.proxies[proxyIndex(pxname, HaproxyStatProxy::Type::Frontend)].listeners.append(std::move(s));
        }
    }
    // Lists grown one row at a time keep up to twice their size: 10,000 servers are held for
    // a whole poll interval (and twice while the next parse runs).
    for (HaproxyStatProxy &p : snap.proxies) {
        p.servers.squeeze();
        p.listeners.squeeze();
    }
    snap.proxies.squeeze();
    return snap;
}

} // namespace hopscope

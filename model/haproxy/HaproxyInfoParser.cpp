#include "haproxy/HaproxyInfoParser.h"

#include "haproxy/HaproxyParsers.h"
#include "haproxy/HaproxyTextScan.h"

namespace hopscope {

using namespace haproxyscan;

Parsed<HaproxyInfo> HaproxyInfoParser::parse(QByteArrayView input)
{
    if (input.isEmpty()) {
        return ParseError { {}, QStringLiteral("empty input: no show info fields") };
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
            return lineError(lineNo,
                QStringLiteral("is too long or holds control characters: not show info output"));
        }
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0) {
            return lineError(lineNo,
                QStringLiteral("'%1' is not 'Name: value': not show info output")
                    .arg(excerpt(line)));
        }
        if (!terminated) {
            return lineError(lineNo, QStringLiteral("truncated: the line has no end of line"));
        }
        if (info.fields.size() >= s_haproxyMaxInfoFields) {
            return ParseError { {},
                QStringLiteral("more than %1 fields: not show info output")
                    .arg(s_haproxyMaxInfoFields) };
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
            return intError(lineNo, line.first(colon), line.sliced(colon + 1).trimmed());
        }
    }
    if (info.version.isEmpty()) {
        return ParseError { {}, QStringLiteral("no 'Version:' field: not show info output") };
    }
    return info;
}

} // namespace hopscope

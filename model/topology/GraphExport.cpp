#include "GraphExport.h"

#include "topology/ServiceGraphModel.h"
#include "topology/TopologyJson.h"
#include "traffic/TrafficJson.h"

#include <QJsonArray>

#include <cmath>

namespace hopscope {

QJsonValue GraphExport::trafficToJson(const EdgeTraffic &t)
{
    if (!t.measured) {
        return QJsonValue(QJsonValue::Null);
    }
    return QJsonObject { { QStringLiteral("rps"), TrafficJson::number(t.rps) },
        { QStringLiteral("errorRatio"), TrafficJson::number(t.errorRatio, 4) },
        { QStringLiteral("latencyMs"),
            QJsonObject { { QStringLiteral("avg"), TrafficJson::number(t.avgMs) },
                { QStringLiteral("p50"), TrafficJson::number(t.p50Ms) },
                { QStringLiteral("p99"), TrafficJson::number(t.p99Ms) },
                { QStringLiteral("max"), TrafficJson::number(t.maxMs) } } },
        { QStringLiteral("status"), trafficStatusName(t.status) } };
}

QByteArray GraphExport::dotQuote(const QString &text)
{
    QByteArray out;
    out.reserve(text.size() + 2);
    out.append('"');
    const QByteArray utf8 = text.toUtf8();
    for (char c : utf8) {
        if (c == '"' || c == '\\') {
            out.append('\\').append(c);
        } else if (c == '\n') {
            out.append("\\n");
        } else if (c == '\r') {
            continue;
        } else {
            out.append(c);
        }
    }
    out.append('"');
    return out;
}

QByteArray GraphExport::toDot(const ServiceGraphModel &model, const DotStyle &dotStyle)
{
    const HealthLook &nodeLook = dotStyle.node;
    QByteArray dot;
    dot += "digraph "
        + dotQuote(model.profileName().isEmpty() ? QStringLiteral("hopscope") : model.profileName())
        + " {\n";
    dot += "  rankdir=LR;\n  node [fontname=\"sans-serif\", fontsize=11];\n"
           "  edge [fontname=\"sans-serif\", fontsize=9];\n";
    const QList<ServiceGraphModel::Node> &nodes = model.nodes();
    for (const ServiceGraphModel::Node &n : nodes) {
        QStringList lines { healthIcon(n.health) + QLatin1Char(' ') + n.title, n.subtitle };
        if (n.kind == u"service" && !model.isCollapsed(n.id)) {
            for (const TaskChip &t : n.tasks) {
                lines.append(t.icon() + QLatin1Char(' ') + t.label + QStringLiteral(" (")
                    + t.healthText() + QLatin1Char(')'));
            }
        }
        const DotLook look = nodeLook ? nodeLook(n.health) : DotLook {};
        const bool hatched = look.hatched;
        const QByteArray colourAttribute
            = look.colour.isEmpty() ? QByteArray() : ", color=\"" + look.colour.toUtf8() + '"';
        dot += "  " + dotQuote(n.id) + " [label=" + dotQuote(lines.join(QLatin1Char('\n')))
            + ", shape=" + (n.kind == u"lb" ? "ellipse" : "box") + ", style=\""
            + (n.kind == u"lb" ? "" : "rounded,") + (hatched ? "dashed" : "solid") + '"'
            + colourAttribute + ", tooltip=" + dotQuote(n.reason) + "];\n";
    }
    for (const ServiceGraphModel::EdgeSegment &s : model.segments()) {
        const char *style
            = s.pattern == u"lb" ? "dashed" : (s.pattern == u"mesh" ? "dotted" : "solid");
        QString label = s.label;
        QByteArray trafficAttributes;
        if (model.trafficEmphasis() && s.traffic.measured) {
            const DotTrafficLook look
                = dotStyle.traffic ? dotStyle.traffic(s.traffic) : DotTrafficLook {};
            const QString text = s.traffic.label();
            label += (label.isEmpty() ? QString() : QStringLiteral("\n"))
                + (look.icon.isEmpty() ? text : look.icon + QLatin1Char(' ') + text);
            if (dotStyle.traffic) {
                trafficAttributes = ", penwidth=" + QByteArray::number(look.penWidth, 'f', 2)
                    + (look.colour.isEmpty() ? QByteArray()
                                             : ", color=\"" + look.colour.toUtf8() + '"');
            }
        }
        dot += "  " + dotQuote(nodes[s.from].id) + " -> " + dotQuote(nodes[s.to].id)
            + " [label=" + dotQuote(label) + ", style=" + style + trafficAttributes + "];\n";
    }
    dot += "}\n";
    return dot;
}

QJsonObject GraphExport::toJson(const ServiceGraphModel &model, const Topology *topology)
{
    QJsonObject root = topology ? TopologyJson::toJson(*topology) : QJsonObject();
    if (!root.contains(QStringLiteral("profile"))) {
        root.insert(QStringLiteral("profile"), model.profileName());
    }
    QJsonArray nodes;
    for (const ServiceGraphModel::Node &n : model.nodes()) {
        QJsonArray tasks;
        for (const TaskChip &t : n.tasks) {
            tasks.append(QJsonObject { { QStringLiteral("key"), t.key },
                { QStringLiteral("health"), t.healthText() },
                { QStringLiteral("sidecar"), t.sidecar } });
        }
        nodes.append(QJsonObject { { QStringLiteral("id"), n.id },
            { QStringLiteral("kind"), n.kind }, { QStringLiteral("title"), n.title },
            { QStringLiteral("summary"), n.subtitle },
            { QStringLiteral("health"), ServiceGraphModel::nodeHealthName(n.health) },
            { QStringLiteral("collapsed"), model.isCollapsed(n.id) },
            { QStringLiteral("x"), n.rect.x() }, { QStringLiteral("y"), n.rect.y() },
            { QStringLiteral("width"), n.rect.width() },
            { QStringLiteral("height"), n.rect.height() }, { QStringLiteral("tasks"), tasks } });
    }
    QJsonArray segments;
    for (const ServiceGraphModel::EdgeSegment &s : model.segments()) {
        segments.append(QJsonObject { { QStringLiteral("from"), model.nodes()[s.from].id },
            { QStringLiteral("to"), model.nodes()[s.to].id }, { QStringLiteral("label"), s.label },
            { QStringLiteral("pattern"), s.pattern }, { QStringLiteral("edge"), s.sourceEdge },
            { QStringLiteral("traffic"), trafficToJson(s.traffic) } });
    }
    root.insert(QStringLiteral("layout"),
        QJsonObject { { QStringLiteral("width"), model.contentSize().width() },
            { QStringLiteral("height"), model.contentSize().height() },
            { QStringLiteral("nodes"), nodes }, { QStringLiteral("segments"), segments },
            { QStringLiteral("trafficEmphasis"), model.trafficEmphasis() } });
    return root;
}

} // namespace hopscope

#include "GraphExport.h"

#include "topology/ServiceGraphModel.h"
#include "topology/TopologyJson.h"

#include <QJsonArray>

namespace hopscope {

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

namespace {
const char *dotColour(const QString &health)
{
    if (health == u"healthy") {
        return "#2e9d58";
    } else if (health == u"degraded") {
        return "#c98a00";
    } else if (health == u"down") {
        return "#d13c3c";
    } else if (health == u"draining") {
        return "#3a7bd5";
    } else if (health == u"drained") {
        return "#2b5fa8";
    } else if (health == u"maintenance") {
        return "#7d6b57";
    } else if (health == u"conflict") {
        return "#a347ba";
    }
    return "#9aa3ae";
}
} // namespace

QByteArray GraphExport::toDot(const ServiceGraphModel &model)
{
    QByteArray dot;
    dot += "digraph " + dotQuote(model.profileName().isEmpty() ? QStringLiteral("hopscope") : model.profileName())
           + " {\n";
    dot += "  rankdir=LR;\n  node [fontname=\"sans-serif\", fontsize=11];\n"
           "  edge [fontname=\"sans-serif\", fontsize=9];\n";
    const QList<ServiceGraphModel::Node> &nodes = model.nodes();
    for (const ServiceGraphModel::Node &n : nodes) {
        QStringList lines{n.icon + QLatin1Char(' ') + n.title, n.subtitle};
        if (n.kind == u"service" && !model.isCollapsed(n.id)) {
            for (const QVariant &t : n.tasks) {
                const QVariantMap task = t.toMap();
                lines.append(task.value(QStringLiteral("icon")).toString() + QLatin1Char(' ')
                             + task.value(QStringLiteral("label")).toString() + QStringLiteral(" (")
                             + task.value(QStringLiteral("health")).toString() + QLatin1Char(')'));
            }
        }
        const bool hatched = n.health == u"nodata" || n.health == u"stale" || n.health == u"unknown";
        dot += "  " + dotQuote(n.id) + " [label=" + dotQuote(lines.join(QLatin1Char('\n')))
               + ", shape=" + (n.kind == u"lb" ? "ellipse" : "box") + ", style=\""
               + (n.kind == u"lb" ? "" : "rounded,") + (hatched ? "dashed" : "solid") + "\", color=\""
               + dotColour(n.health) + "\", tooltip=" + dotQuote(n.reason) + "];\n";
    }
    for (const ServiceGraphModel::EdgeSegment &s : model.segments()) {
        const char *style = s.pattern == u"lb" ? "dashed" : (s.pattern == u"mesh" ? "dotted" : "solid");
        dot += "  " + dotQuote(nodes[s.from].id) + " -> " + dotQuote(nodes[s.to].id)
               + " [label=" + dotQuote(s.label) + ", style=" + style + "];\n";
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
        for (const QVariant &t : n.tasks) {
            const QVariantMap task = t.toMap();
            tasks.append(QJsonObject{{QStringLiteral("key"), task.value(QStringLiteral("key")).toString()},
                                     {QStringLiteral("health"), task.value(QStringLiteral("health")).toString()},
                                     {QStringLiteral("sidecar"), task.value(QStringLiteral("sidecar")).toBool()}});
        }
        nodes.append(QJsonObject{{QStringLiteral("id"), n.id},
                                 {QStringLiteral("kind"), n.kind},
                                 {QStringLiteral("title"), n.title},
                                 {QStringLiteral("summary"), n.subtitle},
                                 {QStringLiteral("health"), n.health},
                                 {QStringLiteral("collapsed"), model.isCollapsed(n.id)},
                                 {QStringLiteral("x"), n.rect.x()},
                                 {QStringLiteral("y"), n.rect.y()},
                                 {QStringLiteral("width"), n.rect.width()},
                                 {QStringLiteral("height"), n.rect.height()},
                                 {QStringLiteral("tasks"), tasks}});
    }
    QJsonArray segments;
    for (const ServiceGraphModel::EdgeSegment &s : model.segments()) {
        segments.append(QJsonObject{{QStringLiteral("from"), model.nodes()[s.from].id},
                                    {QStringLiteral("to"), model.nodes()[s.to].id},
                                    {QStringLiteral("label"), s.label},
                                    {QStringLiteral("pattern"), s.pattern},
                                    {QStringLiteral("edge"), s.sourceEdge}});
    }
    root.insert(QStringLiteral("layout"),
                QJsonObject{{QStringLiteral("width"), model.contentSize().width()},
                            {QStringLiteral("height"), model.contentSize().height()},
                            {QStringLiteral("nodes"), nodes},
                            {QStringLiteral("segments"), segments}});
    return root;
}

} // namespace hopscope

// Over 500 lines: one reader per AWS reply hopscope uses (Cloud Map, ELBv2, ECS) and the
// capped XML tree they share, kept together so their error paths read alike.
#include "aws/AwsReplies.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QXmlStreamReader>

#include <vector>

namespace hopscope {

namespace {

// --- XML (ELBv2's Query protocol replies) ------------------------------------------------------

struct XmlNode
{
    QString name;
    QString text;
    std::vector<XmlNode> children;

    const XmlNode *child(QStringView n) const
    {
        for (const XmlNode &c : children) {
            if (c.name == n) {
                return &c;
            }
        }
        return nullptr;
    }
    QString childText(QStringView n) const
    {
        const XmlNode *c = child(n);
        return c ? c->text : QString();
    }
    QList<const XmlNode *> members() const
    {
        QList<const XmlNode *> out;
        for (const XmlNode &c : children) {
            if (c.name == u"member") {
                out.append(&c);
            }
        }
        return out;
    }
};

// The document as a tree of elements (text kept for leaves), with caps on depth and size.
Parsed<XmlNode> parseXml(const QByteArray &xml)
{
    if (xml.trimmed().isEmpty()) {
        return ParseError { {}, QStringLiteral("empty reply") };
    }
    QXmlStreamReader r(xml);
    std::vector<XmlNode> stack;
    std::optional<XmlNode> root;
    int elements = 0;
    while (!r.atEnd()) {
        switch (r.readNext()) {
        case QXmlStreamReader::StartElement:
            if (++elements > AwsReplies::MaxXmlElements) {
                return ParseError { QStringLiteral("line %1").arg(r.lineNumber()),
                    QStringLiteral("more than %1 elements").arg(AwsReplies::MaxXmlElements) };
            }
            if (int(stack.size()) >= AwsReplies::MaxXmlDepth) {
                return ParseError { QStringLiteral("line %1").arg(r.lineNumber()),
                    QStringLiteral("elements nested deeper than %1").arg(AwsReplies::MaxXmlDepth) };
            }
            stack.push_back(XmlNode { r.name().toString(), {}, {} });
            break;
        case QXmlStreamReader::Characters:
            if (!stack.empty() && !r.isWhitespace()) {
                stack.back().text += r.text();
            }
            break;
        case QXmlStreamReader::EndElement: {
            XmlNode done = std::move(stack.back());
            stack.pop_back();
            if (stack.empty()) {
                root = std::move(done);
            } else {
                stack.back().children.push_back(std::move(done));
            }
            break;
        }
        case QXmlStreamReader::DTD:
            // No DTDs in AWS replies; refusing them keeps entity expansion out.
            return ParseError { {}, QStringLiteral("a DTD in the reply") };
        default:
            break;
        }
    }
    if (r.hasError()) {
        return ParseError { QStringLiteral("line %1").arg(r.lineNumber()),
            r.error() == QXmlStreamReader::PrematureEndOfDocumentError
                ? QStringLiteral("truncated XML")
                : QStringLiteral("not XML: %1").arg(r.errorString()) };
    }
    if (!root) {
        return ParseError { {}, QStringLiteral("empty reply") };
    }
    return std::move(*root);
}

// <Action>Response/<Action>Result, or why not.
Parsed<const XmlNode *> queryResult(const XmlNode &root, const QString &action)
{
    if (root.name == u"ErrorResponse") {
        return ParseError { {},
            QStringLiteral("an error reply (%1)")
                .arg(root.child(u"Error") ? root.child(u"Error")->childText(u"Code") : QString()) };
    }
    if (root.name != action + u"Response") {
        return ParseError { {},
            QStringLiteral("<%1> instead of <%2Response>").arg(root.name.left(64), action) };
    }
    const XmlNode *result = root.child(QString(action + u"Result"));
    if (!result) {
        return ParseError { {}, QStringLiteral("no <%1Result>").arg(action) };
    }
    return result;
}

Parsed<quint16> port(const QString &text, const QString &where)
{
    bool ok = false;
    const uint p = text.toUInt(&ok);
    if (!ok || p == 0 || p > 65535) {
        return ParseError { where, QStringLiteral("is not a port: '%1'").arg(text.left(32)) };
    }
    return quint16(p);
}

// --- JSON (Cloud Map, ECS) --------------------------------------------------------------------

Parsed<QJsonObject> jsonObject(const QByteArray &json)
{
    QJsonParseError e {};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &e);
    if (e.error != QJsonParseError::NoError) {
        return ParseError { QStringLiteral("offset %1").arg(e.offset),
            QStringLiteral("not JSON: %1").arg(e.errorString()) };
    }
    if (!doc.isObject()) {
        return ParseError { {}, QStringLiteral("not a JSON object") };
    }
    return doc.object();
}

Parsed<QJsonArray> arrayAt(const QJsonObject &o, const QString &key, bool required = true)
{
    const QJsonValue v = o.value(key);
    if (v.isUndefined() && !required) {
        return QJsonArray {};
    }
    if (!v.isArray()) {
        return ParseError { key,
            v.isUndefined() ? QStringLiteral("is missing") : QStringLiteral("is not an array") };
    }
    return v.toArray();
}

Parsed<QString> stringAt(const QJsonObject &o, const QString &key, const QString &where)
{
    const QJsonValue v = o.value(key);
    if (!v.isString()) {
        return ParseError { where + u'.' + key,
            v.isUndefined() ? QStringLiteral("is missing") : QStringLiteral("is not a string") };
    }
    return v.toString();
}

} // namespace

Parsed<QList<CloudMapInstance>> AwsReplies::discoverInstances(const QByteArray &json)
{
    const Parsed<QJsonObject> o = jsonObject(json);
    if (!o) {
        return o.error();
    }
    const Parsed<QJsonArray> list = arrayAt(*o, QStringLiteral("Instances"));
    if (!list) {
        return list.error();
    }
    QList<CloudMapInstance> out;
    for (qsizetype i = 0; i < list->size(); ++i) {
        const QString where = QStringLiteral("Instances[%1]").arg(i);
        const QJsonObject in = list->at(i).toObject();
        const Parsed<QString> id = stringAt(in, QStringLiteral("InstanceId"), where);
        if (!id) {
            return id.error();
        }
        CloudMapInstance inst;
        inst.id = *id;
        inst.health = in.value(QStringLiteral("HealthStatus")).toString(QStringLiteral("UNKNOWN"));
        const QJsonValue attrs = in.value(QStringLiteral("Attributes"));
        if (!attrs.isUndefined() && !attrs.isObject()) {
            return ParseError { where + QStringLiteral(".Attributes"),
                QStringLiteral("is not an object") };
        }
        const QJsonObject a = attrs.toObject();
        for (auto it = a.begin(); it != a.end(); ++it) {
            if (!it->isString()) {
                return ParseError { where + QStringLiteral(".Attributes.") + it.key(),
                    QStringLiteral("is not a string") };
            }
            inst.attributes.insert(it.key(), it->toString());
        }
        inst.address = inst.attributes.value(QStringLiteral("AWS_INSTANCE_IPV4"),
            inst.attributes.value(QStringLiteral("AWS_INSTANCE_IPV6")));
        const QString p = inst.attributes.value(QStringLiteral("AWS_INSTANCE_PORT"));
        if (!p.isEmpty()) {
            const Parsed<quint16> pp
                = port(p, where + QStringLiteral(".Attributes.AWS_INSTANCE_PORT"));
            if (!pp) {
                return pp.error();
            }
            inst.port = *pp;
        }
        out.append(std::move(inst));
    }
    return out;
}

Parsed<CloudMapService> AwsReplies::getService(const QByteArray &json)
{
    const Parsed<QJsonObject> o = jsonObject(json);
    if (!o) {
        return o.error();
    }
    const QJsonValue sv = o->value(QStringLiteral("Service"));
    if (!sv.isObject()) {
        return ParseError { QStringLiteral("Service"), QStringLiteral("is missing") };
    }
    const QJsonObject s = sv.toObject();
    CloudMapService out;
    const Parsed<QString> id = stringAt(s, QStringLiteral("Id"), QStringLiteral("Service"));
    if (!id) {
        return id.error();
    }
    out.id = *id;
    out.name = s.value(QStringLiteral("Name")).toString();
    const QJsonArray records = s.value(QStringLiteral("DnsConfig"))
                                   .toObject()
                                   .value(QStringLiteral("DnsRecords"))
                                   .toArray();
    for (const QJsonValue &r : records) {
        const QJsonValue ttl = r.toObject().value(QStringLiteral("TTL"));
        if (ttl.isDouble() && ttl.toDouble() >= 0 && ttl.toDouble() <= 2147483647.0) {
            // The longest TTL of the records: how long a cache may keep handing an address out.
            const int t = int(ttl.toDouble());
            out.dnsTtl = out.dnsTtl ? std::max(*out.dnsTtl, t) : t;
        }
    }
    out.customHealth = s.value(QStringLiteral("HealthCheckCustomConfig")).isObject();
    out.routeHealth = s.value(QStringLiteral("HealthCheckConfig")).isObject();
    return out;
}

Parsed<QMap<QString, QString>> AwsReplies::instancesHealthStatus(const QByteArray &json)
{
    const Parsed<QJsonObject> o = jsonObject(json);
    if (!o) {
        return o.error();
    }
    const QJsonValue st = o->value(QStringLiteral("Status"));
    if (!st.isObject()) {
        return ParseError { QStringLiteral("Status"),
            st.isUndefined() ? QStringLiteral("is missing") : QStringLiteral("is not an object") };
    }
    QMap<QString, QString> out;
    const QJsonObject m = st.toObject();
    for (auto it = m.begin(); it != m.end(); ++it) {
        if (!it->isString()) {
            return ParseError { QStringLiteral("Status.") + it.key(),
                QStringLiteral("is not a string") };
        }
        out.insert(it.key(), it->toString());
    }
    return out;
}

Parsed<QList<QMap<QString, QString>>> AwsReplies::queryMembers(
    const QByteArray &xml, const QString &action, const QString &list)
{
    const Parsed<XmlNode> root = parseXml(xml);
    if (!root) {
        return root.error();
    }
    const Parsed<const XmlNode *> result = queryResult(*root, action);
    if (!result) {
        return result.error();
    }
    QList<QMap<QString, QString>> out;
    const XmlNode *members = (*result)->child(list);
    for (const XmlNode *m : members ? members->members() : QList<const XmlNode *>()) {
        QMap<QString, QString> record;
        for (const XmlNode &c : m->children) {
            if (c.children.empty()) {
                record.insert(c.name, c.text);
            }
        }
        out.append(record);
    }
    return out;
}

Parsed<QList<Elbv2TargetHealth>> AwsReplies::describeTargetHealth(const QByteArray &xml)
{
    const Parsed<XmlNode> root = parseXml(xml);
    if (!root) {
        return root.error();
    }
    const Parsed<const XmlNode *> result
        = queryResult(*root, QStringLiteral("DescribeTargetHealth"));
    if (!result) {
        return result.error();
    }
    QList<Elbv2TargetHealth> out;
    const XmlNode *list = (*result)->child(u"TargetHealthDescriptions");
    if (!list) {
        return out; // AWS omits empty lists
    }
    const QList<const XmlNode *> members = list->members();
    for (qsizetype i = 0; i < members.size(); ++i) {
        const QString where = QStringLiteral("TargetHealthDescriptions.member[%1]").arg(i + 1);
        const XmlNode *target = members[i]->child(u"Target");
        const XmlNode *health = members[i]->child(u"TargetHealth");
        if (!target || target->childText(u"Id").isEmpty()) {
            return ParseError { where + QStringLiteral(".Target.Id"),
                QStringLiteral("is missing") };
        }
        if (!health || health->childText(u"State").isEmpty()) {
            return ParseError { where + QStringLiteral(".TargetHealth.State"),
                QStringLiteral("is missing") };
        }
        Elbv2TargetHealth t;
        t.id = target->childText(u"Id");
        if (target->child(u"Port")) {
            const Parsed<quint16> p
                = port(target->childText(u"Port"), where + QStringLiteral(".Target.Port"));
            if (!p) {
                return p.error();
            }
            t.port = *p;
        }
        t.availabilityZone = target->childText(u"AvailabilityZone");
        t.state = health->childText(u"State");
        t.reason = health->childText(u"Reason");
        t.description = health->childText(u"Description");
        out.append(std::move(t));
    }
    return out;
}

Parsed<QList<Elbv2Rule>> AwsReplies::describeRules(const QByteArray &xml)
{
    const Parsed<XmlNode> root = parseXml(xml);
    if (!root) {
        return root.error();
    }
    const Parsed<const XmlNode *> result = queryResult(*root, QStringLiteral("DescribeRules"));
    if (!result) {
        return result.error();
    }
    QList<Elbv2Rule> out;
    const XmlNode *list = (*result)->child(u"Rules");
    if (!list) {
        return out;
    }
    for (const XmlNode *m : list->members()) {
        Elbv2Rule rule;
        rule.arn = m->childText(u"RuleArn");
        rule.priority = m->childText(u"Priority");
        rule.isDefault = m->childText(u"IsDefault") == u"true";
        if (const XmlNode *conditions = m->child(u"Conditions")) {
            for (const XmlNode *c : conditions->members()) {
                if (c->childText(u"Field") != u"path-pattern") {
                    continue;
                }
                // PathPatternConfig.Values is the current form; Values the legacy one.
                const XmlNode *values = c->child(u"PathPatternConfig")
                    ? c->child(u"PathPatternConfig")->child(u"Values")
                    : c->child(u"Values");
                if (values) {
                    for (const XmlNode *v : values->members()) {
                        if (!rule.pathPatterns.contains(v->text)) {
                            rule.pathPatterns.append(v->text);
                        }
                    }
                }
            }
        }
        if (const XmlNode *actions = m->child(u"Actions")) {
            for (const XmlNode *a : actions->members()) {
                if (a->childText(u"Type") != u"forward") {
                    continue;
                }
                const QString direct = a->childText(u"TargetGroupArn");
                if (!direct.isEmpty()) {
                    rule.targetGroupArns.append(direct);
                }
                const XmlNode *fc = a->child(u"ForwardConfig");
                const XmlNode *groups = fc ? fc->child(u"TargetGroups") : nullptr;
                if (groups) {
                    for (const XmlNode *g : groups->members()) {
                        const QString arn = g->childText(u"TargetGroupArn");
                        if (!arn.isEmpty() && !rule.targetGroupArns.contains(arn)) {
                            rule.targetGroupArns.append(arn);
                        }
                    }
                }
            }
        }
        out.append(std::move(rule));
    }
    return out;
}

Parsed<int> AwsReplies::deregistrationDelaySeconds(const QByteArray &xml)
{
    const Parsed<XmlNode> root = parseXml(xml);
    if (!root) {
        return root.error();
    }
    const Parsed<const XmlNode *> result
        = queryResult(*root, QStringLiteral("DescribeTargetGroupAttributes"));
    if (!result) {
        return result.error();
    }
    const XmlNode *list = (*result)->child(u"Attributes");
    if (list) {
        for (const XmlNode *m : list->members()) {
            if (m->childText(u"Key") == u"deregistration_delay.timeout_seconds") {
                bool ok = false;
                const int s = m->childText(u"Value").toInt(&ok);
                if (!ok || s < 0 || s > 3600) {
                    return ParseError { QStringLiteral("deregistration_delay.timeout_seconds"),
                        QStringLiteral("is not 0-3600 seconds: '%1'")
                            .arg(m->childText(u"Value").left(32)) };
                }
                return s;
            }
        }
    }
    return ParseError { QStringLiteral("Attributes"),
        QStringLiteral("have no deregistration_delay.timeout_seconds") };
}

Parsed<QStringList> AwsReplies::listTasks(const QByteArray &json)
{
    const Parsed<QJsonObject> o = jsonObject(json);
    if (!o) {
        return o.error();
    }
    const Parsed<QJsonArray> list = arrayAt(*o, QStringLiteral("taskArns"));
    if (!list) {
        return list.error();
    }
    QStringList out;
    for (qsizetype i = 0; i < list->size(); ++i) {
        if (!list->at(i).isString()) {
            return ParseError { QStringLiteral("taskArns[%1]").arg(i),
                QStringLiteral("is not a string") };
        }
        out.append(list->at(i).toString());
    }
    return out;
}

Parsed<QList<EcsTask>> AwsReplies::describeTasks(const QByteArray &json)
{
    const Parsed<QJsonObject> o = jsonObject(json);
    if (!o) {
        return o.error();
    }
    const Parsed<QJsonArray> list = arrayAt(*o, QStringLiteral("tasks"));
    if (!list) {
        return list.error();
    }
    QList<EcsTask> out;
    for (qsizetype i = 0; i < list->size(); ++i) {
        const QString where = QStringLiteral("tasks[%1]").arg(i);
        const QJsonObject t = list->at(i).toObject();
        const Parsed<QString> arn = stringAt(t, QStringLiteral("taskArn"), where);
        if (!arn) {
            return arn.error();
        }
        EcsTask task;
        task.arn = *arn;
        task.lastStatus = t.value(QStringLiteral("lastStatus")).toString();
        task.desiredStatus = t.value(QStringLiteral("desiredStatus")).toString();
        task.healthStatus
            = t.value(QStringLiteral("healthStatus")).toString(QStringLiteral("UNKNOWN"));
        task.stoppedReason = t.value(QStringLiteral("stoppedReason")).toString();
        task.stopCode = t.value(QStringLiteral("stopCode")).toString();
        task.group = t.value(QStringLiteral("group")).toString();
        for (const QJsonValue &att : t.value(QStringLiteral("attachments")).toArray()) {
            if (att[u"type"].toString() != u"ElasticNetworkInterface") {
                continue;
            }
            for (const QJsonValue &d : att[u"details"].toArray()) {
                if (d[u"name"].toString() == u"privateIPv4Address") {
                    task.address = d[u"value"].toString();
                }
            }
        }
        for (const QJsonValue &c : t.value(QStringLiteral("containers")).toArray()) {
            if (task.address.isEmpty()) {
                for (const QJsonValue &ni : c[u"networkInterfaces"].toArray()) {
                    task.address = ni[u"privateIpv4Address"].toString();
                }
            }
            for (const QJsonValue &b : c[u"networkBindings"].toArray()) {
                const double p = b[u"containerPort"].toDouble();
                if (p >= 1 && p <= 65535 && !task.ports.contains(quint16(p))) {
                    task.ports.append(quint16(p));
                }
            }
        }
        out.append(std::move(task));
    }
    return out;
}

} // namespace hopscope

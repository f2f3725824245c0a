#include "aws/AwsSources.h"

#include "aws/AwsRequest.h"
#include "aws/AwsSession.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

namespace hopscope {

// --- ELBv2 ------------------------------------------------------------------------------------

Elbv2Source::Elbv2Source(AwsSession *session, QString loadBalancerId, QString listenerArn,
    QList<Elbv2TargetGroupSpec> groups, QObject *parent)
    : AwsPollingSource(QStringLiteral("elbv2 %1").arg(loadBalancerId), session, parent)
    , m_listenerArn(std::move(listenerArn))
{
    qRegisterMetaType<Elbv2Snapshot>();
    m_snapshot.loadBalancerId = m_building.loadBalancerId = std::move(loadBalancerId);
    for (Elbv2TargetGroupSpec &g : groups) {
        m_building.groups.append(Elbv2TargetGroupState { std::move(g), std::nullopt, {} });
    }
}

void Elbv2Source::cancelPoll()
{
    AwsPollingSource::cancelPoll();
    m_outstanding = 0;
}

void Elbv2Source::makeCalls()
{
    m_firstError.clear();
    m_outstanding = 0;
    const bool rules = !m_listenerArn.isEmpty() && m_polls % 10 == 0;
    ++m_polls;
    for (qsizetype i = 0; i < m_building.groups.size(); ++i) {
        const QByteArray arn = m_building.groups[i].spec.arn.toUtf8();
        gather(AwsCall::elbv2("DescribeTargetHealth", { { "TargetGroupArn", arn } }),
            [this, i](const AwsResult &r) {
                QList<Elbv2TargetHealth> all;
                for (const QByteArray &page : r.pages) {
                    const auto t = AwsReplies::describeTargetHealth(page);
                    if (!t) {
                        return QStringLiteral("DescribeTargetHealth of %1: %2")
                            .arg(m_building.groups[i].spec.arn, t.errorText());
                    }
                    all += *t;
                }
                m_building.groups[i].targets = std::move(all);
                return QString();
            });
        if (!m_building.groups[i].deregistrationDelayS) {
            gather(AwsCall::elbv2("DescribeTargetGroupAttributes", { { "TargetGroupArn", arn } }),
                [this, i](const AwsResult &r) {
                    const auto d = AwsReplies::deregistrationDelaySeconds(r.pages.value(0));
                    if (!d) {
                        return QStringLiteral("DescribeTargetGroupAttributes: %1")
                            .arg(d.errorText());
                    }
                    m_building.groups[i].deregistrationDelayS = *d;
                    return QString();
                });
        }
    }
    if (rules) {
        gather(AwsCall::elbv2("DescribeRules", { { "ListenerArn", m_listenerArn.toUtf8() } }),
            [this](const AwsResult &r) {
                QList<Elbv2Rule> all;
                for (const QByteArray &page : r.pages) {
                    const auto p = AwsReplies::describeRules(page);
                    if (!p) {
                        return QStringLiteral("DescribeRules: %1").arg(p.errorText());
                    }
                    all += *p;
                }
                m_building.rules = std::move(all);
                return QString();
            });
    }
    if (m_outstanding == 0) {
        m_outstanding = 1;
        oneDone({}, SourceError::Kind::None); // no target groups: an empty, complete view
    }
}

void Elbv2Source::gather(const AwsCall &c, std::function<QString(const AwsResult &)> take)
{
    ++m_outstanding;
    call(c, [this, take](const AwsResult &result) {
        if (!result.ok()) {
            oneDone(result.errorText(), result.error.sourceKind());
            return;
        }
        oneDone(take(result), SourceError::Kind::Malformed);
    });
}

void Elbv2Source::oneDone(const QString &error, SourceError::Kind kind)
{
    if (!error.isEmpty() && m_firstError.isEmpty()) {
        m_firstError = error;
        m_firstErrorKind = kind;
    }
    if (--m_outstanding > 0) {
        return;
    }
    if (!m_firstError.isEmpty()) {
        failWith(m_firstErrorKind, m_firstError);
        return;
    }
    completePoll();
}

void Elbv2Source::publish(const QDateTime &fetchedAt)
{
    m_building.fetchedAt = fetchedAt;
    m_snapshot = m_building;
    Q_EMIT snapshotReady(m_snapshot);
}

// --- Cloud Map --------------------------------------------------------------------------------

CloudMapSource::CloudMapSource(
    AwsSession *session, QString namespaceName, QString serviceName, QObject *parent)
    : AwsPollingSource(
        QStringLiteral("cloudmap %1/%2").arg(namespaceName, serviceName), session, parent)
{
    qRegisterMetaType<CloudMapSnapshot>();
    m_building.namespaceName = m_snapshot.namespaceName = std::move(namespaceName);
    m_building.serviceName = m_snapshot.serviceName = std::move(serviceName);
}

void CloudMapSource::makeCalls()
{
    if (m_resolved) {
        discover();
    } else {
        resolveNamespace();
    }
}

void CloudMapSource::failParse(const QString &what, const QString &error)
{
    failWith(SourceError::Kind::Malformed, what + QStringLiteral(": ") + error);
}

void CloudMapSource::resolveNamespace()
{
    const QJsonObject filter { { QStringLiteral("Name"), QStringLiteral("NAME") },
        { QStringLiteral("Values"), QJsonArray { m_building.namespaceName } },
        { QStringLiteral("Condition"), QStringLiteral("EQ") } };
    step(AwsCall::cloudMap("ListNamespaces",
             QJsonObject { { QStringLiteral("Filters"), QJsonArray { filter } } }),
        [this](const AwsResult &r) {
            for (const QByteArray &page : r.pages) {
                for (const QJsonValue &n : QJsonDocument::fromJson(page)[u"Namespaces"].toArray()) {
                    if (n[u"Name"].toString() == m_building.namespaceName) {
                        resolveService(n[u"Id"].toString());
                        return;
                    }
                }
            }
            failWith(SourceError::Kind::NotFound,
                QStringLiteral("servicediscovery ListNamespaces: no namespace named %1")
                    .arg(m_building.namespaceName));
        });
}

void CloudMapSource::resolveService(const QString &namespaceId)
{
    const QJsonObject filter { { QStringLiteral("Name"), QStringLiteral("NAMESPACE_ID") },
        { QStringLiteral("Values"), QJsonArray { namespaceId } },
        { QStringLiteral("Condition"), QStringLiteral("EQ") } };
    step(AwsCall::cloudMap(
             "ListServices", QJsonObject { { QStringLiteral("Filters"), QJsonArray { filter } } }),
        [this](const AwsResult &r) {
            for (const QByteArray &page : r.pages) {
                for (const QJsonValue &s : QJsonDocument::fromJson(page)[u"Services"].toArray()) {
                    if (s[u"Name"].toString() == m_building.serviceName) {
                        m_building.serviceId = s[u"Id"].toString();
                        readService();
                        return;
                    }
                }
            }
            failWith(SourceError::Kind::NotFound,
                QStringLiteral("servicediscovery ListServices: no service %1 in namespace %2")
                    .arg(m_building.serviceName, m_building.namespaceName));
        });
}

void CloudMapSource::readService()
{
    step(AwsCall::cloudMap(
             "GetService", QJsonObject { { QStringLiteral("Id"), m_building.serviceId } }),
        [this](const AwsResult &r) {
            const auto s = AwsReplies::getService(r.pages.value(0));
            if (!s) {
                failParse(QStringLiteral("servicediscovery GetService"), s.errorText());
                return;
            }
            m_building.dnsTtl = s->dnsTtl;
            m_building.customHealth = s->customHealth;
            m_resolved = true;
            discover();
        });
}

// What the last complete view listed and this one does not: removed now, held by DNS clients
// for the TTL (services without DNS records have none: nothing is held).
void CloudMapSource::keepRemoved(const QList<CloudMapInstance> &now, const QDateTime &at)
{
    QSet<QString> listed;
    for (const CloudMapInstance &i : now) {
        listed.insert(i.id);
    }
    QList<CloudMapRemovedInstance> removed;
    for (const CloudMapRemovedInstance &r : std::as_const(m_snapshot.removed)) {
        if (!listed.contains(r.instance.id) && r.holdUntil > at) {
            removed.append(r);
        }
    }
    const int ttl = m_building.dnsTtl.value_or(0);
    for (const CloudMapInstance &i : std::as_const(m_snapshot.instances)) {
        if (!listed.contains(i.id) && ttl > 0) {
            removed.append(CloudMapRemovedInstance { i, at, at.addSecs(ttl) });
        }
    }
    m_building.removed = removed;
}

void CloudMapSource::discover()
{
    step(AwsCall::cloudMap("DiscoverInstances",
             QJsonObject { { QStringLiteral("NamespaceName"), m_building.namespaceName },
                 { QStringLiteral("ServiceName"), m_building.serviceName },
                 { QStringLiteral("HealthStatus"), QStringLiteral("ALL") },
                 { QStringLiteral("MaxResults"), 1000 } }),
        [this](const AwsResult &r) {
            const auto list = AwsReplies::discoverInstances(r.pages.value(0));
            if (!list) {
                failParse(QStringLiteral("servicediscovery DiscoverInstances"), list.errorText());
                return;
            }
            const QDateTime at = now();
            keepRemoved(*list, at);
            m_building.instances = *list;
            completePoll(at);
        });
}

void CloudMapSource::publish(const QDateTime &fetchedAt)
{
    m_building.fetchedAt = fetchedAt;
    m_snapshot = m_building;
    Q_EMIT snapshotReady(m_snapshot);
}

} // namespace hopscope

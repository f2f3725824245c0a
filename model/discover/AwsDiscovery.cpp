#include "discover/AwsDiscovery.h"

#include "aws/AwsReplies.h"
#include "aws/AwsRequest.h"
#include "aws/AwsSession.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>

namespace hopscope {

namespace {

QString key(const QString &address, quint16 port)
{
    const QString host = address.contains(u':') ? u'[' + address + u']' : address;
    return port ? host + u':' + QString::number(port) : host;
}

QJsonObject nameFilter(const QString &name, const QString &value)
{
    return QJsonObject { { QStringLiteral("Name"), name },
        { QStringLiteral("Values"), QJsonArray { value } },
        { QStringLiteral("Condition"), QStringLiteral("EQ") } };
}

// A profile id from an AWS name: the id pattern's characters, at most 63.
QString idFrom(const QString &name)
{
    QString id = name;
    id.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9._-]")), QStringLiteral("-"));
    while (id.startsWith(u'-') || id.startsWith(u'.') || id.startsWith(u'_')) {
        id.remove(0, 1);
    }
    return id.left(63).isEmpty() ? QStringLiteral("aws") : id.left(63);
}

} // namespace

AwsDiscovery::AwsDiscovery(QObject *parent)
    : QObject(parent)
{ }

AwsDiscovery::~AwsDiscovery() = default;

void AwsDiscovery::start(const AwsDiscoveryRequest &request, int deadlineMs)
{
    m_result = DiscoveredAws();
    m_result.request = request;
    m_deadlineMs = std::max(500, deadlineMs);
    AwsEndpoint endpoint;
    endpoint.region = request.region.toLatin1();
    endpoint.url = request.endpointUrl;
    if (!endpoint.url.isEmpty() && endpoint.url.path().isEmpty()) {
        endpoint.url.setPath(QStringLiteral("/"));
    }
    delete m_session;
    m_session = new AwsSession(
        endpoint, request.credentials, QProcessEnvironment::systemEnvironment(), this);
    m_parts = request.count();
    m_done.clear();

    if (!request.cloudMapNamespace.isEmpty()) {
        const QString ns = request.cloudMapNamespace;
        call(
            AwsCall::cloudMap("ListNamespaces",
                QJsonObject { { QStringLiteral("Filters"),
                    QJsonArray { nameFilter(QStringLiteral("NAME"), ns) } } }),
            [this, ns](const AwsResult &r) {
                for (const QByteArray &page : r.pages) {
                    for (const QJsonValue &n :
                        QJsonDocument::fromJson(page)[u"Namespaces"].toArray()) {
                        if (n[u"Name"].toString() == ns) {
                            cloudMapServices(n[u"Id"].toString());
                            return;
                        }
                    }
                }
                m_result.cloudMapError
                    = QStringLiteral("servicediscovery ListNamespaces: no namespace named %1")
                          .arg(ns);
                done(QStringLiteral("cloudmap ") + ns);
            },
            [this, ns](const QString &why) {
                m_result.cloudMapError = why;
                done(QStringLiteral("cloudmap ") + ns);
            });
    }
    if (!request.elbv2.isEmpty()) {
        const bool arn = request.elbv2.startsWith(u"arn:");
        call(
            AwsCall::elbv2("DescribeLoadBalancers",
                { { arn ? "LoadBalancerArns.member.1" : "Names.member.1",
                    request.elbv2.toUtf8() } }),
            [this](const AwsResult &r) {
                const auto lbs = AwsReplies::queryMembers(r.pages.value(0),
                    QStringLiteral("DescribeLoadBalancers"), QStringLiteral("LoadBalancers"));
                if (!lbs || lbs->isEmpty()) {
                    m_result.elbv2Error
                        = QStringLiteral("elasticloadbalancing "
                                         "DescribeLoadBalancers: %1")
                              .arg(lbs ? QStringLiteral("no load balancer") : lbs.errorText());
                    done(QStringLiteral("elbv2 ") + m_result.request.elbv2);
                    return;
                }
                m_result.loadBalancerName = lbs->at(0).value(QStringLiteral("LoadBalancerName"));
                elbv2Details(lbs->at(0).value(QStringLiteral("LoadBalancerArn")));
            },
            [this](const QString &why) {
                m_result.elbv2Error = why;
                done(QStringLiteral("elbv2 ") + m_result.request.elbv2);
            });
    }
    if (!request.ecsCluster.isEmpty()) {
        AwsCall c = AwsCall::ecs("ListTasks",
            QJsonObject { { QStringLiteral("cluster"), request.ecsCluster },
                { QStringLiteral("desiredStatus"), QStringLiteral("RUNNING") },
                { QStringLiteral("maxResults"), 100 } });
        c.pageToken = QStringLiteral("nextToken");
        call(
            c,
            [this](const AwsResult &r) {
                QStringList arns;
                for (const QByteArray &page : r.pages) {
                    const auto list = AwsReplies::listTasks(page);
                    if (!list) {
                        m_result.ecsError = QStringLiteral("ecs ListTasks: ") + list.errorText();
                        done(QStringLiteral("ecs ") + m_result.request.ecsCluster);
                        return;
                    }
                    arns += *list;
                }
                ecsDescribe(arns, 0);
            },
            [this](const QString &why) {
                m_result.ecsError = why;
                done(QStringLiteral("ecs ") + m_result.request.ecsCluster);
            });
    }
    if (m_parts == 0) {
        QMetaObject::invokeMethod(this, &AwsDiscovery::finished, Qt::QueuedConnection);
    }
}

void AwsDiscovery::call(const AwsCall &c, std::function<void(const AwsResult &)> next,
    std::function<void(const QString &)> failed)
{
    m_session->call(this, c, m_deadlineMs, [next, failed](const AwsResult &r) {
        if (!r.ok()) {
            failed(r.errorText());
            return;
        }
        next(r);
    });
}

DiscoveredAws AwsDiscovery::resultSoFar(const QString &why) const
{
    DiscoveredAws r = m_result;
    const AwsDiscoveryRequest &rq = r.request;
    if (!rq.cloudMapNamespace.isEmpty() && !m_done.contains(u"cloudmap " + rq.cloudMapNamespace)) {
        r.cloudMapError = why;
    }
    if (!rq.elbv2.isEmpty() && !m_done.contains(u"elbv2 " + rq.elbv2)) {
        r.elbv2Error = why;
    }
    if (!rq.ecsCluster.isEmpty() && !m_done.contains(u"ecs " + rq.ecsCluster)) {
        r.ecsError = why;
    }
    return r;
}

void AwsDiscovery::done(const QString &what)
{
    m_done.insert(what);
    Q_EMIT partDone(what);
    if (--m_parts == 0) {
        Q_EMIT finished();
    }
}

void AwsDiscovery::cloudMapServices(const QString &namespaceId)
{
    const QString what = QStringLiteral("cloudmap ") + m_result.request.cloudMapNamespace;
    call(
        AwsCall::cloudMap("ListServices",
            QJsonObject { { QStringLiteral("Filters"),
                QJsonArray { nameFilter(QStringLiteral("NAMESPACE_ID"), namespaceId) } } }),
        [this](const AwsResult &r) {
            QList<DiscoveredAws::Group> services;
            for (const QByteArray &page : r.pages) {
                for (const QJsonValue &s : QJsonDocument::fromJson(page)[u"Services"].toArray()) {
                    services.append({ s[u"Name"].toString(), s[u"Arn"].toString(), {} });
                }
            }
            cloudMapInstances(services, 0);
        },
        [this, what](const QString &why) {
            m_result.cloudMapError = why;
            done(what);
        });
}

void AwsDiscovery::cloudMapInstances(QList<DiscoveredAws::Group> services, qsizetype index)
{
    const QString what = QStringLiteral("cloudmap ") + m_result.request.cloudMapNamespace;
    if (index >= services.size()) {
        m_result.cloudMap = services;
        done(what);
        return;
    }
    call(
        AwsCall::cloudMap("DiscoverInstances",
            QJsonObject { { QStringLiteral("NamespaceName"), m_result.request.cloudMapNamespace },
                { QStringLiteral("ServiceName"), services[index].name },
                { QStringLiteral("HealthStatus"), QStringLiteral("ALL") },
                { QStringLiteral("MaxResults"), 1000 } }),
        [this, services, index, what](const AwsResult &r) mutable {
            const auto list = AwsReplies::discoverInstances(r.pages.value(0));
            if (!list) {
                m_result.cloudMapError
                    = QStringLiteral("servicediscovery DiscoverInstances: ") + list.errorText();
                done(what);
                return;
            }
            for (const CloudMapInstance &i : *list) {
                if (!i.address.isEmpty() && i.port) {
                    services[index].keys.append(key(i.address, i.port));
                }
            }
            cloudMapInstances(services, index + 1);
        },
        [this, what](const QString &why) {
            m_result.cloudMapError = why;
            done(what);
        });
}

void AwsDiscovery::elbv2Details(const QString &lbArn)
{
    const QString what = QStringLiteral("elbv2 ") + m_result.request.elbv2;
    const auto failed = [this, what](const QString &why) {
        m_result.elbv2Error = why;
        done(what);
    };
    call(
        AwsCall::elbv2("DescribeListeners", { { "LoadBalancerArn", lbArn.toUtf8() } }),
        [this, lbArn, what, failed](const AwsResult &r) {
            const auto listeners = AwsReplies::queryMembers(
                r.pages.value(0), QStringLiteral("DescribeListeners"), QStringLiteral("Listeners"));
            if (!listeners) {
                failed(QStringLiteral("elasticloadbalancing DescribeListeners: ")
                    + listeners.errorText());
                return;
            }
            for (const QMap<QString, QString> &l : *listeners) {
                const QString arn = l.value(QStringLiteral("ListenerArn"));
                if (m_result.listenerArn.isEmpty()) {
                    m_result.listenerArn = arn;
                } else {
                    m_result.otherListeners.append(QStringLiteral("%1:%2 %3")
                                                       .arg(l.value(QStringLiteral("Protocol")),
                                                           l.value(QStringLiteral("Port")), arn));
                }
            }
            call(
                AwsCall::elbv2("DescribeTargetGroups", { { "LoadBalancerArn", lbArn.toUtf8() } }),
                [this, failed](const AwsResult &tr) {
                    for (const QByteArray &page : tr.pages) {
                        const auto groups = AwsReplies::queryMembers(page,
                            QStringLiteral("DescribeTargetGroups"), QStringLiteral("TargetGroups"));
                        if (!groups) {
                            failed(QStringLiteral("elasticloadbalancing DescribeTargetGroups: ")
                                + groups.errorText());
                            return;
                        }
                        for (const QMap<QString, QString> &g : *groups) {
                            m_result.targetGroups.append(
                                { g.value(QStringLiteral("TargetGroupName")),
                                    g.value(QStringLiteral("TargetGroupArn")), {} });
                        }
                    }
                    elbv2Health(0);
                },
                failed);
        },
        failed);
}

void AwsDiscovery::elbv2Health(qsizetype index)
{
    const QString what = QStringLiteral("elbv2 ") + m_result.request.elbv2;
    if (index >= m_result.targetGroups.size()) {
        done(what);
        return;
    }
    call(
        AwsCall::elbv2("DescribeTargetHealth",
            { { "TargetGroupArn", m_result.targetGroups[index].arn.toUtf8() } }),
        [this, index](const AwsResult &r) {
            for (const QByteArray &page : r.pages) {
                const auto targets = AwsReplies::describeTargetHealth(page);
                if (!targets) {
                    m_result.elbv2Error
                        = QStringLiteral("elasticloadbalancing DescribeTargetHealth: ")
                        + targets.errorText();
                    done(QStringLiteral("elbv2 ") + m_result.request.elbv2);
                    return;
                }
                for (const Elbv2TargetHealth &t : *targets) {
                    if (t.port) {
                        m_result.targetGroups[index].keys.append(key(t.id, t.port));
                    }
                }
            }
            elbv2Health(index + 1);
        },
        [this, what](const QString &why) {
            m_result.elbv2Error = why;
            done(what);
        });
}

void AwsDiscovery::ecsDescribe(QStringList arns, qsizetype from)
{
    const QString what = QStringLiteral("ecs ") + m_result.request.ecsCluster;
    if (from >= arns.size()) {
        done(what);
        return;
    }
    QJsonArray batch;
    for (qsizetype i = from; i < std::min<qsizetype>(arns.size(), from + 100); ++i) {
        batch.append(arns.at(i));
    }
    call(
        AwsCall::ecs("DescribeTasks",
            QJsonObject { { QStringLiteral("cluster"), m_result.request.ecsCluster },
                { QStringLiteral("tasks"), batch } }),
        [this, arns, from, what](const AwsResult &r) {
            const auto tasks = AwsReplies::describeTasks(r.pages.value(0));
            if (!tasks) {
                m_result.ecsError = QStringLiteral("ecs DescribeTasks: ") + tasks.errorText();
                done(what);
                return;
            }
            for (const EcsTask &t : *tasks) {
                if (!t.group.startsWith(u"service:") || t.address.isEmpty()) {
                    continue; // a standalone task (RunTask), or no ENI yet
                }
                const QString service = t.group.mid(8);
                auto it = std::find_if(m_result.ecs.begin(), m_result.ecs.end(),
                    [&](const DiscoveredAws::Group &g) { return g.name == service; });
                if (it == m_result.ecs.end()) {
                    m_result.ecs.append({ service, {}, {} });
                    it = std::prev(m_result.ecs.end());
                }
                if (t.ports.isEmpty()) {
                    it->keys.append(t.address);
                }
                for (quint16 p : t.ports) {
                    it->keys.append(key(t.address, p));
                }
            }
            ecsDescribe(arns, from + 100);
        },
        [this, what](const QString &why) {
            m_result.ecsError = why;
            done(what);
        });
}

void AwsDiscovery::apply(const DiscoveredAws &aws, DiscoveryResult &result)
{
    ClusterProfile &p = result.profile;
    const AwsDiscoveryRequest &rq = aws.request;
    result.asked += rq.count();
    // The service a discovered group joins: same name, else one whose targets overlap.
    QHash<QString, QSet<QString>> keysOf; // service id -> address:port keys seen
    const auto serviceFor = [&](const DiscoveredAws::Group &g) -> ServiceSpec & {
        const QSet<QString> keys(g.keys.cbegin(), g.keys.cend());
        for (ServiceSpec &s : p.services) {
            if (s.name == g.name || s.id == idFrom(g.name)) {
                keysOf[s.id] += keys;
                return s;
            }
        }
        for (ServiceSpec &s : p.services) {
            const QSet<QString> &known = keysOf[s.id];
            for (const QString &k : keys) {
                // ECS tasks without a port are keyed by address: they match any port there.
                const bool hit = known.contains(k)
                    || std::any_of(known.cbegin(), known.cend(),
                        [&k](const QString &x) { return x.startsWith(k + u':'); });
                if (hit) {
                    keysOf[s.id] += keys;
                    return s;
                }
            }
        }
        ServiceSpec s;
        s.id = idFrom(g.name);
        for (int n = 2; p.service(s.id); ++n) {
            s.id = idFrom(g.name).left(60) + u'-' + QString::number(n);
        }
        s.name = g.name;
        p.services.append(s);
        keysOf[s.id] = keys;
        return p.services.last();
    };

    if (!rq.cloudMapNamespace.isEmpty()) {
        if (!aws.cloudMapError.isEmpty()) {
            result.failed.append(
                QStringLiteral("cloudmap %1: %2").arg(rq.cloudMapNamespace, aws.cloudMapError));
        } else {
            ++result.answered;
            QStringList names;
            for (const DiscoveredAws::Group &g : aws.cloudMap) {
                ServiceSpec &s = serviceFor(g);
                s.cloudMap = ServiceCloudMapSpec { rq.cloudMapNamespace, g.name, {} };
                names << QStringLiteral("%1 (%2 instances)").arg(g.name).arg(g.keys.size());
            }
            result.found.append(QStringLiteral("cloudmap %1: %2 service(s): %3")
                                    .arg(rq.cloudMapNamespace)
                                    .arg(aws.cloudMap.size())
                                    .arg(names.join(QStringLiteral(", "))));
        }
    }
    if (!rq.ecsCluster.isEmpty()) {
        if (!aws.ecsError.isEmpty()) {
            result.failed.append(QStringLiteral("ecs %1: %2").arg(rq.ecsCluster, aws.ecsError));
        } else {
            ++result.answered;
            QStringList names;
            for (const DiscoveredAws::Group &g : aws.ecs) {
                ServiceSpec &s = serviceFor(g);
                s.ecs = ServiceEcsSpec { rq.ecsCluster, g.name, {} };
                names << QStringLiteral("%1 (%2 tasks)").arg(g.name).arg(g.keys.size());
            }
            result.found.append(QStringLiteral("ecs %1: %2 service(s) with running tasks: %3")
                                    .arg(rq.ecsCluster)
                                    .arg(aws.ecs.size())
                                    .arg(names.join(QStringLiteral(", "))));
        }
    }
    if (!rq.elbv2.isEmpty()) {
        if (!aws.elbv2Error.isEmpty()) {
            result.failed.append(QStringLiteral("elbv2 %1: %2").arg(rq.elbv2, aws.elbv2Error));
        } else {
            ++result.answered;
            LoadBalancerSpec lb;
            lb.id = idFrom(aws.loadBalancerName);
            for (int n = 2; p.loadBalancer(lb.id); ++n) {
                lb.id = idFrom(aws.loadBalancerName).left(60) + u'-' + QString::number(n);
            }
            lb.kind = QStringLiteral("elbv2");
            lb.listenerArn = aws.listenerArn;
            QStringList groups;
            for (const DiscoveredAws::Group &g : aws.targetGroups) {
                const ServiceSpec &s = serviceFor(g);
                lb.targetGroups.append(TargetGroupSpec { g.arn, s.id, {} });
                groups << QStringLiteral("%1 → %2").arg(g.name, s.id);
            }
            p.loadBalancers.append(lb);
            result.found.append(
                QStringLiteral("elbv2 %1: listener %2, target groups %3")
                    .arg(aws.loadBalancerName,
                        aws.listenerArn.isEmpty() ? QStringLiteral("none") : aws.listenerArn,
                        groups.join(QStringLiteral(", "))));
            if (!aws.otherListeners.isEmpty()) {
                result.notInferred.append(
                    QStringLiteral("%1: only the first listener's rules are "
                                   "read; others: %2")
                        .arg(lb.id, aws.otherListeners.join(QStringLiteral("; "))));
            }
            result.notInferred.append(QStringLiteral("who calls through %1: add edges {\"from\": "
                                                     "CALLER, \"to\": SERVICE, \"via\": \"lb:%1\"}")
                                          .arg(lb.id));
        }
    }
    if (rq.count() > 0) {
        AwsSpec spec;
        spec.region = rq.region;
        spec.credentials = rq.credentials;
        spec.endpointUrl = rq.endpointUrl;
        p.aws = spec;
    }
}

} // namespace hopscope

#pragma once

#include "discover/DiscoveryInput.h"
#include "discover/ProfileDiscovery.h"

#include <QObject>
#include <QPointer>
#include <QSet>

#include <functional>

namespace hopscope {

class AwsSession;
struct AwsCall;
struct AwsResult;

// `profile discover --aws-cloudmap NAMESPACE --aws-elbv2 LB --aws-ecs CLUSTER` (issue 16): asks
// the AWS API once, through one AwsSession (the profile's credential chain), each part at the
// same time: Cloud Map (ListNamespaces → ListServices → DiscoverInstances per service), ELBv2
// (DescribeLoadBalancers by name or ARN → DescribeListeners → DescribeTargetGroups →
// DescribeTargetHealth per group), ECS (ListTasks → DescribeTasks: the services are the tasks'
// "service:NAME" groups). partDone() after each part (answered or failed), finished() once all
// are; every call has the run's deadline. Lives on its creator's thread.
class AwsDiscovery : public QObject
{
    Q_OBJECT
public:
    explicit AwsDiscovery(QObject *parent = nullptr);
    ~AwsDiscovery() override;

    void start(const AwsDiscoveryRequest &request, int deadlineMs);
    const DiscoveredAws &result() const { return m_result; }
    // What was found so far, each part that has not finished failed with `why` (the hard stop).
    DiscoveredAws resultSoFar(const QString &why) const;

    // The pure part: the AWS keys of `aws` into `result` (services with cloudMap/ecs, the elbv2
    // load balancer with its listener and target groups, the "aws" block), merged with what the
    // other endpoints found: a target group or ECS service joins the service with the same
    // name, else the one listing the same addresses, else becomes a service of its own.
    static void apply(const DiscoveredAws &aws, DiscoveryResult &result);

Q_SIGNALS:
    void partDone(const QString &what);
    void finished();

private:
    void call(const AwsCall &c, std::function<void(const AwsResult &)> next,
        std::function<void(const QString &)> failed);
    void cloudMapServices(const QString &namespaceId);
    void cloudMapInstances(QList<DiscoveredAws::Group> services, qsizetype index);
    void elbv2Details(const QString &lbArn);
    void elbv2Health(qsizetype index);
    void ecsDescribe(QStringList arns, qsizetype from);
    void done(const QString &what);

    DiscoveredAws m_result;
    AwsSession *m_session = nullptr;
    int m_deadlineMs = 10'000;
    int m_parts = 0;
    QSet<QString> m_done; // the parts ("cloudmap NS", "elbv2 LB", "ecs CLUSTER") that finished
};

} // namespace hopscope

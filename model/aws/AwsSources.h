#pragma once

#include "aws/AwsPollingSource.h"
#include "aws/AwsReplies.h"

#include <QDateTime>
#include <QMetaType>
#include <QPointer>

#include <functional>
#include <optional>

namespace hopscope {

class AwsRequest;
class AwsSession;
struct AwsCall;
struct AwsResult;

// --- ELBv2 ------------------------------------------------------------------------------------

struct Elbv2TargetGroupSpec
{
    QString arn;
    QString service; // the profile's service id its targets belong to
};

struct Elbv2TargetGroupState
{
    Elbv2TargetGroupSpec spec;
    std::optional<int> deregistrationDelayS; // read once per source
    QList<Elbv2TargetHealth> targets;
};

struct Elbv2Snapshot
{
    QString loadBalancerId;
    QList<Elbv2TargetGroupState> groups;
    QList<Elbv2Rule> rules; // the listener's rules (empty without a listenerArn)
    QDateTime fetchedAt;
};

// One ALB/NLB of the profile (kind "elbv2"): DescribeTargetHealth per target group every poll,
// each group's deregistration delay once, the listener's rules (DescribeRules) on the first poll
// and every tenth after. A poll whose calls do not all succeed fails as a whole, with the first
// failure's words (a partial view would show a missing group's targets as gone).
class Elbv2Source : public AwsPollingSource
{
    Q_OBJECT
public:
    Elbv2Source(AwsSession *session, QString loadBalancerId, QString listenerArn,
        QList<Elbv2TargetGroupSpec> groups, QObject *parent = nullptr);

    const Elbv2Snapshot &snapshot() const { return m_snapshot; }

Q_SIGNALS:
    void snapshotReady(const hopscope::Elbv2Snapshot &snapshot);

protected:
    void makeCalls() override;
    void publish(const QDateTime &fetchedAt) override;
    void cancelPoll() override;

private:
    // One of the poll's parallel calls; `take` folds its reply and returns why it cannot.
    void gather(const AwsCall &call, std::function<QString(const AwsResult &)> take);
    void oneDone(const QString &error, SourceError::Kind kind);

    QString m_listenerArn;
    Elbv2Snapshot m_snapshot; // the last complete one
    Elbv2Snapshot m_building;
    int m_polls = 0;
    int m_outstanding = 0;
    QString m_firstError;
    SourceError::Kind m_firstErrorKind = SourceError::Kind::None;
};

// --- Cloud Map --------------------------------------------------------------------------------

// An instance that left DiscoverInstances (deregistered): DNS clients may hold its record for
// the service's TTL, so it is kept, as removed, until then.
struct CloudMapRemovedInstance
{
    CloudMapInstance instance;
    QDateTime removedAt;
    QDateTime holdUntil; // removedAt + the DNS TTL
};

struct CloudMapSnapshot
{
    QString namespaceName;
    QString serviceName;
    QString serviceId; // resolved once: ListNamespaces -> ListServices
    std::optional<int> dnsTtl;
    bool customHealth = false;
    QList<CloudMapInstance> instances; // every instance, whatever its health (HealthStatus ALL)
    QList<CloudMapRemovedInstance> removed; // gone from the list, still within the DNS TTL
    QDateTime fetchedAt;
};

// One Cloud Map service of the profile: its namespace and service ids and configuration
// (GetService: DNS TTL, custom health) resolved on the first poll, then DiscoverInstances with
// HealthStatus ALL every poll, so an UNHEALTHY instance is seen as such, not as gone.
class CloudMapSource : public AwsPollingSource
{
    Q_OBJECT
public:
    CloudMapSource(
        AwsSession *session, QString namespaceName, QString serviceName, QObject *parent = nullptr);

    const CloudMapSnapshot &snapshot() const { return m_snapshot; }

Q_SIGNALS:
    void snapshotReady(const hopscope::CloudMapSnapshot &snapshot);

protected:
    void makeCalls() override;
    void publish(const QDateTime &fetchedAt) override;

private:
    void resolveNamespace();
    void resolveService(const QString &namespaceId);
    void readService();
    void discover();
    void keepRemoved(const QList<CloudMapInstance> &now, const QDateTime &at);
    void failParse(const QString &what, const QString &error);

    CloudMapSnapshot m_snapshot; // the last complete one
    CloudMapSnapshot m_building;
    bool m_resolved = false;
};

} // namespace hopscope

Q_DECLARE_METATYPE(hopscope::Elbv2Snapshot)
Q_DECLARE_METATYPE(hopscope::CloudMapSnapshot)

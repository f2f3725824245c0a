#pragma once

#include "aws/AwsReplies.h"
#include "core/Clock.h"
#include "ops/DrainLayer.h"

#include <QPointer>
#include <QTimer>

#include <functional>
#include <optional>

namespace hopscope {

class AwsSession;
struct AwsCall;
struct AwsResult;

// The ELBv2 layer of a drain (issue 16): DeregisterTargets takes the target out of its target
// group; ELBv2 keeps it `draining` (Target.DeregistrationInProgress) for the group's
// deregistration_delay.timeout_seconds, then it is gone. Undo is RegisterTargets with the same
// id and port. Right before the call, prepare() reads the delay (DescribeTargetGroupAttributes)
// and the target's state (DescribeTargetHealth): a target already draining or not registered needs
// no call, and then undo sends none either. Observed by reading the target's health back
// (DescribeTargetHealth for that target) on every pollNow(), never from the call's reply; after
// the drain it keeps reading about once a second until the target is gone, and holds the
// countdown until the delay has passed and ELBv2 no longer lists it. Every call goes through the
// profile's AwsSession (SigV4, deadline, throttling backoff). GUI (or CLI main) thread.
class Elbv2DrainLayer : public DrainLayer
{
    Q_OBJECT
public:
    // `session` may be nullptr (the profile has no AWS section): the layer refuses to act.
    Elbv2DrainLayer(
        DrainStep step, AwsSession *session, const Clock &clock, QObject *parent = nullptr);
    ~Elbv2DrainLayer() override;

    void setCallDeadlineMs(int ms) { m_deadlineMs = ms; }
    void setRefreshMs(int ms) { m_refresh.setInterval(ms); }

    QString undoText() const override;
    void prepare(Direction d) override;
    void send(Direction d) override;
    bool observable() const override { return !m_session.isNull(); }
    LayerObservation observe(Direction d) const override;
    void pollNow() override;
    void addHolding(DrainCountdown &c, const QDateTime &now) const override;

private:
    using Then = std::function<void(const AwsResult &)>;
    void call(const AwsCall &call, Then then);
    AwsCall healthCall() const;
    void readHealth(std::function<void()> then);
    QString where() const; // "load balancer internal-alb"
    bool gone() const; // the last read shows the target not registered any more
    void decide(Direction d);

    QPointer<AwsSession> m_session;
    const Clock &m_clock;
    int m_deadlineMs = 10'000;
    QTimer m_refresh; // after the drain: read again until the target is gone
    bool m_reading = false;
    std::optional<Elbv2TargetHealth> m_last; // the last read-back of the target
    QString m_readError; // the last read-back failed: why
    QDateTime m_deregisteredAt; // when DeregisterTargets was answered
};

} // namespace hopscope

#pragma once

#include "core/Clock.h"
#include "ops/DrainLayer.h"

#include <QPointer>

#include <functional>
#include <optional>

namespace hopscope {

class AwsSession;
struct AwsCall;
struct AwsResult;

// The Cloud Map layer of a drain (issue 16). A service with a custom health check
// (HealthCheckCustomConfig) gets UpdateInstanceCustomHealthStatus UNHEALTHY, undone with HEALTHY;
// any other service gets DeregisterInstance, undone with RegisterInstance of the same id and the
// attributes it had: prepare() reads them (GetInstance) right before the call into the step, so
// the intent DrainController writes (fsync) before the call holds them, and `undrain` in a new
// process registers them back from the audit log. An instance already UNHEALTHY or not registered
// needs no call, and then undo sends none either. Observed by reading back
// (GetInstancesHealthStatus / GetInstance) on every pollNow(), never from the call's reply. Holds
// the countdown for the service's DNS TTL after the change (resolvers may still hand the record
// out). Every call goes through the profile's AwsSession. GUI (or CLI main) thread.
class CloudMapDrainLayer : public DrainLayer
{
    Q_OBJECT
public:
    // `session` may be nullptr (the profile has no AWS section): the layer refuses to act.
    CloudMapDrainLayer(
        DrainStep step, AwsSession *session, const Clock &clock, QObject *parent = nullptr);
    ~CloudMapDrainLayer() override;

    void setCallDeadlineMs(int ms) { m_deadlineMs = ms; }

    QString undoText() const override;
    void prepare(Direction d) override;
    void send(Direction d) override;
    bool observable() const override { return !m_session.isNull(); }
    LayerObservation observe(Direction d) const override;
    void pollNow() override;
    void addHolding(DrainCountdown &c, const QDateTime &now) const override;

private:
    // What the last read-back found: the instance's custom health status, or (deregister mode)
    // whether it is registered and at which address.
    struct Reading
    {
        bool registered = false;
        QString health; // custom-health mode: HEALTHY / UNHEALTHY / UNKNOWN
        QMap<QString, QString> attributes; // deregister mode, when registered
    };
    using Then = std::function<void(const AwsResult &)>;
    void call(const AwsCall &call, Then then);
    void read(std::function<void()> then);
    void decide(Direction d);
    QString where() const; // "Cloud Map corp.internal/orders"

    QPointer<AwsSession> m_session;
    const Clock &m_clock;
    int m_deadlineMs = 10'000;
    bool m_reading = false;
    std::optional<Reading> m_last;
    QString m_readError;
    QDateTime m_changedAt; // when the drain call was answered: the DNS stale window starts
};

} // namespace hopscope

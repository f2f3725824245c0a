#include "ops/CloudMapDrainLayer.h"

#include "aws/AwsReplies.h"
#include "aws/AwsSession.h"
#include "ops/AwsLayerReply.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QUuid>

namespace hopscope {

namespace {

bool instanceNotFound(const AwsResult &r)
{
    return r.error.kind == AwsError::Kind::NotFound && r.error.code == u"InstanceNotFound";
}

QJsonObject attributesJson(const QMap<QString, QString> &attrs)
{
    QJsonObject o;
    for (auto it = attrs.cbegin(); it != attrs.cend(); ++it) {
        o.insert(it.key(), it.value());
    }
    return o;
}

} // namespace

CloudMapDrainLayer::CloudMapDrainLayer(
    DrainStep step, AwsSession *session, const Clock &clock, QObject *parent)
    : DrainLayer(std::move(step), parent)
    , m_session(session)
    , m_clock(clock)
{ }

CloudMapDrainLayer::~CloudMapDrainLayer() = default;

QString CloudMapDrainLayer::where() const
{
    return QStringLiteral("Cloud Map %1/%2").arg(m_step.aws.namespaceName, m_step.aws.serviceName);
}

QString CloudMapDrainLayer::undoText() const
{
    const AwsDrainFields &f = m_step.aws;
    if (f.customHealth) {
        return QStringLiteral("UpdateInstanceCustomHealthStatus %1 HEALTHY in service %2")
            .arg(f.instanceId, f.serviceId);
    }
    return QStringLiteral("RegisterInstance %1 in service %2 with the attributes in this record")
        .arg(f.instanceId, f.serviceId);
}

void CloudMapDrainLayer::call(const AwsCall &c, Then then)
{
    m_session->call(this, c, m_deadlineMs, std::move(then));
}

void CloudMapDrainLayer::read(std::function<void()> then)
{
    const AwsDrainFields &f = m_step.aws;
    m_reading = true;
    const AwsCall c = f.customHealth ? AwsCall::cloudMap("GetInstancesHealthStatus",
                          QJsonObject { { QStringLiteral("ServiceId"), f.serviceId },
                              { QStringLiteral("Instances"), QJsonArray { f.instanceId } } })
                                     : AwsCall::cloudMap("GetInstance",
                                         QJsonObject { { QStringLiteral("ServiceId"), f.serviceId },
                                             { QStringLiteral("InstanceId"), f.instanceId } });
    call(c, [this, then](const AwsResult &r) {
        m_reading = false;
        m_readError.clear();
        m_last.reset();
        const AwsDrainFields &fields = m_step.aws;
        if (instanceNotFound(r)) {
            m_last = Reading {};
        } else if (!r.ok()) {
            m_readError = r.errorText();
        } else if (fields.customHealth) {
            const auto status = AwsReplies::instancesHealthStatus(r.pages.value(0));
            if (!status) {
                m_readError
                    = QStringLiteral("GetInstancesHealthStatus: %1").arg(status.errorText());
            } else if (!status->contains(fields.instanceId)) {
                m_readError = QStringLiteral("GetInstancesHealthStatus did not list %1")
                                  .arg(fields.instanceId);
            } else {
                m_last = Reading { true, status->value(fields.instanceId), {} };
            }
        } else {
            const QJsonObject inst
                = QJsonDocument::fromJson(r.pages.value(0)).object().value(u"Instance").toObject();
            const QJsonObject attrs = inst.value(u"Attributes").toObject();
            if (inst.value(u"Id").toString() != fields.instanceId) {
                m_readError
                    = QStringLiteral("GetInstance: Instance.Id is not %1").arg(fields.instanceId);
            } else {
                Reading reading { true, {}, {} };
                for (auto it = attrs.constBegin(); it != attrs.constEnd(); ++it) {
                    reading.attributes.insert(it.key(), it.value().toString());
                }
                m_last = reading;
            }
        }
        then();
    });
}

void CloudMapDrainLayer::prepare(Direction d)
{
    if (!m_session) {
        Q_EMIT prepared({ LayerCommand::Kind::Error,
            QStringLiteral("%1: no AWS session (the profile has no \"aws\" section)").arg(where()),
            {}, {} });
        return;
    }
    if (d == Direction::Undo && m_step.aws.noCommand) {
        Q_EMIT prepared({ LayerCommand::Kind::Nothing,
            QStringLiteral("no Cloud Map call had been made; nothing to put back"), {}, {} });
        return;
    }
    if (d == Direction::Undo && !m_step.aws.customHealth && m_step.aws.attributes.isEmpty()) {
        Q_EMIT prepared({ LayerCommand::Kind::Error,
            QStringLiteral("%1: the audit log holds no attributes of instance %2: RegisterInstance "
                           "cannot put it back")
                .arg(where(), m_step.aws.instanceId),
            {}, {} });
        return;
    }
    read([this, d] { decide(d); });
}

void CloudMapDrainLayer::decide(Direction d)
{
    if (!m_readError.isEmpty()) {
        Q_EMIT prepared({ LayerCommand::Kind::Error,
            QStringLiteral("%1: %2").arg(where(), m_readError), {}, {} });
        return;
    }
    AwsDrainFields &f = m_step.aws;
    const QJsonValue now = !m_last->registered ? QJsonValue(QStringLiteral("not registered"))
        : f.customHealth                       ? QJsonValue(m_last->health)
                                               : QJsonValue(attributesJson(m_last->attributes));
    if (d == Direction::Undo) {
        Q_EMIT prepared({ LayerCommand::Kind::Send, {}, now, {} });
        return;
    }
    if (!m_last->registered || (f.customHealth && m_last->health == u"UNHEALTHY")) {
        f.noCommand = true;
        Q_EMIT prepared({ LayerCommand::Kind::Nothing,
            QStringLiteral("no call made: instance %1 is already %2 in %3")
                .arg(f.instanceId,
                    m_last->registered ? m_last->health : QStringLiteral("not registered"),
                    where()),
            now, now });
        return;
    }
    f.noCommand = false;
    if (f.customHealth) {
        f.healthBefore = m_last->health;
    } else {
        // Into the step, hence into the intent record written before DeregisterInstance.
        f.attributes = m_last->attributes;
    }
    Q_EMIT prepared({ LayerCommand::Kind::Send, {}, now, {} });
}

void CloudMapDrainLayer::send(Direction d)
{
    const bool undo = d == Direction::Undo;
    const AwsDrainFields &f = m_step.aws;
    QByteArray op;
    QJsonObject input { { QStringLiteral("ServiceId"), f.serviceId },
        { QStringLiteral("InstanceId"), f.instanceId } };
    if (f.customHealth) {
        op = "UpdateInstanceCustomHealthStatus";
        input.insert(QStringLiteral("Status"),
            undo ? QStringLiteral("HEALTHY") : QStringLiteral("UNHEALTHY"));
    } else if (undo) {
        op = "RegisterInstance";
        input.insert(QStringLiteral("Attributes"), attributesJson(f.attributes));
        // AWS's idempotency token: a retry after a 5xx does not register twice.
        input.insert(
            QStringLiteral("CreatorRequestId"), QUuid::createUuid().toString(QUuid::WithoutBraces));
    } else {
        op = "DeregisterInstance";
    }
    const QJsonValue before = !m_last ? QJsonValue()
        : !m_last->registered         ? QJsonValue(QStringLiteral("not registered"))
        : f.customHealth              ? QJsonValue(m_last->health)
                                      : QJsonValue(attributesJson(m_last->attributes));
    call(AwsCall::cloudMap(op, input), [this, undo, op, before](const AwsResult &r) {
        const AwsDrainFields &fields = m_step.aws;
        QString how = QStringLiteral("%1 %2%3").arg(QString::fromLatin1(op), fields.instanceId,
            fields.customHealth ? (undo ? QStringLiteral(" HEALTHY") : QStringLiteral(" UNHEALTHY"))
                                : QString());
        // DeregisterInstance answered InstanceNotFound: it is not registered, which is what the
        // drain wants (a retry after a lost reply, or someone else took it out). Its attributes
        // were read and recorded before the call, so undo can still register it back.
        const bool alreadyGone = !undo && !fields.customHealth && instanceNotFound(r);
        const LayerReply::Kind kind = alreadyGone ? LayerReply::Kind::Ok : awsReplyKind(r);
        if (kind != LayerReply::Kind::Ok) {
            Q_EMIT sent({ kind, QStringLiteral("%1: %2").arg(where(), r.errorText()), {}, {} });
            return;
        }
        if (alreadyGone) {
            how += QStringLiteral(": AWS says it is not registered (InstanceNotFound)");
        }
        m_changedAt = undo ? QDateTime() : m_clock.now();
        const QJsonValue after = fields.customHealth
            ? QJsonValue(undo ? QStringLiteral("HEALTHY") : QStringLiteral("UNHEALTHY"))
            : (undo ? QJsonValue(attributesJson(fields.attributes))
                    : QJsonValue(QStringLiteral("not registered")));
        Q_EMIT sent({ LayerReply::Kind::Ok,
            QStringLiteral("%1 in %2%3").arg(how, where(), awsRetryWords(r)), before, after });
    });
}

LayerObservation CloudMapDrainLayer::observe(Direction d) const
{
    if (!m_session) {
        return { false, QStringLiteral("%1: no AWS session").arg(where()) };
    }
    if (!m_readError.isEmpty()) {
        return { false, QStringLiteral("%1: could not read back: %2").arg(where(), m_readError) };
    }
    if (!m_last) {
        return { false, QStringLiteral("%1: no read-back yet").arg(where()) };
    }
    const AwsDrainFields &f = m_step.aws;
    const bool apply = d == Direction::Apply;
    if (!m_last->registered) {
        return { apply,
            QStringLiteral("%1: instance %2 is not registered (%3: InstanceNotFound)")
                .arg(where(), f.instanceId,
                    f.customHealth ? QStringLiteral("GetInstancesHealthStatus")
                                   : QStringLiteral("GetInstance")) };
    }
    if (f.customHealth) {
        const bool unhealthy = m_last->health == u"UNHEALTHY";
        return { apply ? unhealthy : m_last->health == u"HEALTHY",
            QStringLiteral("%1: GetInstancesHealthStatus says %2 is %3")
                .arg(where(), f.instanceId, m_last->health) };
    }
    return { !apply,
        QStringLiteral("%1: GetInstance finds %2 registered (%3)")
            .arg(where(), f.instanceId,
                m_last->attributes.value(QStringLiteral("AWS_INSTANCE_IPV4"),
                    m_last->attributes.value(QStringLiteral("AWS_INSTANCE_IPV6")))) };
}

void CloudMapDrainLayer::pollNow()
{
    if (!m_session || m_reading) {
        return; // the read in flight ends with polled() too
    }
    read([this] { Q_EMIT polled(); });
}

void CloudMapDrainLayer::addHolding(DrainCountdown &c, const QDateTime &now) const
{
    const int ttl = m_step.aws.dnsTtl;
    if (!m_changedAt.isValid() || ttl <= 0) {
        return;
    }
    const qint64 left = std::max<qint64>(0, now.msecsTo(m_changedAt.addSecs(ttl)) + 999) / 1000;
    c.dnsStaleSecondsLeft = std::max(c.dnsStaleSecondsLeft, left);
    if (left > 0) {
        c.holding << QStringLiteral("%1: resolvers and clients may still hold %2's DNS record for "
                                    "%3 s (TTL %4 s)")
                         .arg(where(), m_step.aws.instanceId)
                         .arg(left)
                         .arg(ttl);
    }
}

} // namespace hopscope

#include "ops/Elbv2DrainLayer.h"

#include "aws/AwsSession.h"
#include "ops/AwsLayerReply.h"

namespace hopscope {

namespace {

bool notRegistered(const Elbv2TargetHealth &t)
{
    return t.state == u"unused" && t.reason == u"Target.NotRegistered";
}

QString stateWords(const Elbv2TargetHealth &t)
{
    return t.reason.isEmpty() ? t.state : QStringLiteral("%1 (%2)").arg(t.state, t.reason);
}

} // namespace

Elbv2DrainLayer::Elbv2DrainLayer(
    DrainStep step, AwsSession *session, const Clock &clock, QObject *parent)
    : DrainLayer(std::move(step), parent)
    , m_session(session)
    , m_clock(clock)
{
    m_refresh.setInterval(1000);
    connect(&m_refresh, &QTimer::timeout, this, [this] {
        // Once the target is gone and the delay has passed, nothing more can change.
        DrainCountdown c;
        addHolding(c, m_clock.now());
        if (c.safe()) {
            m_refresh.stop();
            return;
        }
        pollNow();
    });
}

Elbv2DrainLayer::~Elbv2DrainLayer() = default;

QString Elbv2DrainLayer::where() const
{
    return QStringLiteral("load balancer %1").arg(m_step.loadBalancer);
}

QString Elbv2DrainLayer::undoText() const
{
    return QStringLiteral("RegisterTargets %1 into target group %2")
        .arg(m_step.aws.targetText(), m_step.aws.targetGroupArn);
}

void Elbv2DrainLayer::call(const AwsCall &c, Then then)
{
    m_session->call(this, c, m_deadlineMs, std::move(then));
}

AwsCall Elbv2DrainLayer::healthCall() const
{
    const AwsDrainFields &f = m_step.aws;
    return AwsCall::elbv2("DescribeTargetHealth",
        { { "TargetGroupArn", f.targetGroupArn.toUtf8() },
            { "Targets.member.1.Id", f.targetId.toUtf8() },
            { "Targets.member.1.Port", QByteArray::number(f.targetPort) } });
}

// One DescribeTargetHealth for exactly this target: ELBv2 answers for it even when it is not
// registered (unused, Target.NotRegistered).
void Elbv2DrainLayer::readHealth(std::function<void()> then)
{
    m_reading = true;
    call(healthCall(), [this, then](const AwsResult &r) {
        m_reading = false;
        m_readError.clear();
        if (!r.ok()) {
            m_readError = r.errorText();
        } else {
            const auto list = AwsReplies::describeTargetHealth(r.pages.value(0));
            if (!list) {
                m_readError = QStringLiteral("DescribeTargetHealth: %1").arg(list.errorText());
            } else {
                m_last.reset();
                for (const Elbv2TargetHealth &t : *list) {
                    if (t.id == m_step.aws.targetId && t.port == m_step.aws.targetPort) {
                        m_last = t;
                    }
                }
                if (!m_last) {
                    m_readError = QStringLiteral("DescribeTargetHealth did not list %1")
                                      .arg(m_step.aws.targetText());
                }
            }
        }
        then();
    });
}

void Elbv2DrainLayer::prepare(Direction d)
{
    if (!m_session) {
        Q_EMIT prepared({ LayerCommand::Kind::Error,
            QStringLiteral("%1 has no AWS session (the profile has no \"aws\" section)")
                .arg(where()),
            {}, {} });
        return;
    }
    if (d == Direction::Undo) {
        if (m_step.aws.noCommand) {
            Q_EMIT prepared({ LayerCommand::Kind::Nothing,
                QStringLiteral("no DeregisterTargets had been sent; nothing to put back"), {},
                {} });
            return;
        }
        readHealth([this] { decide(Direction::Undo); });
        return;
    }
    // The delay as it is now (the countdown waits for it), then the target's state.
    call(AwsCall::elbv2("DescribeTargetGroupAttributes",
             { { "TargetGroupArn", m_step.aws.targetGroupArn.toUtf8() } }),
        [this](const AwsResult &r) {
            if (!r.ok()) {
                Q_EMIT prepared({ LayerCommand::Kind::Error,
                    QStringLiteral("%1: %2").arg(where(), r.errorText()), {}, {} });
                return;
            }
            const auto delay = AwsReplies::deregistrationDelaySeconds(r.pages.value(0));
            if (!delay) {
                Q_EMIT prepared({ LayerCommand::Kind::Error,
                    QStringLiteral("%1: DescribeTargetGroupAttributes: %2")
                        .arg(where(), delay.errorText()),
                    {}, {} });
                return;
            }
            m_step.aws.deregistrationDelayS = *delay;
            readHealth([this] { decide(Direction::Apply); });
        });
}

void Elbv2DrainLayer::decide(Direction d)
{
    if (!m_readError.isEmpty()) {
        Q_EMIT prepared({ LayerCommand::Kind::Error,
            QStringLiteral("%1: %2").arg(where(), m_readError), {}, {} });
        return;
    }
    const QString now = stateWords(*m_last);
    if (d == Direction::Undo) {
        Q_EMIT prepared({ LayerCommand::Kind::Send, {}, now, {} });
        return;
    }
    m_step.aws.stateBefore = m_last->state;
    if (m_last->state == u"draining" || notRegistered(*m_last)) {
        m_step.aws.noCommand = true;
        if (m_last->state == u"draining") {
            m_refresh.start(); // the countdown follows it until it is gone
        }
        Q_EMIT prepared({ LayerCommand::Kind::Nothing,
            QStringLiteral("no call made: %1 is already %2 in target group %3")
                .arg(m_step.aws.targetText(), now, m_step.aws.targetGroupName()),
            now, now });
        return;
    }
    m_step.aws.noCommand = false;
    if (!m_last->availabilityZone.isEmpty()) {
        m_step.aws.availabilityZone = m_last->availabilityZone;
    }
    Q_EMIT prepared({ LayerCommand::Kind::Send, {}, now, {} });
}

void Elbv2DrainLayer::send(Direction d)
{
    const bool undo = d == Direction::Undo;
    const AwsDrainFields &f = m_step.aws;
    QList<std::pair<QByteArray, QByteArray>> params { { "TargetGroupArn",
                                                          f.targetGroupArn.toUtf8() },
        { "Targets.member.1.Id", f.targetId.toUtf8() },
        { "Targets.member.1.Port", QByteArray::number(f.targetPort) } };
    if (!f.availabilityZone.isEmpty()) {
        params.append({ "Targets.member.1.AvailabilityZone", f.availabilityZone.toUtf8() });
    }
    const QByteArray action = undo ? "RegisterTargets" : "DeregisterTargets";
    const QString before = m_last ? stateWords(*m_last) : QString();
    call(AwsCall::elbv2(action, params), [this, undo, action, before](const AwsResult &r) {
        const LayerReply::Kind kind = awsReplyKind(r);
        if (kind != LayerReply::Kind::Ok) {
            Q_EMIT sent({ kind, QStringLiteral("%1: %2").arg(where(), r.errorText()), {}, {} });
            return;
        }
        if (undo) {
            m_refresh.stop();
            m_deregisteredAt = {};
        } else {
            m_deregisteredAt = m_clock.now();
            m_refresh.start();
        }
        Q_EMIT sent({ LayerReply::Kind::Ok,
            QStringLiteral("%1 %2 %3 target group %4%5")
                .arg(QString::fromLatin1(action), m_step.aws.targetText(),
                    undo ? QStringLiteral("into") : QStringLiteral("from"),
                    m_step.aws.targetGroupName(), awsRetryWords(r)),
            before, undo ? QStringLiteral("registered") : QStringLiteral("draining") });
    });
}

bool Elbv2DrainLayer::gone() const
{
    return m_readError.isEmpty() && m_last && notRegistered(*m_last);
}

LayerObservation Elbv2DrainLayer::observe(Direction d) const
{
    if (!m_session) {
        return { false, QStringLiteral("%1 has no AWS session").arg(where()) };
    }
    if (!m_readError.isEmpty()) {
        return { false, QStringLiteral("%1: could not read back: %2").arg(where(), m_readError) };
    }
    if (!m_last) {
        return { false, QStringLiteral("%1: no read-back yet").arg(where()) };
    }
    const QString state = stateWords(*m_last);
    const QString what = QStringLiteral("ELBv2 %1 shows %2 %3 in target group %4")
                             .arg(m_step.loadBalancer, m_step.aws.targetText(), state,
                                 m_step.aws.targetGroupName());
    const bool out = m_last->state == u"draining" || notRegistered(*m_last);
    return { d == Direction::Apply ? out : !out, what };
}

void Elbv2DrainLayer::pollNow()
{
    // A read in flight answers this ask too: it ends with polled(), and a read that started
    // before the change just makes the watch ask again.
    if (!m_session || m_reading) {
        return;
    }
    readHealth([this] { Q_EMIT polled(); });
}

void Elbv2DrainLayer::addHolding(DrainCountdown &c, const QDateTime &now) const
{
    const QString target = m_step.aws.targetText();
    if (!m_readError.isEmpty()) {
        c.holding << QStringLiteral("%1: target state unknown (%2)").arg(where(), m_readError);
        return;
    }
    const int delay = std::max(0, m_step.aws.deregistrationDelayS);
    const qint64 left = m_deregisteredAt.isValid()
        ? std::max<qint64>(0, now.msecsTo(m_deregisteredAt.addSecs(delay)) + 999) / 1000
        : 0;
    if (gone() && left == 0) {
        return;
    }
    if (!m_last) {
        c.holding << QStringLiteral("%1: target state not read yet").arg(where());
    } else if (left > 0) {
        c.holding << QStringLiteral("%1: %2 %3 in target group %4 (deregistration delay %5 s, "
                                    "%6 s left)")
                         .arg(where(), target, stateWords(*m_last), m_step.aws.targetGroupName())
                         .arg(delay)
                         .arg(left);
    } else {
        c.holding << QStringLiteral("%1: %2 still %3 in target group %4 after the %5 s "
                                    "deregistration delay")
                         .arg(where(), target, stateWords(*m_last), m_step.aws.targetGroupName())
                         .arg(delay);
    }
}

} // namespace hopscope

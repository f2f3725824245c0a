#include "HealthStyle.h"

#include "GraphStyle.h"

#include <QQmlEngine>

using hopscope::GraphFonts;
using hopscope::GraphStyle;
using hopscope::Health;

namespace {
// `Health.Down` etc. in QML: the model's enum itself (hopscope's Q_NAMESPACE), registered
// before any engine loads the module.
void registerHealth()
{
    qmlRegisterUncreatableMetaObject(hopscope::staticMetaObject, "Hopscope.Views", 1, 0, "Health",
        QStringLiteral("Health is an enum"));
}
} // namespace
Q_CONSTRUCTOR_FUNCTION(registerHealth)

HealthStyle::HealthStyle(QObject *parent)
    : QObject(parent)
{ }

QVariantList HealthStyle::states() const
{
    QVariantList out;
    for (Health h : GraphStyle::states()) {
        out.append(QVariant::fromValue(h));
    }
    return out;
}

int HealthStyle::smallPixelSize() const
{
    return GraphFonts::instance().smallPx;
}

QColor HealthStyle::colour(Health health, bool dark) const
{
    return GraphStyle::forDark(dark).healthColour(health);
}

QString HealthStyle::icon(Health health) const
{
    return GraphStyle::light().look(health).icon;
}

bool HealthStyle::hatched(Health health) const
{
    return GraphStyle::isHatched(health);
}

QString HealthStyle::label(Health health) const
{
    switch (health) {
    case Health::Drained:
        return tr("drained (safe to stop)");
    case Health::Conflict:
        return tr("conflict (sources disagree)");
    case Health::Stale:
        return tr("stale (hatched)");
    case Health::Unknown:
        return tr("no data yet (hatched)");
    default:
        return hopscope::healthName(health);
    }
}

QVariantList HealthStyle::trafficLegend(bool dark) const
{
    const GraphStyle s = GraphStyle::forDark(dark);
    const QString warning = QString::number(GraphStyle::TrafficWarningRatio * 100);
    const QString error = QString::number(GraphStyle::TrafficErrorRatio * 100);
    QVariantList out;
    for (GraphStyle::TrafficLevel level : GraphStyle::trafficLevels()) {
        const GraphStyle::TrafficLook look = s.trafficLook(level);
        QString text;
        switch (level) {
        case GraphStyle::TrafficLevel::Ok:
            text = tr("< %1 %").arg(warning);
            break;
        case GraphStyle::TrafficLevel::Warning:
            text = tr("%1–%2 %").arg(warning, error);
            break;
        case GraphStyle::TrafficLevel::Error:
            text = tr("≥ %1 % errors").arg(error);
            break;
        case GraphStyle::TrafficLevel::Idle:
            text = tr("idle");
            break;
        case GraphStyle::TrafficLevel::Unknown:
            text = tr("rate unknown (thin)");
            break;
        }
        out.append(QVariantMap { { QStringLiteral("icon"), look.icon },
            { QStringLiteral("colour"), look.colour }, { QStringLiteral("text"), text } });
    }
    out.append(QVariantMap { { QStringLiteral("icon"), QStringLiteral("━") },
        { QStringLiteral("colour"), s.line },
        { QStringLiteral("text"), tr("width: requests/s (log)") } });
    return out;
}

QVariantMap HealthStyle::palette(bool dark) const
{
    const GraphStyle s = GraphStyle::forDark(dark);
    return { { QStringLiteral("background"), s.background }, { QStringLiteral("box"), s.box },
        { QStringLiteral("border"), s.border }, { QStringLiteral("text"), s.text },
        { QStringLiteral("muted"), s.muted }, { QStringLiteral("line"), s.line },
        { QStringLiteral("focus"), s.focus } };
}

#include "GraphStyle.h"

#include <QFontDatabase>
#include <QGuiApplication>

#include <algorithm>
#include <cmath>

namespace hopscope {

GraphStyle GraphStyle::light()
{
    return { QColor(0xf4, 0xf5, 0xf7), QColor(Qt::white), QColor(0x9a, 0xa3, 0xae),
        QColor(0x1f, 0x24, 0x2b), QColor(0x5b, 0x64, 0x70), QColor(0x5b, 0x64, 0x70),
        QColor(0x1a, 0x5f, 0xd0), false };
}

GraphStyle GraphStyle::forDark(bool dark)
{
    if (!dark) {
        return light();
    }
    return { QColor(0x1d, 0x20, 0x26), QColor(0x2a, 0x2f, 0x37), QColor(0x5d, 0x66, 0x73),
        QColor(0xe6, 0xe9, 0xee), QColor(0x9a, 0xa3, 0xae), QColor(0x8b, 0x95, 0xa3),
        QColor(0x7f, 0xb4, 0xff), true };
}

GraphStyle::HealthLook GraphStyle::look(Health health) const
{
    // The state colours read on both the light and the dark box; the states without trusted
    // data take the palette's border colour and are hatched instead.
    QColor colour;
    switch (health) {
    case Health::Healthy:
        colour = QColor(0x2e, 0x9d, 0x58);
        break;
    case Health::Degraded:
        colour = QColor(0xc9, 0x8a, 0x00);
        break;
    case Health::Down:
        colour = QColor(0xd1, 0x3c, 0x3c);
        break;
    case Health::Draining:
        colour = QColor(0x3a, 0x7b, 0xd5);
        break;
    case Health::Drained:
        colour = QColor(0x2b, 0x5f, 0xa8);
        break;
    case Health::Maintenance:
        colour = QColor(0x7d, 0x6b, 0x57);
        break;
    case Health::Conflict:
        colour = QColor(0xa3, 0x47, 0xba);
        break;
    case Health::Stale:
    case Health::Unknown:
        colour = border;
        break;
    }
    return { colour, healthIcon(health), isHatched(health) };
}

const QList<Health> &GraphStyle::states()
{
    static const QList<Health> all { Health::Healthy, Health::Degraded, Health::Down,
        Health::Draining, Health::Drained, Health::Maintenance, Health::Conflict, Health::Stale,
        Health::Unknown };
    return all;
}

GraphStyle::TrafficLevel GraphStyle::trafficLevel(const EdgeTraffic &traffic)
{
    if (!traffic.known()) {
        return TrafficLevel::Unknown;
    }
    if (!traffic.errorRatio) {
        return TrafficLevel::Idle; // no requests in the window: no ratio to judge
    }
    if (*traffic.errorRatio >= TrafficErrorRatio) {
        return TrafficLevel::Error;
    }
    return *traffic.errorRatio >= TrafficWarningRatio ? TrafficLevel::Warning : TrafficLevel::Ok;
}

GraphStyle::TrafficLook GraphStyle::trafficLook(TrafficLevel level) const
{
    switch (level) {
    case TrafficLevel::Unknown:
        return { muted, QStringLiteral("?"), 1.8 };
    case TrafficLevel::Idle:
        return { line, QStringLiteral("○"), 1.8 };
    case TrafficLevel::Ok:
        return { healthColour(Health::Healthy), QStringLiteral("✔"), 1.8 };
    case TrafficLevel::Warning:
        return { healthColour(Health::Degraded), QStringLiteral("⚠"), 1.8 };
    case TrafficLevel::Error:
        return { healthColour(Health::Down), QStringLiteral("✖"), 1.8 };
    }
    return { muted, QStringLiteral("?"), 1.8 };
}

GraphStyle::TrafficLook GraphStyle::trafficLook(const EdgeTraffic &traffic) const
{
    TrafficLook look = trafficLook(trafficLevel(traffic));
    if (traffic.known()) {
        look.width = trafficWidth(*traffic.rps);
    }
    return look;
}

qreal GraphStyle::trafficWidth(double rps)
{
    const double decades = std::log10(1.0 + std::max(0.0, rps));
    return std::clamp<qreal>(
        MinTrafficWidth + TrafficWidthPerDecade * decades, MinTrafficWidth, MaxTrafficWidth);
}

const QList<GraphStyle::TrafficLevel> &GraphStyle::trafficLevels()
{
    static const QList<TrafficLevel> all { TrafficLevel::Ok, TrafficLevel::Warning,
        TrafficLevel::Error, TrafficLevel::Idle, TrafficLevel::Unknown };
    return all;
}

GraphFonts::GraphFonts()
{
    const QFont base = QGuiApplication::font();
    // The platform's smallest readable font, never under 9 pt; in pixels at 96 dpi, so the
    // tiles and the export (a QImage, 96 dpi) draw the same glyphs.
    const QFont platformSmall = QFontDatabase::systemFont(QFontDatabase::SmallestReadableFont);
    const qreal pt = platformSmall.pointSizeF() > 0 ? platformSmall.pointSizeF()
                                                    : platformSmall.pixelSize() * 72.0 / 96.0;
    smallPx = int(std::ceil(std::max<qreal>(9.0, pt) * 96.0 / 72.0));
    const auto make = [&](int px, bool bold, bool italic) {
        QFont f = base;
        f.setPixelSize(px);
        f.setBold(bold);
        f.setItalic(italic);
        return f;
    };
    title = make(std::max(15, smallPx + 3), true, false);
    subtitle = make(smallPx, false, false);
    detail = make(smallPx, false, true);
    chip = make(smallPx, false, false);
    chipBold = make(smallPx, true, false);
    chipItalic = make(smallPx, false, true);
    toggle = make(std::max(13, smallPx + 1), false, false);
    lbTitle = make(std::max(14, smallPx + 2), true, false);
    lbSub = make(smallPx, false, false);
    badge = make(smallPx, false, false);
}

const GraphFonts &GraphFonts::instance()
{
    static const GraphFonts fonts;
    return fonts;
}

} // namespace hopscope

#pragma once

#include "topology/EdgeTraffic.h"
#include "topology/Health.h"

#include <QColor>
#include <QFont>
#include <QString>

namespace hopscope {

// The one style table of the graph: the palette (light and dark) and, per health state, its
// colour, icon and whether it is hatched (the data cannot be trusted: stale or no data yet).
// The screen tiles, PNG/SVG export, the DOT export's colours and QML's legend (through the
// HealthStyle singleton) all read it. Value type; Gui only.
struct GraphStyle
{
    QColor background, box, border, text, muted, line, focus;
    bool dark = false;

    static GraphStyle light();
    static GraphStyle forDark(bool dark);

    struct HealthLook
    {
        QColor colour;
        QString icon;
        bool hatched = false;
    };
    HealthLook look(Health health) const;
    QColor healthColour(Health health) const { return look(health).colour; }
    // One rule for boxes, LB pills and chips, on screen and in every export.
    static bool isHatched(Health health)
    {
        return health == Health::Stale || health == Health::Unknown;
    }
    // The hatching's ink: muted at this opacity, lines 9 px apart at 45°.
    static constexpr qreal HatchAlpha = 0.18;
    static constexpr qreal HatchStep = 9;
    // Every state, in the legend's order.
    static const QList<Health> &states();
    // Traffic history (sparklines, the traffic chart): request-rate ink and error-ratio ink.
    QColor rateInk() const { return dark ? QColor(0x7f, 0xb4, 0xff) : QColor(0x1a, 0x5f, 0xd0); }
    QColor errorInk() const { return dark ? QColor(0xff, 0x8a, 0x80) : QColor(0xc6, 0x28, 0x28); }

    // Traffic emphasis. An edge's error ratio against these thresholds: below Warning ok,
    // from Warning warning, from Error error; each with a colour and an icon (never colour
    // alone). No requests (ratio null) is neutral; an unknown rate is drawn as unknown: the
    // normal thin edge in the muted colour with "?", never as zero traffic.
    static constexpr double TrafficWarningRatio = 0.01; // 1 %
    static constexpr double TrafficErrorRatio = 0.05; // 5 %
    enum class TrafficLevel { Unknown, Idle, Ok, Warning, Error };
    static TrafficLevel trafficLevel(const EdgeTraffic &traffic);
    struct TrafficLook
    {
        QColor colour;
        QString icon;
        qreal width = 1.8; // the pen's width in content pixels
    };
    TrafficLook trafficLook(const EdgeTraffic &traffic) const;
    TrafficLook trafficLook(TrafficLevel level) const; // width: the normal edge's
    // Width by request rate, log scale: MinTrafficWidth at 0 rps, +TrafficWidthPerDecade per
    // factor 10, clamped to MaxTrafficWidth (reached at ~30k rps).
    static constexpr qreal MinTrafficWidth = 1.5;
    static constexpr qreal TrafficWidthPerDecade = 1.9;
    static constexpr qreal MaxTrafficWidth = 10;
    static qreal trafficWidth(double rps);
    // Every traffic level, in the legend's order.
    static const QList<TrafficLevel> &trafficLevels();
};

// The graph's fonts, made once. Every label is at least the platform's smallest readable font
// and never below 9 pt (12 px at 96 dpi): chips, badges, subtitles and LB lines all use it.
struct GraphFonts
{
    QFont title, subtitle, detail, chip, chipBold, chipItalic, toggle, lbTitle, lbSub, badge;
    int smallPx = 12;
    static const GraphFonts &instance();

private:
    GraphFonts();
};

} // namespace hopscope

#include "TargetTableDelegate.h"

#include "topology/TargetRowModel.h"
#include "topology/TruthMatrixModel.h"

#include "Sparkline.h"

#include <QPainter>
#include <QPixmap>

namespace hopscope {

namespace {
constexpr int SwatchSize = 12;
constexpr int TintAlpha = 70;
constexpr int SparklineWidth = 64; // 15 minutes at a glance beside the number
} // namespace

TargetTableDelegate::TargetTableDelegate(QObject *parent)
    : QStyledItemDelegate(parent)
    , m_style(GraphStyle::light())
{ }

QPixmap TargetTableDelegate::swatch(Health health) const
{
    QPixmap pixmap(SwatchSize, SwatchSize);
    pixmap.fill(Qt::transparent);
    QPainter p(&pixmap);
    p.setRenderHint(QPainter::Antialiasing);
    const GraphStyle::HealthLook look = m_style.look(health);
    const QRectF r(1, 1, SwatchSize - 2, SwatchSize - 2);
    p.setPen(QPen(look.colour, 1.2));
    p.setBrush(look.hatched ? QBrush(look.colour, Qt::BDiagPattern) : QBrush(look.colour));
    p.drawRoundedRect(r, 2.5, 2.5);
    return pixmap;
}

QRectF TargetTableDelegate::sparklineRect(
    const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    if (!m_history || index.column() != m_rateColumn
        || index.data(TargetRowModel::TrafficKeyRole).toString().isEmpty()) {
        return {};
    }
    const QRect r = option.rect.adjusted(3, 3, -3, -3);
    if (r.width() < SparklineWidth + 24 || r.height() < 8) {
        return {};
    }
    return QRectF(r.left(), r.top(), SparklineWidth, r.height());
}

QSize TargetTableDelegate::sizeHint(
    const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QSize size = QStyledItemDelegate::sizeHint(option, index);
    if (m_history && index.column() == m_rateColumn) {
        size.rwidth() += SparklineWidth + 8;
    }
    return size;
}

void TargetTableDelegate::paint(
    QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QStyledItemDelegate::paint(painter, option, index);
    const QRectF spark = sparklineRect(option, index);
    if (spark.isEmpty()) {
        return;
    }
    const QList<TrafficHistory::Sample> samples
        = m_history->series(index.data(TargetRowModel::TrafficKeyRole).toString());
    if (samples.size() < 2) {
        return;
    }
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    Sparkline::paint(*painter, spark, samples, Sparkline::Metric::Rps,
        SparklineStyle::from(m_style, m_style.rateInk()));
    painter->restore();
}

QColor TargetTableDelegate::tint(const QModelIndex &index) const
{
    if (!m_tintDisagreements || !index.data(TargetRowModel::DisagreesRole).toBool()) {
        return Qt::transparent;
    }
    const QVariant says = index.data(TruthMatrixModel::SaysRole);
    QColor colour;
    if (says.isValid()) {
        switch (TruthMatrixModel::Says(says.toInt())) {
        case TruthMatrixModel::Says::InRotation:
            colour = m_style.healthColour(Health::Healthy);
            break;
        case TruthMatrixModel::Says::OutOfRotation:
        case TruthMatrixModel::Says::Absent:
            colour = m_style.healthColour(Health::Down);
            break;
        default:
            return Qt::transparent;
        }
    } else if (index.column() == TruthMatrixModel::VerdictColumn
        || index.column() == TruthMatrixModel::WhyColumn) {
        // The verdict and why.
        colour = m_style.healthColour(Health::Conflict);
    } else {
        return Qt::transparent;
    }
    colour.setAlpha(TintAlpha);
    return colour;
}

void TargetTableDelegate::initStyleOption(
    QStyleOptionViewItem *option, const QModelIndex &index) const
{
    QStyledItemDelegate::initStyleOption(option, index);
    const QVariant health = index.data(TargetRowModel::HealthRole);
    if (health.isValid()) {
        option->icon = QIcon(swatch(health.value<Health>()));
        option->decorationSize = QSize(SwatchSize, SwatchSize);
        option->features |= QStyleOptionViewItem::HasDecoration;
    }
    const QColor t = tint(index);
    if (t.alpha() > 0) {
        option->backgroundBrush = t;
    }
}

} // namespace hopscope

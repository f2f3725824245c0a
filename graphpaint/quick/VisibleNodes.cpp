#include "VisibleNodes.h"

VisibleNodes::VisibleNodes(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    setDynamicSortFilter(true);
    connect(this, &QAbstractItemModel::rowsInserted, this, &VisibleNodes::countChanged);
    connect(this, &QAbstractItemModel::rowsRemoved, this, &VisibleNodes::countChanged);
    connect(this, &QAbstractItemModel::modelReset, this, &VisibleNodes::countChanged);
    connect(this, &QAbstractProxyModel::sourceModelChanged, this, [this] {
        m_rectRole = sourceModel() ? sourceModel()->roleNames().key("rect", -1) : -1;
        invalidateFilter();
    });
}

void VisibleNodes::setViewport(const QRectF &viewport)
{
    if (viewport == m_viewport) {
        return;
    }
    m_viewport = viewport;
    Q_EMIT viewportChanged();
    // Re-filter only when the view leaves the padded area last filtered against: most pan
    // frames then cost nothing here.
    if (!m_filtered.contains(viewport) || m_filtered.width() > 4 * std::max<qreal>(1, viewport.width())) {
        const qreal mx = viewport.width() / 2;
        const qreal my = viewport.height() / 2;
        m_filtered = viewport.adjusted(-mx, -my, mx, my);
        invalidateFilter();
    }
}

bool VisibleNodes::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (m_rectRole < 0 || m_filtered.isEmpty()) {
        return false;
    }
    const QRectF r = sourceModel()->index(sourceRow, 0, sourceParent).data(m_rectRole).toRectF();
    return r.intersects(m_filtered);
}

#pragma once

#include <QRectF>
#include <QSortFilterProxyModel>
#include <QtQml/qqmlregistration.h>

// The rows of the graph model whose rectangle meets the visible part of the canvas (plus a
// margin): the Repeater makes delegates only for those, so a 2,000-service graph costs the
// ~30 boxes on screen, and health changes to boxes off screen cost QML nothing. Panning inserts
// and removes rows at the edges (QSortFilterProxyModel's incremental filter), never a reset.
// GUI thread.
class VisibleNodes : public QSortFilterProxyModel
{
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(QRectF viewport READ viewport WRITE setViewport NOTIFY viewportChanged)
    Q_PROPERTY(int count READ count NOTIFY countChanged)

public:
    explicit VisibleNodes(QObject *parent = nullptr);

    QRectF viewport() const { return m_viewport; }
    void setViewport(const QRectF &viewport);
    int count() const { return rowCount(); }

Q_SIGNALS:
    void viewportChanged();
    void countChanged();

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QRectF m_viewport;
    QRectF m_filtered; // the padded rectangle last filtered against
    int m_rectRole = -1;
};

#pragma once

#include "GraphStyle.h"
#include "traffic/TrafficHistory.h"

#include <QStyledItemDelegate>

namespace hopscope {

// Draws the health of a target table or truth matrix cell as the graph does: the state's colour
// from GraphStyle as a swatch (hatched when the data cannot be trusted) beside the model's icon
// glyph and words, so colour is never the only signal. In the truth matrix, the cells of a row
// whose sources disagree are tinted by what each source says (serving / not serving) and the
// verdict and reason in the conflict colour. GUI thread.
class TargetTableDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    explicit TargetTableDelegate(QObject *parent = nullptr);
    void setStyle(const GraphStyle &style) { m_style = style; }
    const GraphStyle &style() const { return m_style; }
    // The truth matrix's tints (off for the target table, whose health swatch says enough).
    void setTintDisagreements(bool on) { m_tintDisagreements = on; }
    // The tint of a cell (transparent when none): what the truth matrix view paints behind it.
    QColor tint(const QModelIndex &index) const;
    // A sparkline of the request rate's history (TrafficKeyRole's series) beside the number in
    // `column`; none without a history. The history is the tracker's, which outlives no view.
    void setRateHistory(const TrafficHistory *history, int column)
    {
        m_history = history;
        m_rateColumn = column;
    }
    // Where the sparkline of a cell is drawn (empty: none), for tests.
    QRectF sparklineRect(const QStyleOptionViewItem &option, const QModelIndex &index) const;
    void paint(QPainter *painter, const QStyleOptionViewItem &option,
        const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

protected:
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override;

private:
    QPixmap swatch(Health health) const;

    GraphStyle m_style;
    bool m_tintDisagreements = false;
    const TrafficHistory *m_history = nullptr;
    int m_rateColumn = -1;
};

} // namespace hopscope

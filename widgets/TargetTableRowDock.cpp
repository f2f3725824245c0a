#include "TargetTableRowDock.h"

#include "GraphPane.h"
#include "TargetTableDelegate.h"
#include "topology/ServiceGraphModel.h"
#include "topology/TargetRowModel.h"
#include "topology/TargetTableFilter.h"

#include <QEvent>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QQuickItem>
#include <QScopedValueRollback>
#include <QTableView>
#include <QVBoxLayout>

#include <utility>

namespace hopscope {

TargetTableRowDock::TargetTableRowDock(const QString &title, TargetRowModel *model, QWidget *parent)
    : QDockWidget(title, parent)
    , m_model(model)
    , m_filter(new TargetTableFilter(this))
    , m_delegate(new TargetTableDelegate(this))
    , m_view(new QTableView)
    , m_layout(new QVBoxLayout)
{
    m_model->setParent(this);
    m_filter->setSourceModel(m_model);
    // A dock behind another tab stays "visible" (moved out of sight); raising its tab says so.
    connect(this, &QDockWidget::visibilityChanged, this, [this](bool visible) {
        if (visible) {
            applyPendingUpdate();
        }
    });
    auto *body = new QWidget(this);
    body->setLayout(m_layout);
    m_layout->setContentsMargins(4, 4, 4, 4);
    m_layout->addWidget(m_view);
    setWidget(body);

    m_view->setModel(m_filter);
    m_view->setItemDelegate(m_delegate);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(-1, Qt::AscendingOrder); // the model's order until a header is clicked
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setWordWrap(false);
    m_view->setAlternatingRowColors(true);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 8);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_view->horizontalHeader()->setHighlightSections(false);
    applyPalette();

    // Columns follow their contents (the visible rows) until the operator resizes one; a new
    // profile starts over. One update of the rows sends many signals (a run of inserts, a run of
    // changes, ...): they ask for one fit, done when the event loop next turns, and only while
    // the table is shown (a hidden QTableView measures every row: 10,000 of them in a fleet).
    m_view->horizontalHeader()->setResizeContentsPrecision(0); // the rows in view, not 1,000
    m_fitTimer.setSingleShot(true);
    m_fitTimer.setInterval(0);
    connect(&m_fitTimer, &QTimer::timeout, this, [this] {
        if (!m_userSized) {
            fitColumns();
        }
    });
    connect(m_model, &QAbstractItemModel::modelReset, this, [this] {
        m_userSized = false;
        requestFit();
    });
    const auto refit = [this] {
        if (!m_userSized) {
            requestFit();
        }
    };
    connect(m_model, &QAbstractItemModel::rowsInserted, this, refit);
    connect(m_model, &QAbstractItemModel::dataChanged, this, refit);
    connect(m_view->horizontalHeader(), &QHeaderView::sectionResized, this, [this](int section) {
        // (The last section stretches with the view: not the operator's doing.)
        if (!m_fitting && section != m_view->horizontalHeader()->count() - 1) {
            m_userSized = true;
        }
    });
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        if (m_syncing) {
            return;
        }
        const QString key = selectedKey();
        if (!key.isEmpty()) {
            Q_EMIT targetSelected(selectedService(), key);
        }
    });
}

void TargetTableRowDock::requestFit()
{
    m_fitPending = true;
    if (isVisible()) {
        m_fitTimer.start();
    }
}

void TargetTableRowDock::updateWhenShown(std::function<void()> update)
{
    // Behind another tab a dock stays visible, moved out of sight: its visible region is empty
    // (as is a hidden widget's).
    if (window()->isVisible() && visibleRegion().isEmpty()) {
        m_pendingUpdate = std::move(update);
        return;
    }
    m_pendingUpdate = nullptr;
    update();
}

void TargetTableRowDock::applyPendingUpdate()
{
    if (m_pendingUpdate) {
        const std::function<void()> update = std::exchange(m_pendingUpdate, nullptr);
        update();
        // Fitted before the first paint of the new rows, not a turn later (columns would show
        // at their header's width for a frame).
        if (m_fitPending && !m_userSized && !visibleRegion().isEmpty()) {
            fitColumns();
        }
    }
}

void TargetTableRowDock::showEvent(QShowEvent *event)
{
    QDockWidget::showEvent(event);
    applyPendingUpdate();
    if (m_fitPending) {
        m_fitTimer.start();
    }
}

void TargetTableRowDock::fitColumns()
{
    m_fitPending = false;
    m_fitTimer.stop();
    const QScopedValueRollback<bool> fitting(m_fitting, true);
    m_view->resizeColumnsToContents();
    QHeaderView *header = m_view->horizontalHeader();
    for (int c = 0; c < header->count(); ++c) {
        if (header->sectionSize(c) > MaxColumnWidth) {
            header->resizeSection(c, MaxColumnWidth);
        }
    }
}

QString TargetTableRowDock::selectedService() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.first().data(TargetRowModel::ServiceIdRole).toString();
}

QString TargetTableRowDock::selectedKey() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.first().data(TargetRowModel::TargetKeyRole).toString();
}

void TargetTableRowDock::selectTarget(const QString &serviceId, const QString &key)
{
    applyPendingUpdate(); // the task may be in an update kept while hidden
    if (serviceId == selectedService() && key == selectedKey()) {
        return;
    }
    m_syncing = true;
    const int sourceRow = m_model->rowOf(serviceId, key);
    const QModelIndex index
        = sourceRow < 0 ? QModelIndex() : m_filter->mapFromSource(m_model->index(sourceRow, 0));
    if (index.isValid()) {
        m_view->selectionModel()->setCurrentIndex(
            index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        m_view->scrollTo(index);
    } else {
        m_view->selectionModel()->clearSelection();
    }
    m_syncing = false;
}

void TargetTableRowDock::revealInGraph(
    GraphPane *graph, const ServiceGraphModel *model, const QString &serviceId)
{
    QQuickItem *root = graph ? graph->graphItem() : nullptr;
    const int row = model ? model->rowOf(serviceId) : -1;
    if (!root || row < 0) {
        return;
    }
    root->setProperty("currentRow", row);
    QMetaObject::invokeMethod(root, "reveal", Q_ARG(QVariant, row));
}

void TargetTableRowDock::applyPalette()
{
    m_delegate->setStyle(GraphStyle::forDark(palette().color(QPalette::Window).lightness() < 128));
}

void TargetTableRowDock::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange) {
        applyPalette();
        m_view->viewport()->update();
    }
    QDockWidget::changeEvent(event);
}

} // namespace hopscope

#include "CommandPalette.h"

#include <QAction>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace hopscope {

namespace {

QString withoutMnemonic(QString text)
{
    // "&Open Profile…" → "Open Profile…"; "&&" stays one ampersand.
    text.replace(QStringLiteral("&&"), QStringLiteral("\x01"));
    text.remove(QLatin1Char('&'));
    text.replace(QStringLiteral("\x01"), QStringLiteral("&"));
    return text;
}

// Score of one query word in `text` (both lower case); -1: absent.
int wordScore(const QString &word, const QString &text)
{
    const qsizetype at = text.indexOf(word);
    if (at >= 0) {
        const bool wordStart = at == 0 || !text.at(at - 1).isLetterOrNumber();
        return 100 + (wordStart ? 50 : 0) + int(word.size());
    }
    // A subsequence: "clstb" in "close tab"; fewer gaps score higher.
    qsizetype from = 0;
    int gaps = 0;
    for (const QChar c : word) {
        const qsizetype next = text.indexOf(c, from);
        if (next < 0) {
            return -1;
        }
        gaps += next > from ? 1 : 0;
        from = next + 1;
    }
    return std::max(1, 50 - 5 * gaps);
}

} // namespace

CommandPalette::CommandPalette(QWidget *window)
    : QFrame(window, Qt::Popup)
    , m_input(new QLineEdit(this))
    , m_list(new QTreeWidget(this))
{
    setObjectName(QStringLiteral("commandPalette"));
    setFrameShape(QFrame::StyledPanel);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(m_input);
    layout->addWidget(m_list);
    m_input->setPlaceholderText(tr("Type a command…"));
    m_input->setClearButtonEnabled(true);
    m_input->installEventFilter(this);
    m_list->setColumnCount(2);
    m_list->setHeaderHidden(true);
    m_list->setRootIsDecorated(false);
    m_list->setUniformRowHeights(true);
    m_list->setFocusPolicy(Qt::NoFocus);
    m_list->header()->setStretchLastSection(false);
    m_list->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_list->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    connect(m_input, &QLineEdit::textChanged, this, &CommandPalette::refilter);
    connect(m_input, &QLineEdit::returnPressed, this, &CommandPalette::triggerCurrent);
    connect(m_list, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem *item) {
        m_list->setCurrentItem(item);
        triggerCurrent();
    });
}

void CommandPalette::popup(QMenuBar *menuBar)
{
    m_entries.clear();
    collect(menuBar->actions(), QString());
    m_input->clear();
    refilter();
    QWidget *window = parentWidget();
    const int width = std::min(640, std::max(360, window->width() - 40));
    resize(width, std::min(420, std::max(240, window->height() / 2)));
    move(window->mapToGlobal(QPoint((window->width() - width) / 2, 40)));
    show();
    raise();
    activateWindow();
    m_input->setFocus();
}

void CommandPalette::collect(const QList<QAction *> &actions, const QString &prefix)
{
    for (QAction *a : actions) {
        if (a->isSeparator() || !a->isVisible()) {
            continue;
        }
        const QString text = withoutMnemonic(a->text());
        if (QMenu *menu = a->menu()) {
            collect(
                menu->actions(), prefix.isEmpty() ? text : prefix + QStringLiteral(" › ") + text);
            continue;
        }
        if (a->objectName() == u"commandPaletteAction" || text.isEmpty()) {
            continue;
        }
        m_entries.append({ a, prefix.isEmpty() ? text : prefix + QStringLiteral(" › ") + text });
    }
}

int CommandPalette::matchScore(const QString &query, const QString &text)
{
    const QString haystack = text.toLower();
    int total = 0;
    for (const QString &word : query.toLower().split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
        const int s = wordScore(word, haystack);
        if (s < 0) {
            return -1;
        }
        total += s;
    }
    return total;
}

void CommandPalette::refilter()
{
    struct Hit
    {
        int score;
        int order;
    };
    QList<Hit> hits;
    const QString query = m_input->text().trimmed();
    for (int i = 0; i < m_entries.size(); ++i) {
        if (!m_entries[i].action) {
            continue;
        }
        const int s = matchScore(query, m_entries[i].text);
        if (s >= 0) {
            hits.append({ s, i });
        }
    }
    std::stable_sort(
        hits.begin(), hits.end(), [](const Hit &a, const Hit &b) { return a.score > b.score; });
    m_list->clear();
    for (const Hit &h : hits) {
        QAction *a = m_entries[h.order].action;
        auto *item = new QTreeWidgetItem(
            m_list, { m_entries[h.order].text, a->shortcut().toString(QKeySequence::NativeText) });
        item->setData(0, Qt::UserRole, h.order);
        item->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
        item->setToolTip(0, a->toolTip());
        if (!a->isEnabled()) {
            item->setFlags(item->flags() & ~Qt::ItemIsEnabled);
        }
        if (a->isCheckable()) {
            item->setCheckState(0, a->isChecked() ? Qt::Checked : Qt::Unchecked);
        }
    }
    if (m_list->topLevelItemCount() > 0) {
        m_list->setCurrentItem(m_list->topLevelItem(0));
    }
}

QStringList CommandPalette::matches() const
{
    QStringList texts;
    for (int i = 0; i < m_list->topLevelItemCount(); ++i) {
        texts.append(m_list->topLevelItem(i)->text(0));
    }
    return texts;
}

bool CommandPalette::triggerCurrent()
{
    QTreeWidgetItem *item = m_list->currentItem();
    if (!item) {
        return false;
    }
    const QPointer<QAction> action = m_entries.value(item->data(0, Qt::UserRole).toInt()).action;
    if (!action || !action->isEnabled()) {
        return false;
    }
    hide();
    action->trigger();
    return true;
}

bool CommandPalette::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_input && event->type() == QEvent::KeyPress) {
        const auto *key = static_cast<QKeyEvent *>(event);
        const int rows = m_list->topLevelItemCount();
        const int row
            = m_list->currentItem() ? m_list->indexOfTopLevelItem(m_list->currentItem()) : -1;
        int next = row;
        switch (key->key()) {
        case Qt::Key_Down:
            next = row + 1;
            break;
        case Qt::Key_Up:
            next = row - 1;
            break;
        case Qt::Key_PageDown:
            next = row + 10;
            break;
        case Qt::Key_PageUp:
            next = row - 10;
            break;
        default:
            return QFrame::eventFilter(watched, event);
        }
        if (rows > 0) {
            m_list->setCurrentItem(m_list->topLevelItem(std::clamp(next, 0, rows - 1)));
        }
        return true;
    }
    return QFrame::eventFilter(watched, event);
}

} // namespace hopscope

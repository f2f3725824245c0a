#pragma once

#include <QFrame>
#include <QList>
#include <QPointer>

class QAction;
class QLineEdit;
class QTreeWidget;
class QMenuBar;

namespace hopscope {

// The command palette (Ctrl+K): every action of the window's menus by its menu path, filtered as
// the user types (substring, then fuzzy subsequence), with its shortcut; Enter triggers the
// current one, Escape closes. Rebuilt from the menus each time it opens, so actions added later
// (another tab's docks, an editor's menu items) are found too. GUI thread.
class CommandPalette : public QFrame
{
    Q_OBJECT
public:
    explicit CommandPalette(QWidget *window);

    // Collects the actions under `menuBar` (and the window's own actions), clears the query and
    // shows the palette at the top of the window with the input focused.
    void popup(QMenuBar *menuBar);

    QLineEdit *input() const { return m_input; }
    QTreeWidget *list() const { return m_list; }
    // The shown entries' texts ("View › Fit to View"), best match first.
    QStringList matches() const;
    // Triggers the current entry and closes; false when there is none or it is disabled.
    bool triggerCurrent();

    // How well `query` matches `text`: -1 when not at all; each word of the query must occur
    // (higher scores for whole-word and prefix hits) or appear as a subsequence (lower score).
    static int matchScore(const QString &query, const QString &text);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    struct Entry
    {
        QPointer<QAction> action;
        QString text; // menu path, without mnemonics
    };
    void collect(const QList<QAction *> &actions, const QString &prefix);
    void refilter();

    QLineEdit *m_input;
    QTreeWidget *m_list;
    QList<Entry> m_entries;
};

} // namespace hopscope

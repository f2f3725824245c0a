#pragma once

#include <QHash>
#include <QList>
#include <QString>
#include <QWidget>

class QLabel;
class QStackedWidget;
class QTreeWidget;
class QTreeWidgetItem;

namespace hopscope {

class ProfileDocument;
class ProfileField;
class ProfileFormPage;

// The profile editor's form: a tree of the profile's sections and elements (general, DNS,
// services, load balancers with routes, proxies, edges, SSH hosts, DNS update, Prometheus, TLS)
// and one page of fields per node, over a ProfileDocument. Every problem the document reports
// (ProfileStore::parse, the words of `profile check`) is shown at the field of its JSON path, or
// else at the nearest enclosing box or page, and the tree marks the pages that have problems.
// Rebuilt when the document's structure changes; GUI thread.
class ProfileForm : public QWidget
{
    Q_OBJECT
public:
    explicit ProfileForm(ProfileDocument *document, QWidget *parent = nullptr);

    ProfileField *field(const QString &path) const { return m_fields.value(path); }
    QList<ProfileField *> fields() const { return m_fields.values(); }
    QTreeWidget *navigation() const { return m_tree; }
    QString currentPage() const;
    // Where a problem at `path` is shown (a field's path or a page/box anchor), and the text
    // shown there.
    QString targetFor(const QString &path) const;
    QString shownAt(const QString &target) const;
    // Shows the page holding `path` (a field or anchor; else its nearest enclosing one) and
    // focuses the field. False when nothing in the form holds it.
    bool reveal(const QString &path);
    void rebuild();

private:
    ProfileFormPage *addPage(QTreeWidgetItem *parent, const QString &title, const QString &anchor);
    void buildSections();
    // An element's page under its section's tree item; null (after a note) when the element is
    // no object.
    ProfileFormPage *addElementPage(
        QTreeWidgetItem *section, const QString &array, qsizetype index);
    // ProfileForm.cpp: the general pages; ProfileFormSections.cpp: the arrays of elements.
    void buildServices();
    void buildLoadBalancers();
    void buildProxies();
    void buildEdges();
    void buildSshHosts();
    static QString at(const QString &arrayPath, qsizetype i);
    static QString key(const QString &parent, const char *name);
    void buildTls(ProfileFormPage *page, const QString &path, const QString &title);
    QStringList idsOf(const QString &arrayPath) const;
    QString elementTitle(const QString &arrayPath, qsizetype index) const;
    QString keychainIdFor(const QString &path) const;
    void refreshProblems();
    void refreshTitles();

    ProfileDocument *m_document;
    QTreeWidget *m_tree;
    QStackedWidget *m_stack;
    QList<ProfileFormPage *> m_pages;
    QHash<QString, ProfileField *> m_fields;
    QHash<QString, QLabel *> m_anchors;
    QHash<QString, int> m_pageOf; // field path or anchor → index in m_pages
    QHash<int, QTreeWidgetItem *> m_itemOf;
};

} // namespace hopscope

#pragma once

#include "ProfileFormFields.h"

#include <QHash>
#include <QList>
#include <QScrollArea>

#include <functional>

class QFormLayout;
class QGroupBox;
class QPushButton;
class QLabel;
class QVBoxLayout;

namespace hopscope {

class ProfileSecretField;

// One page of the profile editor's form (a section such as "DNS", or one element such as
// services[2]): a scrollable column of fields, optionally grouped in boxes for sub-objects and
// array elements (tls, routes[0], edges[3]). The page and each box show the problems reported
// at their own path ("anchors"), e.g. "edges[3]: goes from \"a\" to itself". Built by
// ProfileForm; GUI thread.
class ProfileFormPage : public QScrollArea
{
    Q_OBJECT
public:
    using KeychainIdFunction = std::function<QString(const QString &path)>;
    ProfileFormPage(ProfileDocument *document, const QString &title, const QString &anchor,
        KeychainIdFunction keychainId, QWidget *parent = nullptr);

    QString anchor() const { return m_anchor; }
    const QList<ProfileField *> &fields() const { return m_fields; }
    // Problem labels by path: the page's own anchor and those of its boxes.
    const QHash<QString, QLabel *> &anchors() const { return m_anchors; }

    ProfileTextField *addText(const QString &label, const QString &path, TextKind kind,
        const QString &placeholder = QString());
    ProfileBoolField *addBool(
        const QString &label, const QString &path, const QString &text, bool defaultValue);
    ProfileChoiceField *addChoice(
        const QString &label, const QString &path, const QStringList &choices);
    ProfileSecretField *addSecret(const QString &label, const QString &path, bool allowAgent);
    void addNote(const QString &text);
    QPushButton *addButton(const QString &text, const std::function<void()> &action);

    // Fields added after beginBox() go into a titled box with its own problem label for
    // `anchor` and, with a remove action, a "Remove" button; endBox() returns to the page.
    QGroupBox *beginBox(
        const QString &title, const QString &anchor, const std::function<void()> &remove = {});
    void endBox();

private:
    QLabel *problemLabel(const QString &anchor);
    void addRow(const QString &label, QWidget *field);

    ProfileDocument *m_document;
    QString m_anchor;
    KeychainIdFunction m_keychainId;
    QVBoxLayout *m_column;
    QFormLayout *m_pageForm;
    QFormLayout *m_form; // where rows go now: the page's or the open box's
    QList<ProfileField *> m_fields;
    QHash<QString, QLabel *> m_anchors;
};

} // namespace hopscope

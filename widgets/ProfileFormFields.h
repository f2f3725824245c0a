#pragma once

#include <QJsonValue>
#include <QString>
#include <QStringList>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QVBoxLayout;

namespace hopscope {

class ProfileDocument;

// One field of the profile editor's form, bound to one JSON path of the document (the path at
// which `profile check` reports its problems): shows the value, writes the user's edits back
// (only on user edits, never on load, so an untouched file stays as it was), and shows the
// problems reported at its path under the editor. Its editor widget's objectName is the path.
class ProfileField : public QWidget
{
    Q_OBJECT
public:
    ProfileField(ProfileDocument *document, const QString &path, QWidget *parent = nullptr);

    QString path() const { return m_path; }
    virtual QWidget *editor() const = 0;
    // Shows the value at path() in the document (no write-back).
    virtual void load() = 0;
    void setProblems(const QStringList &messages);
    QString problemText() const;
    bool isProblemShown() const;

protected:
    ProfileDocument *m_document;
    QString m_path;
    QVBoxLayout *m_layout;
    QLabel *m_problem;
    bool m_loading = false;
};

// How a text field writes what was typed: Text (empty: the key is removed), Required (empty
// stays "", so the problem says "is empty"), Number (whole numbers and decimals as JSON numbers,
// "quoted" text as a string, anything else as the string typed).
enum class TextKind { Text, Required, Number };

class ProfileTextField : public ProfileField
{
    Q_OBJECT
public:
    ProfileTextField(ProfileDocument *document, const QString &path, TextKind kind,
        const QString &placeholder = QString(), QWidget *parent = nullptr);
    QWidget *editor() const override;
    QLineEdit *lineEdit() const { return m_edit; }
    void load() override;
    // The text a value is shown as in a field of this kind.
    static QString display(const QJsonValue &value, TextKind kind);

protected:
    virtual void commit(const QString &text);
    void writeText(const QString &text);
    QLineEdit *m_edit;
    TextKind m_kind;
};

class ProfileBoolField : public ProfileField
{
    Q_OBJECT
public:
    ProfileBoolField(ProfileDocument *document, const QString &path, const QString &text,
        bool defaultValue, QWidget *parent = nullptr);
    QWidget *editor() const override;
    void load() override;

private:
    QCheckBox *m_box;
    bool m_default;
};

// A value from a list (editable: any text may be typed, and a value read from the file that is
// not in the list is shown as it is); empty removes the key.
class ProfileChoiceField : public ProfileField
{
    Q_OBJECT
public:
    ProfileChoiceField(ProfileDocument *document, const QString &path, const QStringList &choices,
        QWidget *parent = nullptr);
    QWidget *editor() const override;
    QComboBox *comboBox() const { return m_combo; }
    void load() override;

private:
    void commit(const QString &text);
    QComboBox *m_combo;
};

} // namespace hopscope

#pragma once

#include <QMainWindow>
#include <QMessageBox>

#include <functional>

class QLabel;
class QListWidget;
class QPlainTextEdit;
class QTabWidget;
class QTimer;

namespace hopscope {

class ProfileDocument;
class ProfileForm;

// The profile editor window: a form over the profile (ProfileForm) and its raw JSON, both over
// one ProfileDocument, so an edit in one tab shows in the other and keys the form does not know
// are kept. Problems are checked as the user types, in the words of `hopscope-cli profile
// check`, beside the field they concern and in a list below. New, Open, Save, Save As (atomic)
// and Close (asking about unsaved changes); emits saved(path) after each save. Secrets typed in
// go to the keychain, never into the file. GUI thread.
class ProfileEditor : public QMainWindow
{
    Q_OBJECT
public:
    explicit ProfileEditor(QWidget *parent = nullptr);
    ~ProfileEditor() override;

    // Opens an editor window on `path` (empty: a new profile) and calls onSaved after each
    // save; for the main window's "Edit Profile…" and "New Profile…".
    static ProfileEditor *open(
        QWidget *parent, const QString &path, const std::function<void(const QString &)> &onSaved);

    ProfileDocument *document() const { return m_document; }
    ProfileForm *form() const { return m_form; }
    QPlainTextEdit *jsonEdit() const { return m_json; }
    // The JSON tab's text, brought up to date first (it follows form edits only while shown).
    QString jsonText();
    QListWidget *problemList() const { return m_problems; }
    QTabWidget *tabs() const { return m_tabs; }

    void newProfile();
    bool openFile(const QString &path);
    bool save(); // Save As when the profile has no file yet
    bool saveAs(const QString &path = QString()); // empty: ask for one
    QString lastError() const { return m_lastError; }
    // The JSON tab's pending text goes to the document now (it otherwise waits for a pause).
    void applyJsonText();

    // Replace the questions asked (tests): save despite problems; what to do with unsaved
    // changes (Save, Discard or Cancel); where to Save As.
    using Confirm = std::function<bool(const QString &text)>;
    using UnsavedPrompt = std::function<QMessageBox::StandardButton()>;
    using PathPrompt = std::function<QString()>;
    void setConfirmation(Confirm confirm) { m_confirm = std::move(confirm); }
    void setUnsavedPrompt(UnsavedPrompt prompt) { m_unsavedPrompt = std::move(prompt); }
    void setSaveAsPrompt(PathPrompt prompt) { m_saveAsPrompt = std::move(prompt); }

Q_SIGNALS:
    void saved(const QString &path);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createActions();
    bool maybeKeepChanges(); // false: the user cancelled
    bool writeTo(const QString &path);
    void showJsonText();
    void refreshProblems();
    void refreshTitle();
    void fail(const QString &message);

    ProfileDocument *m_document;
    ProfileForm *m_form;
    QTabWidget *m_tabs;
    QPlainTextEdit *m_json;
    QLabel *m_jsonError;
    QListWidget *m_problems;
    QTimer *m_jsonTimer;
    bool m_showingText = false;
    bool m_jsonStale = false; // the form changed the document while the JSON tab was hidden
    QString m_shownText; // the JSON tab's text as last set from the document
    QString m_lastError;
    Confirm m_confirm;
    UnsavedPrompt m_unsavedPrompt;
    PathPrompt m_saveAsPrompt;
};

} // namespace hopscope

#include "ProfileEditor.h"

#include "ProfileDocument.h"
#include "ProfileForm.h"
#include "ProfileSecretField.h"

#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

namespace hopscope {

ProfileEditor::ProfileEditor(QWidget *parent)
    : QMainWindow(parent)
    , m_document(new ProfileDocument(this))
    , m_form(new ProfileForm(m_document))
    , m_tabs(new QTabWidget)
    , m_json(new QPlainTextEdit)
    , m_jsonError(new QLabel)
    , m_problems(new QListWidget)
    , m_jsonTimer(new QTimer(this))
{
    setObjectName(QStringLiteral("profileEditor"));
    setWindowFlag(Qt::Window);
    m_tabs->setObjectName(QStringLiteral("profileEditorTabs"));
    m_tabs->addTab(m_form, tr("&Form"));
    auto *jsonPage = new QWidget;
    auto *jsonLayout = new QVBoxLayout(jsonPage);
    m_json->setObjectName(QStringLiteral("profileJson"));
    m_json->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_json->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_jsonError->setObjectName(QStringLiteral("profileJsonError"));
    m_jsonError->setWordWrap(true);
    m_jsonError->setStyleSheet(QStringLiteral("color: #c62828;"));
    m_jsonError->hide();
    jsonLayout->addWidget(m_json);
    jsonLayout->addWidget(m_jsonError);
    m_tabs->addTab(jsonPage, tr("&JSON"));

    m_problems->setObjectName(QStringLiteral("profileProblems"));
    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(m_tabs);
    splitter->addWidget(m_problems);
    splitter->setStretchFactor(0, 1);
    splitter->setSizes({ 560, 110 });
    setCentralWidget(splitter);
    createActions();

    m_jsonTimer->setSingleShot(true);
    m_jsonTimer->setInterval(400);
    connect(m_jsonTimer, &QTimer::timeout, this, &ProfileEditor::applyJsonText);
    connect(m_json, &QPlainTextEdit::textChanged, this, [this] {
        if (!m_showingText) {
            m_jsonTimer->start();
        }
    });
    // Leaving the JSON tab carries its text to the form at once; the JSON tab is rewritten for
    // form edits when it is shown (not on every keystroke in the form).
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int index) {
        if (index == 0) {
            applyJsonText();
        } else if (m_jsonStale) {
            showJsonText();
        }
    });
    connect(m_document, &ProfileDocument::textRewritten, this, [this] {
        if (m_tabs->currentIndex() == 1) {
            showJsonText();
        } else {
            m_jsonStale = true;
        }
    });
    connect(m_document, &ProfileDocument::problemsChanged, this, &ProfileEditor::refreshProblems);
    connect(m_document, &ProfileDocument::modifiedChanged, this, &ProfileEditor::refreshTitle);
    connect(m_document, &ProfileDocument::pathChanged, this, &ProfileEditor::refreshTitle);
    connect(m_problems, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) {
        const QString path = item->data(Qt::UserRole).toString();
        if (path == u"$") {
            m_tabs->setCurrentIndex(1);
            m_json->setFocus();
        } else {
            m_tabs->setCurrentIndex(0);
            m_form->reveal(path);
        }
    });
    showJsonText();
    refreshProblems();
    refreshTitle();
    resize(900, 700);
}

ProfileEditor::~ProfileEditor() = default;

ProfileEditor *ProfileEditor::open(
    QWidget *parent, const QString &path, const std::function<void(const QString &)> &onSaved)
{
    auto *editor = new ProfileEditor(parent);
    editor->setAttribute(Qt::WA_DeleteOnClose);
    if (onSaved) {
        connect(editor, &ProfileEditor::saved, parent ? static_cast<QObject *>(parent) : editor,
            [onSaved](const QString &saved) { onSaved(saved); });
    }
    if (!path.isEmpty()) {
        editor->openFile(path);
    }
    editor->show();
    return editor;
}

void ProfileEditor::createActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QToolBar *bar = addToolBar(tr("File"));
    bar->setObjectName(QStringLiteral("profileEditorToolBar"));
    bar->setMovable(false);
    const auto add = [&](const QString &text, QKeySequence::StandardKey key, const char *name,
                         auto slot, bool onBar) {
        QAction *action = file->addAction(text, this, slot);
        action->setShortcut(key);
        action->setObjectName(QLatin1String(name));
        if (onBar) {
            bar->addAction(action);
        }
        return action;
    };
    add(
        tr("&New"), QKeySequence::New, "actionEditorNew",
        [this] {
            if (maybeKeepChanges()) {
                newProfile();
            }
        },
        true);
    add(
        tr("&Open…"), QKeySequence::Open, "actionEditorOpen",
        [this] {
            if (!maybeKeepChanges()) {
                return;
            }
            const QString path = QFileDialog::getOpenFileName(this, tr("Open Profile"),
                QFileInfo(m_document->path()).absolutePath(),
                tr("hopscope profiles (*.hopscope.json);;JSON (*.json);;All files (*)"));
            if (!path.isEmpty()) {
                openFile(path);
            }
        },
        true);
    add(
        tr("&Save"), QKeySequence::Save, "actionEditorSave", [this] { save(); }, true);
    add(
        tr("Save &As…"), QKeySequence::SaveAs, "actionEditorSaveAs", [this] { saveAs(); }, true);
    file->addSeparator();
    add(
        tr("&Close"), QKeySequence::Close, "actionEditorClose", [this] { close(); }, false);
}

void ProfileEditor::newProfile()
{
    m_jsonTimer->stop();
    m_document->newProfile();
    m_tabs->setCurrentIndex(0);
    statusBar()->showMessage(tr("New profile: fill in the fields marked in red."));
}

bool ProfileEditor::openFile(const QString &path)
{
    m_jsonTimer->stop();
    QString error;
    if (!m_document->load(path, &error)) {
        fail(tr("Cannot open %1: %2").arg(QFileInfo(path).fileName(), error));
        return false;
    }
    // The file's own text, as it is (load() keeps it unless it is rewritten).
    showJsonText();
    m_tabs->setCurrentIndex(m_document->jsonError().isEmpty() ? 0 : 1);
    statusBar()->showMessage(tr("Opened %1").arg(m_document->path()));
    return true;
}

void ProfileEditor::applyJsonText()
{
    m_jsonTimer->stop();
    const QString text = m_json->toPlainText();
    // Unchanged since the document set it (the widget may normalise line ends): nothing to do.
    if (text == m_shownText) {
        return;
    }
    m_shownText = text;
    m_document->setText(text);
    m_jsonError->setText(m_document->jsonError());
    m_jsonError->setVisible(!m_document->jsonError().isEmpty());
    m_tabs->setTabText(1, m_document->jsonError().isEmpty() ? tr("&JSON") : tr("&JSON (error)"));
}

QString ProfileEditor::jsonText()
{
    if (m_jsonStale) {
        showJsonText();
    }
    return m_json->toPlainText();
}

void ProfileEditor::showJsonText()
{
    m_jsonStale = false;
    if (m_json->toPlainText() == m_document->text()) {
        m_shownText = m_json->toPlainText();
        return;
    }
    m_showingText = true;
    m_json->setPlainText(m_document->text());
    m_shownText = m_json->toPlainText();
    m_showingText = false;
    m_jsonError->setText(m_document->jsonError());
    m_jsonError->setVisible(!m_document->jsonError().isEmpty());
}

void ProfileEditor::refreshProblems()
{
    m_problems->clear();
    for (const ProfileProblem &p : m_document->problems()) {
        auto *item = new QListWidgetItem(p.toString(), m_problems);
        item->setData(Qt::UserRole, p.path);
        item->setForeground(QColor(0xc6, 0x28, 0x28));
    }
    if (m_document->problems().isEmpty()) {
        auto *item = new QListWidgetItem(
            tr("No problems: `hopscope-cli profile check` accepts this profile."), m_problems);
        item->setFlags(Qt::NoItemFlags);
    }
    if (!m_document->jsonError().isEmpty() && m_jsonError->text() != m_document->jsonError()) {
        m_jsonError->setText(m_document->jsonError());
        m_jsonError->show();
    }
}

void ProfileEditor::refreshTitle()
{
    const QString name = m_document->value(QStringLiteral("name")).toString();
    const QString file
        = m_document->path().isEmpty() ? tr("not saved") : QFileInfo(m_document->path()).fileName();
    setWindowTitle(
        tr("%1 — %2[*] — Profile Editor").arg(name.isEmpty() ? tr("New Profile") : name, file));
    setWindowModified(m_document->isModified());
}

void ProfileEditor::fail(const QString &message)
{
    m_lastError = message;
    statusBar()->showMessage(message);
}

bool ProfileEditor::save()
{
    return m_document->path().isEmpty() ? saveAs() : writeTo(m_document->path());
}

bool ProfileEditor::saveAs(const QString &given)
{
    QString path = given;
    if (path.isEmpty()) {
        path = m_saveAsPrompt ? m_saveAsPrompt()
                              : QFileDialog::getSaveFileName(this, tr("Save Profile As"),
                                  m_document->path().isEmpty()
                                      ? QDir::homePath() + QStringLiteral("/profile.hopscope.json")
                                      : m_document->path(),
                                  tr("hopscope profiles (*.hopscope.json);;All files (*)"));
    }
    if (path.isEmpty()) {
        return false;
    }
    if (!path.endsWith(QLatin1String(".json"))) {
        path += QStringLiteral(".hopscope.json");
    }
    return writeTo(path);
}

bool ProfileEditor::writeTo(const QString &path)
{
    applyJsonText();
    m_lastError.clear();
    if (!m_document->jsonError().isEmpty()) {
        fail(tr("Not saved: the JSON has an error (%1).").arg(m_document->jsonError()));
        return false;
    }
    // A problem in a secret reference may be the secret itself (a short password typed where
    // its reference belongs): never into the file.
    for (const ProfileProblem &p : m_document->problems()) {
        if (qobject_cast<ProfileSecretField *>(m_form->field(p.path))) {
            fail(tr("Not saved: %1 is no secret reference (%2). Store the secret in the keychain "
                    "or give env:, file: or keychain:; a secret never goes into the file.")
                     .arg(p.path, p.message));
            m_tabs->setCurrentIndex(0);
            m_form->reveal(p.path);
            return false;
        }
    }
    const qsizetype problems = m_document->problems().size();
    if (problems > 0) {
        const QString text = tr("The profile has %n problem(s); hopscope cannot open it until "
                                "they are fixed. Save it anyway?",
            nullptr, int(problems));
        const bool yes = m_confirm
            ? m_confirm(text)
            : QMessageBox::question(this, tr("Save Profile"), text) == QMessageBox::Yes;
        if (!yes) {
            fail(tr("Not saved."));
            return false;
        }
    }
    QString error;
    if (!m_document->save(path, &error)) {
        fail(tr("Not saved: %1").arg(error));
        return false;
    }
    statusBar()->showMessage(tr("Saved %1").arg(m_document->path()));
    Q_EMIT saved(m_document->path());
    return true;
}

bool ProfileEditor::maybeKeepChanges()
{
    applyJsonText();
    if (!m_document->isModified()) {
        return true;
    }
    const QMessageBox::StandardButton answer = m_unsavedPrompt
        ? m_unsavedPrompt()
        : QMessageBox::question(this, tr("Unsaved Changes"),
            tr("The profile has unsaved changes. Save them?"),
            QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    if (answer == QMessageBox::Save) {
        return save();
    }
    return answer == QMessageBox::Discard;
}

void ProfileEditor::closeEvent(QCloseEvent *event)
{
    if (maybeKeepChanges()) {
        event->accept();
    } else {
        event->ignore();
    }
}

} // namespace hopscope

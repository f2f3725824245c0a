// The window: its tabs (one ClusterPage per open profile), opening, reloading and closing
// profiles, the status bar that follows the current tab, drops, and the current tab's accessors
// that the dialogs and the GUI tests use. The menus and Open Recent are in MainWindowMenus.cpp;
// each cluster's state and behaviour (sources, graph, docks, drains, export) lives in ClusterPage,
// the palette in CommandPalette, About in AboutDialog.
#include "MainWindow.h"

#include "AboutDialog.h"
#include "ClusterPage.h"
#include "CommandPalette.h"
#include "DetailsDock.h"
#include "DiscoverDialog.h"
#include "DrainDialog.h"
#include "GraphPane.h"
#include "RecentProfiles.h"
#include "TargetTableDock.h"
#include "TruthMatrixDock.h"
#include "profile/ProfileStore.h"
#include "topology/ServiceGraphModel.h"

#include <QAction>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QQuickWidget>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QUrl>

#include <utility>

namespace hopscope {

namespace {

QString canonical(const QString &path)
{
    const QFileInfo info(path);
    const QString c = info.canonicalFilePath();
    return c.isEmpty() ? info.absoluteFilePath() : c;
}

QList<QUrl> localFiles(const QMimeData *mime)
{
    QList<QUrl> files;
    if (mime && mime->hasUrls()) {
        for (const QUrl &url : mime->urls()) {
            if (url.isLocalFile()) {
                files.append(url);
            }
        }
    }
    return files;
}

} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_stack(new QStackedWidget(this))
    , m_placeholder(new QLabel(this))
    , m_tabs(new QTabWidget(this))
    , m_recent(new RecentProfiles(this))
    , m_sourcesLabel(new QLabel(this))
    , m_profileLabel(new QLabel(this))
{
    setWindowTitle(QStringLiteral("hopscope"));
    setAcceptDrops(true);
    m_placeholder->setObjectName(QStringLiteral("noProfile"));
    m_placeholder->setAlignment(Qt::AlignCenter);
    m_placeholder->setWordWrap(true);
    m_placeholder->setText(
        tr("<p>No cluster profile is open.</p><p>Open one with File → Open "
           "Profile… (%1), pick one from File → Open Recent, or drop a "
           "profile file here.</p>")
            .arg(QKeySequence(QKeySequence::Open).toString(QKeySequence::NativeText)));
    m_tabs->setObjectName(QStringLiteral("clusterTabs"));
    m_tabs->setDocumentMode(true);
    m_tabs->setTabsClosable(true);
    m_tabs->setMovable(true);
    m_stack->addWidget(m_placeholder);
    m_stack->addWidget(m_tabs);
    setCentralWidget(m_stack);
    statusBar()->addPermanentWidget(m_sourcesLabel);
    statusBar()->addPermanentWidget(m_profileLabel);
    m_profileLabel->setText(tr("no profile"));
    createMenus();
    // Queued: the change may come from one of the menu's own actions, which a rebuild deletes.
    connect(m_recent, &RecentProfiles::changed, this, &MainWindow::rebuildRecentMenu,
        Qt::QueuedConnection);
    connect(m_tabs, &QTabWidget::currentChanged, this, &MainWindow::onCurrentTabChanged);
    connect(m_tabs, &QTabWidget::tabCloseRequested, this, &MainWindow::closeTab);

    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("mainWindow/geometry")).toByteArray())) {
        resize(1200, 760);
    }
    onCurrentTabChanged();
    showStatus(tr("Ready"));
}

MainWindow::~MainWindow()
{
    // Pages stop their sources (and end their drain dialogs) before the widgets go.
    disconnect(m_tabs, nullptr, this, nullptr);
    while (m_tabs->count() > 0) {
        delete m_tabs->widget(0);
    }
}

int MainWindow::pageCount() const
{
    return m_tabs->count();
}

ClusterPage *MainWindow::page(int index) const
{
    return qobject_cast<ClusterPage *>(m_tabs->widget(index));
}

ClusterPage *MainWindow::currentPage() const
{
    return qobject_cast<ClusterPage *>(m_tabs->currentWidget());
}

ClusterPage *MainWindow::pageOf(const QString &path) const
{
    const QString wanted = canonical(path);
    for (int i = 0; i < m_tabs->count(); ++i) {
        if (canonical(page(i)->profilePath()) == wanted) {
            return page(i);
        }
    }
    return nullptr;
}

// clang-format off
GraphPane *MainWindow::graphPane() const { return currentPage() ? currentPage()->graphPane() : nullptr; }
ServiceGraphModel *MainWindow::graphModel() const { return currentPage() ? currentPage()->graphModel() : nullptr; }
ClusterMonitor *MainWindow::monitor() const { return currentPage() ? currentPage()->monitor() : nullptr; }
DetailsDock *MainWindow::detailsDock() const { return currentPage() ? currentPage()->detailsDock() : nullptr; }
TargetTableDock *MainWindow::targetTable() const { return currentPage() ? currentPage()->targetTable() : nullptr; }
TruthMatrixDock *MainWindow::truthMatrix() const { return currentPage() ? currentPage()->truthMatrix() : nullptr; }
QListView *MainWindow::eventLogView() const { return currentPage() ? currentPage()->eventLogView() : nullptr; }
TrafficTracker *MainWindow::trafficTracker() const { return currentPage() ? currentPage()->trafficTracker() : nullptr; }
QString MainWindow::currentProfilePath() const { return currentPage() ? currentPage()->profilePath() : QString(); }
QString MainWindow::sourceSummary() const { return currentPage() ? currentPage()->sourceSummary() : QString(); }
// clang-format on

const std::optional<ClusterProfile> &MainWindow::profile() const
{
    static const std::optional<ClusterProfile> none;
    return currentPage() ? currentPage()->profile() : none;
}

DrainDialog *MainWindow::openDrain(const QString &target, bool undrain)
{
    return currentPage() ? currentPage()->openDrain(target, undrain) : nullptr;
}

QMenu *MainWindow::showTaskMenu(const QString &target, const QPoint &globalPos)
{
    return currentPage() ? currentPage()->showTaskMenu(target, globalPos) : nullptr;
}

void MainWindow::reloadOpenDrains()
{
    if (ClusterPage *p = currentPage()) {
        p->reloadOpenDrains();
    }
}

bool MainWindow::dismissDrain(const QString &target)
{
    return currentPage() && currentPage()->dismissDrain(target);
}

void MainWindow::setDismissConfirmation(ConfirmFunction confirm)
{
    m_confirmDismiss = std::move(confirm);
    for (int i = 0; i < m_tabs->count(); ++i) {
        page(i)->setDismissConfirmation(m_confirmDismiss);
    }
}

bool MainWindow::exportGraph(const QString &path, QString *error)
{
    if (!currentPage()) {
        *error = tr("Nothing to export: open a profile first");
        return false;
    }
    return currentPage()->exportGraph(path, error);
}

void MainWindow::exportDialog()
{
    const QString profilePath = currentProfilePath();
    if (profilePath.isEmpty()) {
        showStatus(tr("Nothing to export: open a profile first"));
        return;
    }
    const QString base = QFileInfo(profilePath).absolutePath() + QLatin1Char('/')
        + QFileInfo(profilePath).completeBaseName().section(QLatin1Char('.'), 0, 0);
    const QString path
        = QFileDialog::getSaveFileName(this, tr("Export Graph"), base + QStringLiteral(".png"),
            tr("PNG image (*.png);;SVG drawing (*.svg);;Graphviz DOT (*.dot *.gv);;JSON (*.json)"));
    if (path.isEmpty()) {
        return;
    }
    QString error;
    if (exportGraph(path, &error)) {
        showStatus(tr("Exported %1").arg(QDir::toNativeSeparators(path)));
    } else {
        QMessageBox::warning(this, tr("Export failed"), error);
    }
}

void MainWindow::openDialog()
{
    const QString current = currentProfilePath();
    const QString start = current.isEmpty() ? QDir::homePath() : QFileInfo(current).absolutePath();
    const QStringList paths = QFileDialog::getOpenFileNames(this, tr("Open Cluster Profile"), start,
        tr("hopscope profiles (*.hopscope.json);;JSON (*.json);;All files (*)"));
    for (const QString &path : paths) {
        openProfile(path);
    }
}

DiscoverDialog *MainWindow::openDiscoverDialog()
{
    auto *dialog = new DiscoverDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &DiscoverDialog::profileSaved, this,
        [this](const QString &path) { reloadProfile(path); });
    dialog->show();
    return dialog;
}

bool MainWindow::loadProfile(const QString &path, bool quiet, ClusterProfile *profile)
{
    const ProfileLoadResult result = ProfileStore::load(path);
    if (result.ok()) {
        m_lastError.clear();
        *profile = *result.profile;
        return true;
    }
    QStringList lines;
    for (const ProfileProblem &p : result.problems) {
        lines.append(p.toString());
    }
    const QString file = QFileInfo(path).fileName();
    m_lastError = lines.size() == 1
        ? tr("%1 has 1 problem").arg(file)
        : tr("%1 has %2 problems").arg(file, QString::number(lines.size()));
    showStatus(m_lastError);
    if (!quiet) {
        QMessageBox box(QMessageBox::Warning, tr("Cannot open profile"),
            m_lastError + tr("; the open tabs are unchanged."), QMessageBox::Ok, this);
        box.setDetailedText(lines.join(QLatin1Char('\n')));
        box.setInformativeText(lines.mid(0, 8).join(QLatin1Char('\n'))
            + (lines.size() > 8 ? QStringLiteral("\n…") : QString()));
        box.exec();
    }
    return false;
}

bool MainWindow::openProfile(const QString &path, bool quiet, LivePolling polling)
{
    if (ClusterPage *open = pageOf(path)) {
        m_lastError.clear();
        m_tabs->setCurrentWidget(open);
        showStatus(tr("%1 is already open").arg(QFileInfo(path).fileName()));
        return true;
    }
    ClusterProfile profile;
    if (!loadProfile(path, quiet, &profile)) {
        return false;
    }
    addPage(profile, path, polling, -1);
    return true;
}

bool MainWindow::reloadProfile(const QString &path)
{
    ClusterPage *old = pageOf(path);
    if (!old) {
        return openProfile(path);
    }
    ClusterProfile profile;
    if (!loadProfile(path, false, &profile)) {
        return false;
    }
    const int index = m_tabs->indexOf(old);
    closeTab(index);
    addPage(profile, path, LivePolling::On, index);
    return true;
}

ClusterPage *MainWindow::addPage(
    const ClusterProfile &profile, const QString &path, LivePolling polling, int index)
{
    auto *page = new ClusterPage;
    page->setDismissConfirmation(m_confirmDismiss);
    // Into its tab first: the graph's QML loads once the widget sits in its final window.
    index = m_tabs->insertTab(index, page, profile.name);
    m_tabs->setTabToolTip(index, QDir::toNativeSeparators(QFileInfo(path).absoluteFilePath()));
    page->graphPane()->load();
    // A profile file dropped on the graph opens like one dropped anywhere on the window.
    page->graphPane()->quickWidget()->installEventFilter(this);
    connect(page, &ClusterPage::statusChanged, this, [this, page](const QString &text) {
        if (page == currentPage()) {
            showStatus(text);
        }
    });
    connect(page, &ClusterPage::sourcesChanged, this, [this, page] {
        if (page == currentPage()) {
            updateSourcesLabel();
        }
    });
    connect(page->graphModel(), &ServiceGraphModel::trafficEmphasisChanged, this, [this, page] {
        if (page == currentPage()) {
            const QSignalBlocker block(m_trafficAction);
            m_trafficAction->setChecked(page->graphModel()->trafficEmphasis());
        }
    });
    page->open(profile, path, polling == LivePolling::On);
    page->restoreLayout();
    m_recent->add(page->profilePath());
    m_tabs->setCurrentWidget(page);
    onCurrentTabChanged(); // also when it was the first tab (already current)
    return page;
}

bool MainWindow::closeTab(int index)
{
    ClusterPage *p = page(index);
    if (!p) {
        return false;
    }
    const QString name = p->profile() ? p->profile()->name : QString();
    p->saveLayout();
    p->stop(); // the sources stop now, not when the event loop deletes the page
    m_tabs->removeTab(index);
    p->deleteLater();
    showStatus(tr("Closed %1").arg(name));
    return true;
}

int MainWindow::openUrls(const QList<QUrl> &urls)
{
    int opened = 0;
    for (const QUrl &url : urls) {
        if (url.isLocalFile() && openProfile(url.toLocalFile())) {
            ++opened;
        }
    }
    return opened;
}

void MainWindow::onCurrentTabChanged()
{
    ClusterPage *p = currentPage();
    m_stack->setCurrentWidget(p ? static_cast<QWidget *>(m_tabs) : m_placeholder);
    for (QAction *a : std::as_const(m_dockActions)) {
        m_viewMenu->removeAction(a);
    }
    m_dockActions.clear();
    if (p) {
        for (QDockWidget *dock : p->docks()) {
            m_dockActions.append(dock->toggleViewAction());
        }
        m_viewMenu->addActions(m_dockActions);
    }
    {
        const QSignalBlocker block(m_trafficAction);
        m_trafficAction->setChecked(p && p->graphModel()->trafficEmphasis());
    }
    if (p && p->profile()) {
        setWindowTitle(tr("%1 — hopscope").arg(p->profile()->name));
        m_profileLabel->setText(p->profileSummary());
        showStatus(p->statusText());
    } else {
        setWindowTitle(QStringLiteral("hopscope"));
        m_profileLabel->setText(tr("no profile"));
    }
    updateSourcesLabel();
}

void MainWindow::updateSourcesLabel()
{
    ClusterPage *p = currentPage();
    m_sourcesLabel->setText(p ? p->sourceSummary() : QString());
    m_sourcesLabel->setToolTip(p ? p->sourceErrors() : QString());
}

void MainWindow::focusTargetFilter()
{
    TargetTableDock *table = targetTable();
    if (!table) {
        showStatus(tr("Open a profile first"));
        return;
    }
    table->show();
    table->raise();
    table->textFilter()->setFocus(Qt::ShortcutFocusReason);
    table->textFilter()->selectAll();
}

CommandPalette *MainWindow::openCommandPalette()
{
    if (!m_palette) {
        m_palette = new CommandPalette(this);
    }
    m_palette->popup(menuBar());
    return m_palette;
}

AboutDialog *MainWindow::openAbout()
{
    auto *about = new AboutDialog(this);
    about->setAttribute(Qt::WA_DeleteOnClose);
    about->show();
    return about;
}

void MainWindow::showStatus(const QString &text)
{
    statusBar()->showMessage(text);
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (!localFiles(event->mimeData()).isEmpty()) {
        event->acceptProposedAction();
    }
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QList<QUrl> files = localFiles(event->mimeData());
    if (!files.isEmpty()) {
        event->acceptProposedAction();
        openUrls(files);
    }
}

bool MainWindow::eventFilter(QObject *watched, QEvent *event)
{
    // The graph's QQuickWidget takes drag events for QML; profile files are the window's.
    switch (event->type()) {
    case QEvent::DragEnter:
    case QEvent::DragMove:
        if (!localFiles(static_cast<QDropEvent *>(event)->mimeData()).isEmpty()) {
            static_cast<QDropEvent *>(event)->acceptProposedAction();
            return true;
        }
        break;
    case QEvent::Drop:
        if (!localFiles(static_cast<QDropEvent *>(event)->mimeData()).isEmpty()) {
            dropEvent(static_cast<QDropEvent *>(event));
            return true;
        }
        break;
    default:
        break;
    }
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    for (int i = 0; i < m_tabs->count(); ++i) {
        page(i)->saveLayout();
    }
    QSettings settings;
    settings.setValue(QStringLiteral("mainWindow/geometry"), saveGeometry());
    event->accept();
}

} // namespace hopscope

#include "DiscoverDialog.h"

#include "discover/DiscoveryRun.h"
#include "discover/DiscoverySave.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFontDatabase>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace hopscope {

namespace {
QPlainTextEdit *listEdit(const QString &placeholder, QWidget *parent)
{
    auto *edit = new QPlainTextEdit(parent);
    edit->setPlaceholderText(placeholder);
    edit->setTabChangesFocus(true);
    edit->setLineWrapMode(QPlainTextEdit::NoWrap);
    edit->setFixedHeight(edit->fontMetrics().lineSpacing() * 3 + 12);
    return edit;
}

QStringList lines(const QPlainTextEdit *edit)
{
    QStringList out;
    for (const QString &l : edit->toPlainText().split(u'\n')) {
        if (!l.trimmed().isEmpty()) {
            out.append(l.trimmed());
        }
    }
    return out;
}
} // namespace

DiscoverDialog::DiscoverDialog(QWidget *parent)
    : QDialog(parent)
    , m_run(new DiscoveryRun(this))
    , m_runtimes(listEdit(tr("tcp:10.0.0.5:9999 or unix:/run/haproxy/admin.sock"), this))
    , m_statsUrls(listEdit(tr("http://10.0.0.5:8404/stats;csv"), this))
    , m_envoys(listEdit(tr("http://10.0.1.12:19000"), this))
    , m_dnsNames(listEdit(tr("user.corp.internal  or  NAME:A|AAAA|SRV  or  NAME:A:PORT"), this))
    , m_dnsServer(new QLineEdit(this))
    , m_name(new QLineEdit(this))
    , m_timeout(new QSpinBox(this))
    , m_progress(new QProgressBar(this))
    , m_status(new QLabel(this))
    , m_report(new QPlainTextEdit(this))
{
    setWindowTitle(tr("New Profile from Endpoints"));
    m_dnsServer->setPlaceholderText(tr("IP:PORT of the DNS server to ask (port 53 by default)"));
    m_name->setPlaceholderText(tr("discovered"));
    m_timeout->setRange(1, DiscoveryRequest::MaxTimeoutMs / 1000);
    m_timeout->setValue(DiscoveryRequest::DefaultTimeoutMs / 1000);
    m_timeout->setSuffix(tr(" s"));
    m_timeout->setToolTip(tr("Hard stop for asking every endpoint"));

    auto *form = new QFormLayout;
    form->addRow(tr("HAProxy &runtime APIs:"), m_runtimes);
    form->addRow(tr("HAProxy &stats pages:"), m_statsUrls);
    form->addRow(tr("&Envoy admin APIs:"), m_envoys);
    form->addRow(tr("DNS &names:"), m_dnsNames);
    form->addRow(tr("DNS ser&ver:"), m_dnsServer);
    form->addRow(tr("Profile na&me:"), m_name);
    form->addRow(tr("&Timeout:"), m_timeout);

    m_progress->setTextVisible(true);
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_report->setReadOnly(true);
    m_report->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    m_report->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_report->setPlaceholderText(
        tr("What the endpoints say appears here: what was found, and what could not be inferred "
           "(callers of load-balanced services, path rules) for you to add."));
    m_report->setMinimumHeight(180);

    auto *buttons = new QDialogButtonBox(this);
    m_discover = buttons->addButton(tr("&Discover"), QDialogButtonBox::ActionRole);
    m_cancel = buttons->addButton(tr("&Cancel"), QDialogButtonBox::RejectRole);
    m_save = buttons->addButton(tr("Save &As…"), QDialogButtonBox::AcceptRole);
    m_close = buttons->addButton(QDialogButtonBox::Close);
    m_discover->setDefault(true);
    m_save->setEnabled(false);
    m_cancel->setEnabled(false);
    connect(m_discover, &QPushButton::clicked, this, &DiscoverDialog::discover);
    connect(m_cancel, &QPushButton::clicked, this, &DiscoverDialog::cancel);
    connect(m_save, &QPushButton::clicked, this, &DiscoverDialog::saveAs);
    connect(m_close, &QPushButton::clicked, this, &DiscoverDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_progress);
    layout->addWidget(m_status);
    layout->addWidget(m_report, 1);
    layout->addWidget(buttons);
    resize(720, 640);

    connect(m_run, &DiscoveryRun::progress, this, [this](int done, int total, const QString &what) {
        m_progress->setRange(0, std::max(1, total));
        m_progress->setValue(done);
        m_progress->setFormat(tr("%1 of %2").arg(done).arg(total));
        if (done > 0) {
            setStatus(tr("answered or failed: %1").arg(what));
        }
    });
    connect(m_run, &DiscoveryRun::finished, this, &DiscoverDialog::onFinished);
    connect(m_run, &DiscoveryRun::cancelled, this, [this] {
        setRunning(false);
        setStatus(tr("Cancelled; nothing was written."));
    });
    m_savePath = [](QWidget *parentWidget, const QString &suggested) {
        return QFileDialog::getSaveFileName(parentWidget, tr("Save Discovered Profile"), suggested,
            tr("hopscope profiles (*.hopscope.json)"));
    };
}

DiscoverDialog::~DiscoverDialog() = default;

bool DiscoverDialog::isRunning() const
{
    return m_run->isRunning();
}

QString DiscoverDialog::reportText() const
{
    return m_report->toPlainText();
}

QString DiscoverDialog::statusText() const
{
    return m_status->text();
}

void DiscoverDialog::setStatus(const QString &text, bool error)
{
    m_status->setText(text);
    m_status->setStyleSheet(
        error ? QStringLiteral("color: palette(highlight); font-weight: bold") : QString());
}

void DiscoverDialog::setRunning(bool running)
{
    m_discover->setEnabled(!running);
    m_cancel->setEnabled(running);
    for (QWidget *w : std::initializer_list<QWidget *> {
             m_runtimes, m_statsUrls, m_envoys, m_dnsNames, m_dnsServer, m_name, m_timeout }) {
        w->setEnabled(!running);
    }
    m_save->setEnabled(
        !running && m_result && m_result->anyAnswered() && !m_result->profile.services.isEmpty());
}

void DiscoverDialog::discover()
{
    DiscoveryRequest request;
    QString why;
    bool ok = true;
    for (const QString &l : lines(m_runtimes)) {
        ok = ok && request.addHaproxyRuntime(l, &why);
    }
    for (const QString &l : lines(m_statsUrls)) {
        ok = ok && request.addHaproxyStatsUrl(l, &why);
    }
    for (const QString &l : lines(m_envoys)) {
        ok = ok && request.addEnvoyAdmin(l, &why);
    }
    for (const QString &l : lines(m_dnsNames)) {
        ok = ok && request.addDnsName(l, &why);
    }
    if (ok && !m_dnsServer->text().trimmed().isEmpty()) {
        ok = request.setDnsServer(m_dnsServer->text(), &why);
    }
    if (ok) {
        why = request.incomplete();
        ok = why.isEmpty();
    }
    if (!ok) {
        // The options' wording is the CLI's; the fields carry the same values.
        setStatus(why.replace(QStringLiteral("--haproxy-stats"), tr("HAProxy stats page"))
                      .replace(QStringLiteral("--haproxy"), tr("HAProxy runtime API"))
                      .replace(QStringLiteral("--envoy"), tr("Envoy admin API"))
                      .replace(QStringLiteral("--dns-server"), tr("DNS server"))
                      .replace(QStringLiteral("--dns"), tr("DNS name")),
            true);
        return;
    }
    request.name = m_name->text().trimmed();
    request.timeoutMs = m_timeout->value() * 1000;
    m_result.reset();
    m_report->clear();
    setRunning(true);
    setStatus(tr("Asking %n endpoint(s)…", nullptr, request.endpointCount()));
    m_run->start(request);
}

void DiscoverDialog::cancel()
{
    m_run->cancel();
}

void DiscoverDialog::onFinished(const DiscoveryResult &result)
{
    m_result = result;
    m_report->setPlainText(result.reportText());
    setRunning(false);
    if (!result.anyAnswered()) {
        setStatus(tr("No endpoint answered; check the addresses (details below)."), true);
    } else if (result.profile.services.isEmpty()) {
        setStatus(tr("The endpoints answered but listed no service."), true);
    } else {
        setStatus(tr("Found %n service(s). Save the profile to open it.", nullptr,
            int(result.profile.services.size())));
    }
    Q_EMIT discoveryFinished();
}

void DiscoverDialog::saveAs()
{
    if (!m_result || m_result->profile.services.isEmpty()) {
        return;
    }
    const QString base
        = m_result->profile.name.isEmpty() ? QStringLiteral("discovered") : m_result->profile.name;
    QString file;
    for (const QChar c : base) {
        file.append(c.isLetterOrNumber() || c == u'-' || c == u'_' ? c : QLatin1Char('-'));
    }
    const QString path
        = m_savePath(this, QDir::home().filePath(file + QStringLiteral(".hopscope.json")));
    if (path.isEmpty()) {
        return;
    }
    // The save dialog has asked before replacing an existing file.
    QString error;
    if (!saveDiscoveredProfile(m_result->profile, path, true, &error)) {
        setStatus(tr("Not saved: %1").arg(error), true);
        return;
    }
    setStatus(tr("Saved %1").arg(QDir::toNativeSeparators(path)));
    Q_EMIT profileSaved(path);
    accept();
}

void DiscoverDialog::reject()
{
    m_run->cancel();
    QDialog::reject();
}

} // namespace hopscope

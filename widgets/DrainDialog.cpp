#include "DrainDialog.h"

#include "DetailsDockTraffic.h"
#include "ops/UndoDescription.h"
#include "topology/ClusterMonitor.h"
#include "traffic/TrafficTracker.h"

#include <QApplication>
#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace hopscope {

namespace {
QString countText(qint64 n, const QString &what)
{
    if (n < 0) {
        return QObject::tr("— (no %1 layer)").arg(what);
    }
    return QString::number(n);
}
} // namespace

DrainDialog::DrainDialog(
    ClusterMonitor *monitor, AuditLog *audit, const QString &target, Mode mode, QWidget *parent)
    : QDialog(parent)
    , m_controller(new DrainController(monitor, audit, this))
    , m_monitor(monitor)
    , m_target(target)
    , m_mode(mode)
    , m_pages(new QStackedWidget(this))
    , m_planHeader(new QLabel(this))
    , m_planSteps(new QListWidget(this))
    , m_capacity(new QLabel(this))
    , m_refusal(new QLabel(this))
    , m_force(new QCheckBox(tr("&Force: drain it even though it is the last healthy target"), this))
    , m_confirmLabel(new QLabel(this))
    , m_confirm(new QLineEdit(this))
    , m_progressSteps(new QListWidget(this))
    , m_lbCount(new QLabel(this))
    , m_sidecarCount(new QLabel(this))
    , m_dnsCount(new QLabel(this))
    , m_status(new QLabel(this))
    , m_safeBanner(new QLabel(this))
    , m_primary(new QPushButton(this))
    , m_undo(new QPushButton(tr("&Undo"), this))
    , m_close(new QPushButton(tr("&Close"), this))
{
    setWindowTitle(mode == Mode::Drain ? tr("Drain %1").arg(target) : tr("Undrain %1").arg(target));
    setObjectName(QStringLiteral("drainDialog"));
    resize(620, 520);

    // Page 1: the plan and its confirmation.
    auto *planPage = new QWidget(this);
    auto *planLayout = new QVBoxLayout(planPage);
    m_planHeader->setWordWrap(true);
    m_planHeader->setTextFormat(Qt::RichText);
    planLayout->addWidget(m_planHeader);
    auto *stepsLabel = new QLabel(tr("&Steps, in order:"), planPage);
    stepsLabel->setBuddy(m_planSteps);
    planLayout->addWidget(stepsLabel);
    m_planSteps->setWordWrap(true);
    m_planSteps->setAccessibleName(tr("Drain steps"));
    planLayout->addWidget(m_planSteps, 1);
    m_capacity->setWordWrap(true);
    planLayout->addWidget(m_capacity);
    m_refusal->setWordWrap(true);
    m_refusal->setStyleSheet(QStringLiteral("color: #b3261e; font-weight: bold"));
    planLayout->addWidget(m_refusal);
    planLayout->addWidget(m_force);
    m_confirmLabel->setWordWrap(true);
    m_confirmLabel->setBuddy(m_confirm);
    planLayout->addWidget(m_confirmLabel);
    m_confirm->setAccessibleName(tr("Confirmation"));
    planLayout->addWidget(m_confirm);
    m_pages->addWidget(planPage);

    // Page 2: progress, countdown, safe, undo.
    auto *progressPage = new QWidget(this);
    auto *progressLayout = new QVBoxLayout(progressPage);
    progressLayout->addWidget(new QLabel(tr("Steps (each verified on the next poll):"), progressPage));
    m_progressSteps->setWordWrap(true);
    m_progressSteps->setAccessibleName(tr("Drain progress"));
    progressLayout->addWidget(m_progressSteps, 1);
    auto *counts = new QFormLayout;
    counts->addRow(tr("Load balancer sessions · requests:"), m_lbCount);
    counts->addRow(tr("Sidecar connections:"), m_sidecarCount);
    counts->addRow(tr("DNS caches may still hold it for:"), m_dnsCount);
    progressLayout->addLayout(counts);
    m_status->setWordWrap(true);
    progressLayout->addWidget(m_status);
    m_safeBanner->setWordWrap(true);
    m_safeBanner->setVisible(false);
    m_safeBanner->setStyleSheet(QStringLiteral("background: #e6f4ea; color: #1e6b34; padding: 8px; font-weight: bold"));
    progressLayout->addWidget(m_safeBanner);
    m_pages->addWidget(progressPage);

    auto *buttons = new QDialogButtonBox(this);
    buttons->addButton(m_primary, QDialogButtonBox::AcceptRole);
    buttons->addButton(m_undo, QDialogButtonBox::ActionRole);
    buttons->addButton(m_close, QDialogButtonBox::RejectRole);
    m_undo->setVisible(false);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_pages, 1);
    layout->addWidget(buttons);

    connect(m_primary, &QPushButton::clicked, this, &DrainDialog::start);
    connect(m_close, &QPushButton::clicked, this, &DrainDialog::reject);
    connect(m_undo, &QPushButton::clicked, this, [this] {
        m_undo->setEnabled(false);
        m_safeBanner->setVisible(false);
        m_progressSteps->addItem(tr("Undo: restoring every step, in reverse order…"));
        m_controller->undo();
    });
    connect(m_confirm, &QLineEdit::textChanged, this, &DrainDialog::updatePrimary);
    connect(m_force, &QCheckBox::toggled, this, [this] { showPlan(); });
    connect(m_controller, &DrainController::stepStarted, this, &DrainDialog::onStepStarted);
    connect(m_controller, &DrainController::stepFinished, this, &DrainDialog::onStepFinished);
    connect(m_controller, &DrainController::verified, this, &DrainDialog::onVerified);
    connect(m_controller, &DrainController::countdownChanged, this, &DrainDialog::onCountdown);
    connect(m_controller, &DrainController::stateChanged, this, &DrainDialog::onState);
    connect(m_controller, &DrainController::messageChanged, m_status, &QLabel::setText);
    connect(m_controller, &DrainController::safeToStop, this, [this] {
        m_safeBanner->setText(tr("✔ %1 is safe to stop: no sessions, no connections, and no DNS cache "
                                 "can still hold it.").arg(m_target));
        m_safeBanner->setVisible(true);
        QApplication::alert(this);
        Q_EMIT finishedDraining(true);
    });
    connect(m_controller, &DrainController::timedOut, this, [this](const QStringList &holding) {
        m_status->setText(tr("Not safe yet, still holding: %1").arg(holding.join(QStringLiteral("; "))));
        Q_EMIT finishedDraining(false);
    });
    connect(m_controller, &DrainController::failed, this, [this](const QString &reason) {
        const QStringList maybe = m_controller->uncertainLayers();
        m_status->setText(maybe.isEmpty()
                ? tr("✖ Failed: %1").arg(reason)
                : tr("✖ Failed: %1\nMay have happened (sent, no answer): %2. Undo puts it back "
                     "idempotently and checks it on the servers.")
                      .arg(reason, maybe.join(QStringLiteral(", "))));
        m_undo->setVisible(!m_controller->doneSteps().isEmpty());
        m_undo->setEnabled(true);
        if (!maybe.isEmpty()) {
            m_undo->setText(tr("&Undo (incl. may-have-happened)"));
        }
    });
    connect(m_controller, &DrainController::undoFinished, this, [this](bool ok, const QString &message) {
        m_progressSteps->addItem((ok ? QStringLiteral("✔ ") : QStringLiteral("✖ ")) + message);
        m_status->setText(ok ? tr("Undone: %1 is back in rotation on every layer.").arg(m_target) : message);
        m_undo->setEnabled(!ok);
    });

    if (m_mode == Mode::Undrain) {
        QString why;
        if (!m_controller->loadFromAudit(m_target, &why)) {
            m_planHeader->setText(tr("<b>Nothing to undo for %1.</b>").arg(m_target.toHtmlEscaped()));
            m_refusal->setText(why);
            m_primary->setText(tr("Undrain"));
            m_primary->setEnabled(false);
            m_force->setVisible(false);
            m_confirmLabel->setVisible(false);
            m_confirm->setVisible(false);
            return;
        }
        m_planHeader->setText(tr("<b>Undrain %1</b>: put it back on every layer a drain took it out of.")
                                  .arg(m_target.toHtmlEscaped()));
        const QStringList maybe = m_controller->uncertainLayers();
        for (const DrainStep &s : m_controller->doneSteps()) {
            m_planSteps->addItem(maybe.contains(DrainStep::kindName(s.kind))
                    ? tr("%1 — may have happened (sent, outcome never recorded): put back "
                         "idempotently")
                          .arg(undoDescription(s))
                    : undoDescription(s));
        }
        m_primary->setText(tr("&Undrain"));
        m_force->setVisible(false);
        m_confirmLabel->setVisible(false);
        m_confirm->setVisible(false);
        return;
    }
    showPlan();
}

DrainDialog::~DrainDialog() = default;

void DrainDialog::showPlan()
{
    const DrainPlan plan = m_controller->makePlan(
        m_target, m_force->isChecked() ? DrainForce::LastHealthy : DrainForce::No);
    m_planHeader->setText(tr("<b>Drain %1</b> in profile <i>%2</i>. %3")
                              .arg(plan.target.toHtmlEscaped(), plan.profileName.toHtmlEscaped(),
                                   plan.expectedText.toHtmlEscaped()));
    m_planSteps->clear();
    for (int i = 0; i < plan.steps.size(); ++i) {
        const DrainStep &s = plan.steps[i];
        QString text = QStringLiteral("%1. %2").arg(i + 1).arg(s.description);
        if (!s.note.isEmpty()) {
            text += QStringLiteral("\n    ") + s.note;
        }
        m_planSteps->addItem(text);
    }
    QStringList capacity;
    for (const DrainCapacity &c : plan.capacity) {
        capacity.append(c.text);
    }
    capacity.append(plan.notes);
    m_capacity->setText(capacity.join(QLatin1Char('\n')));
    m_refusal->setText(plan.refusal);
    m_force->setVisible(plan.lastHealthy);
    const QString required = m_controller->requiredConfirmation();
    m_confirmLabel->setVisible(!required.isEmpty() && plan.canExecute());
    m_confirm->setVisible(!required.isEmpty() && plan.canExecute());
    m_confirmLabel->setText(tr("Type the target's address, <b>%1</b>, to &confirm:").arg(required.toHtmlEscaped()));
    m_primary->setText(tr("&Drain"));
    updatePrimary();
}

void DrainDialog::updatePrimary()
{
    if (m_mode == Mode::Undrain) {
        return;
    }
    const DrainPlan &plan = m_controller->plan();
    const QString required = m_controller->requiredConfirmation();
    m_primary->setEnabled(plan.canExecute() && (required.isEmpty() || m_confirm->text().trimmed() == required));
    m_primary->setDefault(m_primary->isEnabled());
}

void DrainDialog::start()
{
    m_primary->setEnabled(false);
    m_pages->setCurrentIndex(1);
    m_countdown.reset();
    showCounts();
    m_sidecarCount->setText(tr("…"));
    m_dnsCount->setText(tr("…"));
    if (m_mode == Mode::Undrain) {
        m_progressSteps->addItem(tr("Undo: restoring every step, in reverse order…"));
        m_controller->undo();
        return;
    }
    const QString required = m_controller->requiredConfirmation();
    if (!m_controller->confirm(required.isEmpty() ? QString() : m_confirm->text().trimmed())) {
        m_status->setText(tr("Not confirmed; nothing changed."));
        return;
    }
    m_controller->execute();
}

void DrainDialog::onStepStarted(int index, const QString &description)
{
    m_progressSteps->addItem(QStringLiteral("… %1. %2").arg(index + 1).arg(description));
}

void DrainDialog::onStepFinished(int index, bool ok, const QString &message)
{
    // A step that succeeded was just reported as verified; only failures add a line.
    if (!ok) {
        m_progressSteps->addItem(QStringLiteral("✖ %1. %2").arg(index + 1).arg(message));
    }
}

void DrainDialog::onVerified(int index, const QString &observation)
{
    m_progressSteps->addItem(tr("✔ %1. verified: %2").arg(index + 1).arg(observation));
    m_progressSteps->scrollToBottom();
}

void DrainDialog::onCountdown(const DrainCountdown &c)
{
    m_countdown = c;
    showCounts();
}

void DrainDialog::setTrafficTracker(TrafficTracker *tracker)
{
    m_traffic = tracker;
    if (tracker) {
        connect(tracker, &TrafficTracker::sampled, this, [this] {
            if (m_pages->currentIndex() == 1) {
                showCounts();
            }
        });
    }
}

QString DrainDialog::rateText() const
{
    if (!m_traffic || !m_monitor) {
        return tr("rate unknown");
    }
    // The target's rate in every service that has it as a task (usually one); a part unknown
    // makes the sum unknown, not smaller.
    std::optional<double> total;
    for (const ServiceNode &s : m_monitor->topology().services) {
        for (const TargetNode &t : s.targets) {
            if (t.key != m_target) {
                continue;
            }
            const QList<TrafficHistory::Sample> h
                = m_traffic->history().series(TrafficTracker::targetKey(s.id, t.key));
            if (h.isEmpty()) {
                return tr("rate unknown (not measured)");
            }
            if (!h.last().rps) {
                return tr("rate %1").arg(DetailsDockTraffic::unknownText(h.last().status));
            }
            total = total.value_or(0) + *h.last().rps;
        }
    }
    return total ? DetailsDockTraffic::number(Sparkline::Metric::Rps, *total)
                 : tr("rate unknown (not measured)");
}

void DrainDialog::showCounts()
{
    const QString rate = rateText();
    if (!m_countdown) {
        m_lbCount->setText(tr("… · %1").arg(rate));
        return;
    }
    const DrainCountdown &c = *m_countdown;
    m_lbCount->setText(
        QStringLiteral("%1 · %2").arg(countText(c.lbSessions, tr("load balancer")), rate));
    m_sidecarCount->setText(countText(c.sidecarConnections, tr("sidecar")));
    m_dnsCount->setText(c.dnsStaleSecondsLeft < 0 ? tr("— (no DNS layer)")
                                                  : tr("%n s", nullptr, int(c.dnsStaleSecondsLeft)));
}

void DrainDialog::onState(DrainController::State state)
{
    const bool running = state == DrainController::State::Running || state == DrainController::State::Watching
                         || state == DrainController::State::Undoing;
    const bool drained = state == DrainController::State::Safe || state == DrainController::State::TimedOut
                         || state == DrainController::State::Watching;
    m_undo->setVisible(m_mode == Mode::Drain && (drained || state == DrainController::State::Failed));
    m_undo->setEnabled(!running || state == DrainController::State::Watching);
    m_close->setText(running ? tr("&Stop watching") : tr("&Close"));
}

void DrainDialog::reject()
{
    if (m_controller->state() == DrainController::State::Running
        || m_controller->state() == DrainController::State::Undoing) {
        // A step is in flight: closing now would leave a layer half-changed without a verdict.
        m_status->setText(tr("A step is in progress; wait for it to be verified (or fail) before closing."));
        return;
    }
    m_controller->cancel();
    QDialog::reject();
}

QString DrainDialog::planText() const
{
    QStringList lines{m_planHeader->text()};
    for (int i = 0; i < m_planSteps->count(); ++i) {
        lines.append(m_planSteps->item(i)->text());
    }
    lines.append(m_capacity->text());
    lines.append(m_refusal->text());
    return lines.join(QLatin1Char('\n'));
}

QString DrainDialog::countdownText() const
{
    return QStringLiteral("lb=%1 sidecar=%2 dns=%3").arg(m_lbCount->text(), m_sidecarCount->text(), m_dnsCount->text());
}

QString DrainDialog::statusText() const
{
    QStringList lines;
    for (int i = 0; i < m_progressSteps->count(); ++i) {
        lines.append(m_progressSteps->item(i)->text());
    }
    lines.append(m_status->text());
    if (m_safeBanner->isVisible()) {
        lines.append(m_safeBanner->text());
    }
    return lines.join(QLatin1Char('\n'));
}

} // namespace hopscope

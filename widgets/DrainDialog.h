#pragma once

#include "ops/DrainController.h"

#include <QDialog>
#include <QPointer>

#include <optional>

class QCheckBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QStackedWidget;

namespace hopscope {

class TrafficTracker;

// The guided drain of one target: the plan (steps per layer, capacity left, expected wait, any
// refusal) with its confirmation, then the progress (each step and its verification by
// observation, live countdowns of LB sessions, sidecar connections and the DNS stale window),
// "safe to stop", and Undo. Beside the sessions, the target's request rate from a
// TrafficTracker's history, falling to 0 as it drains ("3 · 4.2 rps" → "0 · 0 rps"). Drives a
// DrainController it owns; fully keyboard operable. GUI thread.
class DrainDialog : public QDialog
{
    Q_OBJECT
public:
    enum class Mode { Drain, Undrain };
    DrainDialog(ClusterMonitor *monitor, AuditLog *audit, const QString &target, Mode mode,
                QWidget *parent = nullptr);
    ~DrainDialog() override;

    DrainController *controller() const { return m_controller; }
    // Where the countdown reads the target's request rate (may be null: shown as unknown).
    void setTrafficTracker(TrafficTracker *tracker);
    QString rateText() const; // "4.2 rps", "0 rps", "rate unknown (first poll)"
    // Test hooks: what the dialog shows.
    QString planText() const;
    QString countdownText() const;
    QString statusText() const;
    QLineEdit *confirmationEdit() const { return m_confirm; }
    QPushButton *primaryButton() const { return m_primary; }
    QPushButton *undoButton() const { return m_undo; }

Q_SIGNALS:
    void finishedDraining(bool safe);

protected:
    void reject() override;

private:
    void showPlan();
    void updatePrimary();
    void start();
    void onStepStarted(int index, const QString &description);
    void onStepFinished(int index, bool ok, const QString &message);
    void onVerified(int index, const QString &observation);
    void onCountdown(const DrainCountdown &c);
    void onState(DrainController::State state);
    void showCounts();

    DrainController *m_controller;
    ClusterMonitor *m_monitor;
    QPointer<TrafficTracker> m_traffic;
    std::optional<DrainCountdown> m_countdown; // the last one; none before the watch
    QString m_target;
    Mode m_mode;
    QStackedWidget *m_pages;
    QLabel *m_planHeader;
    QListWidget *m_planSteps;
    QLabel *m_capacity;
    QLabel *m_refusal;
    QCheckBox *m_force;
    QLabel *m_confirmLabel;
    QLineEdit *m_confirm;
    QListWidget *m_progressSteps;
    QLabel *m_lbCount;
    QLabel *m_sidecarCount;
    QLabel *m_dnsCount;
    QLabel *m_status;
    QLabel *m_safeBanner;
    QPushButton *m_primary;
    QPushButton *m_undo;
    QPushButton *m_close;
};

} // namespace hopscope

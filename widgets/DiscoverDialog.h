#pragma once

#include "discover/ProfileDiscovery.h"

#include <QDialog>

#include <functional>
#include <optional>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace hopscope {

class DiscoveryRun;

// File → New Profile from Endpoints…: fields for the endpoints (HAProxy runtime APIs and stats
// pages, Envoy admin APIs, DNS names and the server to ask), Discover runs a DiscoveryRun (the
// sources on the event loop, the builder off the GUI thread) with progress and Cancel, shows
// what was found and what could not be inferred, and Save As… writes the profile
// (saveDiscoveredProfile: validated, atomic) and emits profileSaved() for the window to open it.
// Non-modal; GUI thread.
class DiscoverDialog : public QDialog
{
    Q_OBJECT
public:
    explicit DiscoverDialog(QWidget *parent = nullptr);
    ~DiscoverDialog() override;

    // Fields, one endpoint a line (tests fill them like a user).
    QPlainTextEdit *haproxyRuntimeEdit() const { return m_runtimes; }
    QPlainTextEdit *haproxyStatsEdit() const { return m_statsUrls; }
    QPlainTextEdit *envoyEdit() const { return m_envoys; }
    QPlainTextEdit *dnsNamesEdit() const { return m_dnsNames; }
    QLineEdit *dnsServerEdit() const { return m_dnsServer; }
    QLineEdit *nameEdit() const { return m_name; }
    QSpinBox *timeoutSpin() const { return m_timeout; }
    QPushButton *discoverButton() const { return m_discover; }
    QPushButton *cancelButton() const { return m_cancel; }
    QPushButton *saveButton() const { return m_save; }

    bool isRunning() const;
    const std::optional<DiscoveryResult> &result() const { return m_result; }
    QString reportText() const;
    QString statusText() const;

    // Where Save As… writes: a QFileDialog (which asks before replacing a file) unless replaced
    // (tests). An empty path cancels.
    using SavePathFunction = std::function<QString(QWidget *parent, const QString &suggested)>;
    void setSavePathFunction(SavePathFunction f) { m_savePath = std::move(f); }

    void discover();
    void cancel();
    void saveAs();

Q_SIGNALS:
    void profileSaved(const QString &path);
    void discoveryFinished();

protected:
    void reject() override;

private:
    void onFinished(const DiscoveryResult &result);
    void setRunning(bool running);
    void setStatus(const QString &text, bool error = false);

    DiscoveryRun *m_run;
    QPlainTextEdit *m_runtimes;
    QPlainTextEdit *m_statsUrls;
    QPlainTextEdit *m_envoys;
    QPlainTextEdit *m_dnsNames;
    QLineEdit *m_dnsServer;
    QLineEdit *m_name;
    QSpinBox *m_timeout;
    QProgressBar *m_progress;
    QLabel *m_status;
    QPlainTextEdit *m_report;
    QPushButton *m_discover;
    QPushButton *m_cancel;
    QPushButton *m_save;
    QPushButton *m_close;
    std::optional<DiscoveryResult> m_result;
    SavePathFunction m_savePath;
};

} // namespace hopscope

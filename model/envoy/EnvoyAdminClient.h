#pragma once

#include "core/SourceError.h"

#include <QDateTime>
#include <QObject>
#include <QPointer>
#include <QUrl>

#include <memory>

class QNetworkAccessManager;

namespace hopscope {

struct HttpFetchResult;
class TlsContext;

enum class EnvoyAdminOperation { HealthcheckFail, HealthcheckOk, DrainListeners };

// POST /drain_listeners parameters (docs/PROTOCOLS.md §1.8).
struct EnvoyDrainOptions
{
    enum class Mode { Graceful, Immediate };
    enum class Scope { AllListeners, InboundOnly };

    Mode mode = Mode::Graceful;
    Scope scope = Scope::AllListeners;
    bool skipExit = false; // keep listeners open when the drain window ends (needs Graceful)
};

// What one on-demand admin call came back with. `ok` means HTTP 200 with Envoy's "OK" body;
// the caller still verifies the effect by observation on the next poll.
struct EnvoyOperationResult
{
    quint64 id = 0;
    EnvoyAdminOperation operation = EnvoyAdminOperation::HealthcheckFail;
    QUrl url;
    bool ok = false;
    int httpStatus = 0;
    QString body; // first 512 bytes of the reply, trimmed
    SourceError error; // kind None when ok
    QDateTime finishedAt;
};

// On-demand mutations of one Envoy admin endpoint: /healthcheck/fail, /healthcheck/ok and
// /drain_listeners, as POSTs with an empty body. Lives on the GUI thread; every call is async,
// returns an id at once and ends with exactly one operationFinished() carrying that id.
// Each call goes through HttpFetch: a hard total deadline (not an idle timeout: a reply that keeps
// trickling bytes is cut at the deadline) and a byte cap on the reply (an endless body is cut at
// the cap).
class EnvoyAdminClient : public QObject
{
    Q_OBJECT

public:
    EnvoyAdminClient(QString name, QUrl adminUrl, QNetworkAccessManager *nam = nullptr,
        QObject *parent = nullptr);
    ~EnvoyAdminClient() override;

    static constexpr qint64 DefaultMaxReplyBytes = 64 * 1024; // Envoy answers "OK\n"

    void setTimeoutMs(int ms) { m_timeoutMs = ms; }
    int timeoutMs() const { return m_timeoutMs; }
    void setMaxReplyBytes(qint64 bytes) { m_maxReplyBytes = bytes; }
    qint64 maxReplyBytes() const { return m_maxReplyBytes; }
    QUrl adminUrl() const { return m_adminUrl; }
    // The profile's "tls" for an https:// admin URL (ClusterMonitor::tlsContext of the sidecar).
    void setTls(TlsContext *tls);

    quint64 healthcheckFail();
    quint64 healthcheckOk();
    quint64 drainListeners(const EnvoyDrainOptions &options = {});

    static QString operationName(EnvoyAdminOperation operation);

Q_SIGNALS:
    void operationFinished(const hopscope::EnvoyOperationResult &result);

private:
    quint64 post(EnvoyAdminOperation operation, const QString &path, const QString &query);
    void finish(quint64 id, EnvoyAdminOperation operation, const HttpFetchResult &reply);

    QString m_name;
    QUrl m_adminUrl;
    QPointer<QNetworkAccessManager> m_nam;
    std::unique_ptr<QNetworkAccessManager> m_ownNam;
    QPointer<TlsContext> m_tls;
    int m_timeoutMs = 5000;
    qint64 m_maxReplyBytes = DefaultMaxReplyBytes;
    quint64 m_nextId = 1;
};

} // namespace hopscope

Q_DECLARE_METATYPE(hopscope::EnvoyOperationResult)

#pragma once

#include "core/Parsed.h"
#include "core/PollingSource.h"
#include "envoy/EnvoySnapshot.h"

#include <QPointer>
#include <QUrl>

#include <memory>

class QNetworkAccessManager;

namespace hopscope {

struct HttpFetchResult;
class HttpWorker;
class TlsContext;

// Polls one Envoy admin endpoint: GET /clusters?format=json (text /clusters when JSON is not
// served), /server_info and /stats?format=json&filter=... in one poll (what /ready would say is
// server_info's state, docs/PROTOCOLS.md §1.6), one after the other on one kept-alive
// connection, each through an HttpFetch (deadline = the poll timeout, which also bounds the
// whole poll; a reply above maxReplyBytes() is refused at the cap), on an HttpWorker's thread
// when it has one. Lives on the GUI thread; the bodies are parsed off
// it with runOffThread. Emits snapshotReady() after each successful poll.
class EnvoyAdminSource : public PollingSource
{
    Q_OBJECT

public:
    static constexpr qint64 DefaultMaxReplyBytes = qint64(32) * 1024 * 1024;

    // `nam` may be shared; when null the source owns one (without a proxy: admin ports are local).
    EnvoyAdminSource(QString name, QUrl adminUrl, QNetworkAccessManager *nam = nullptr,
        QObject *parent = nullptr);
    ~EnvoyAdminSource() override;

    QUrl adminUrl() const { return m_adminUrl; }
    void setMaxReplyBytes(qint64 bytes) { m_maxBytes = bytes; }
    qint64 maxReplyBytes() const { return m_maxBytes; }
    void setStatsEnabled(bool enabled) { m_statsEnabled = enabled; }
    void setTls(TlsContext *tls); // the profile's "tls" for an https:// URL
    // Plain http:// requests then run on `worker`'s thread (HttpWorker: same deadline and cap),
    // not on this source's; https:// keeps its own HttpFetch and TLS settings.
    void setHttpWorker(HttpWorker *worker);

    bool hasSnapshot() const { return m_hasSnapshot; }
    EnvoyAdminSnapshot snapshot() const { return m_snapshot; }

Q_SIGNALS:
    void snapshotReady(const hopscope::EnvoyAdminSnapshot &snapshot);

protected:
    void startPoll() override;
    void cancelPoll() override;

private:
    struct Fetch;

    Fetch *add(const QString &path, const QString &query); // sent by sendPending()
    void sendPending();
    void onFetched(Fetch *fetch, const HttpFetchResult &result, quint64 generation);
    void onFetchFinished();
    void startParse();
    void onParsed(quint64 generation, const Parsed<EnvoyAdminSnapshot> &parsed);
    void abortAll();

    QUrl m_adminUrl;
    QPointer<QNetworkAccessManager> m_nam;
    std::unique_ptr<QNetworkAccessManager> m_ownNam;
    QPointer<TlsContext> m_tls;
    QPointer<HttpWorker> m_worker;
    quint64 m_sequence = 0; // the poll's requests in flight on m_worker (0: none)
    qint64 m_maxBytes = DefaultMaxReplyBytes;
    bool m_statsEnabled = true;
    quint64 m_generation = 0;
    std::vector<std::unique_ptr<Fetch>> m_fetches;
    Fetch *m_clusters = nullptr;
    Fetch *m_serverInfo = nullptr;
    Fetch *m_stats = nullptr;
    bool m_textFallback = false;
    bool m_hasSnapshot = false;
    EnvoyAdminSnapshot m_snapshot;
};

} // namespace hopscope

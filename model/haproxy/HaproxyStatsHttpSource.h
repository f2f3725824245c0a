#pragma once

#include "core/Parsed.h"
#include "core/PollingSource.h"
#include "haproxy/HaproxySnapshot.h"

#include <QPointer>
#include <QUrl>

class QNetworkAccessManager;

namespace hopscope {

class HttpFetch;
struct HttpFetchResult;
class TlsContext;

// Polls the HTTP stats page's CSV (`<stats uri>;csv`) for load balancers whose runtime socket is
// out of reach. Only `show stat` data is available this way (no servers state, no info). Lives on
// its owner's thread with an injected QNetworkAccessManager; fetches through HttpFetch (deadline =
// the poll timeout, capped at maxReplyBytes()); parses off the GUI thread with runOffThread;
// emits snapshotReady after each successful poll.
class HaproxyStatsHttpSource : public PollingSource
{
    Q_OBJECT

public:
    static constexpr qint64 DefaultMaxReplyBytes = qint64(32) * 1024 * 1024;

    HaproxyStatsHttpSource(
        QString name, QUrl url, QNetworkAccessManager *nam, QObject *parent = nullptr);
    ~HaproxyStatsHttpSource() override;

    void setBasicAuth(const QString &user, const QString &password);
    void setMaxReplyBytes(qint64 bytes) { m_maxReplyBytes = bytes; }
    qint64 maxReplyBytes() const { return m_maxReplyBytes; }
    void setTls(TlsContext *tls); // the profile's "tls" for an https:// URL
    const HaproxySnapshot &snapshot() const { return m_snapshot; }

Q_SIGNALS:
    void snapshotReady(const hopscope::HaproxySnapshot &snapshot);

protected:
    void startPoll() override;
    void cancelPoll() override;

private:
    void onFetched(const HttpFetchResult &result, quint64 generation);
    void onParsed(const Parsed<HaproxySnapshot> &parsed, quint64 generation);

    QUrl m_url;
    QNetworkAccessManager *m_nam;
    QByteArray m_authorization;
    qint64 m_maxReplyBytes = DefaultMaxReplyBytes;
    QPointer<HttpFetch> m_fetch;
    QPointer<TlsContext> m_tls;
    quint64 m_generation = 0;
    HaproxySnapshot m_snapshot;
};

} // namespace hopscope

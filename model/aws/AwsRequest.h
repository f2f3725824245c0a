#pragma once

#include "aws/AwsCall.h"
#include "aws/SigV4.h"
#include "core/Clock.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QTimer>

class QNetworkAccessManager;

namespace hopscope {

class HttpFetch;
struct HttpFetchResult;

// What one AwsRequest came back with: every page's reply body in order (one for a call that
// does not page), or the error of the attempt that ended it.
struct AwsResult
{
    QString what; // "servicediscovery DiscoverInstances"
    QList<QByteArray> pages;
    AwsError error;
    int attempts = 0; // HTTP requests sent, all pages and retries together
    int throttled = 0; // of which were throttled and retried
    QDateTime serverDate; // AWS's Date on the last reply
    qint64 skewSeconds = 0; // AWS's clock minus ours, from that Date (0 when unknown)

    bool ok() const { return !error.isError(); }
    QString errorText() const; // "servicediscovery DiscoverInstances: <words>"
};

// One AWS API call, signed with SigV4 (the clock is injected, so tests can move it), sent over
// the one size-capped HTTP fetch (HttpFetch): a hard total deadline across every attempt and
// page, a byte cap per reply. Throttling (ThrottlingException, Throttling, 429, 503) and 5xx are
// retried after capped exponential backoff with full jitter, as the SDKs do, while the deadline
// allows; other errors end it at once. With followPages set, NextToken / NextMarker are followed
// up to maxPages. A refused signature whose reply's Date is minutes from our clock is reported
// as clock skew with the minutes in it. finished() exactly once per start(), unless destroyed
// first. Credentials are never part of any message. Lives on its creator's thread.
class AwsRequest : public QObject
{
    Q_OBJECT
public:
    AwsRequest(QNetworkAccessManager *nam, AwsEndpoint endpoint, AwsCredentials credentials,
        AwsCall call, QObject *parent = nullptr, const Clock &clock = Clock::system());
    ~AwsRequest() override;

    void setDeadlineMs(int ms) { m_deadlineMs = ms; }
    void setMaxReplyBytes(qint64 bytes) { m_maxReplyBytes = bytes; }
    void setFollowPages(bool follow, int maxPages = 100)
    {
        m_followPages = follow;
        m_maxPages = maxPages;
    }
    void setMaxAttempts(int attempts) { m_maxAttempts = attempts; } // per page
    void setBackoff(int baseMs, int maxMs)
    {
        m_backoffBaseMs = baseMs;
        m_backoffMaxMs = maxMs;
    }

    void start();

    static constexpr qint64 SkewLimitSeconds = 5 * 60; // AWS refuses signatures beyond this

Q_SIGNALS:
    void finished(const hopscope::AwsResult &result);

private:
    void sendAttempt();
    void onReply(const HttpFetchResult &reply);
    void finish(AwsError error);
    int remainingMs() const;

    QPointer<QNetworkAccessManager> m_nam;
    AwsEndpoint m_endpoint;
    AwsCredentials m_credentials;
    AwsCall m_call; // the page being fetched
    const Clock &m_clock;
    int m_deadlineMs = 20'000;
    qint64 m_maxReplyBytes = qint64(4) << 20;
    bool m_followPages = false;
    int m_maxPages = 100;
    int m_maxAttempts = 5;
    int m_backoffBaseMs = 100;
    int m_backoffMaxMs = 5'000;

    AwsResult m_result;
    int m_pageAttempts = 0;
    QElapsedTimer m_started;
    QTimer m_retry;
    HttpFetch *m_fetch = nullptr;
    bool m_running = false;
};

} // namespace hopscope

Q_DECLARE_METATYPE(hopscope::AwsResult)

#pragma once

#include "core/SourceError.h"

#include <QByteArray>
#include <QDateTime>
#include <QMetaType>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QObject>
#include <QPointer>
#include <QSslError>
#include <QTimer>
#include <QUrl>

#include <optional>

class QNetworkAccessManager;

namespace hopscope {

class TlsContext;

// What one HttpFetch came back with.
struct HttpFetchResult
{
    enum class Failure {
        None, // a complete 2xx reply: `body` is all of it
        Deadline, // no complete reply within the deadline (the request may have been acted on)
        TooLarge, // the reply was larger than the cap; refused and aborted, body dropped
        HttpStatus, // a complete reply with a non-2xx status: `body` holds it (capped)
        Transport, // refused, reset, unreachable, a certificate not accepted, a pin mismatch, ...:
                   // `reason` holds plain words
    };

    QString what; // "GET /clusters?format=json", "POST /healthcheck/fail"
    QUrl url;
    Failure failure = Failure::None;
    SourceError::Kind kind = SourceError::Kind::None; // httpErrorKind() of the outcome
    QString reason; // plain words: "no complete reply within 1500 ms", "reply larger than 65536
                    // bytes", "answered HTTP 503", "Connection refused"; empty when ok()
    int httpStatus = 0; // 0 when no status line arrived
    QNetworkReply::NetworkError networkError = QNetworkReply::NoError;
    QByteArray body;
    // The reply's Date header when it had one (AWS: the clock-skew check); invalid otherwise.
    QDateTime serverDate;

    bool ok() const { return failure == Failure::None; }
};

// One HTTP request with a hard total deadline (not an idle timeout: a reply that keeps trickling
// bytes is cut at the deadline) and a byte cap on the reply (a Content-Length above the cap is
// refused before the body, an endless body is aborted at the cap; QtNetwork is kept from buffering
// more than a chunk ahead). Redirects are not followed. Lives on its creator's thread; emits
// finished() exactly once per get()/post() unless abort() or destruction comes first. One request
// per object; delete it (deleteLater) from the finished() slot or reuse it after finished().
class HttpFetch : public QObject
{
    Q_OBJECT

public:
    explicit HttpFetch(QNetworkAccessManager *nam, QObject *parent = nullptr);
    ~HttpFetch() override;

    void setDeadlineMs(int ms) { m_deadlineMs = ms; }
    int deadlineMs() const { return m_deadlineMs; }
    void setMaxReplyBytes(qint64 bytes) { m_maxReplyBytes = bytes; }
    qint64 maxReplyBytes() const { return m_maxReplyBytes; }
    // Bytes of spare capacity the body keeps after its end (simdjson's padding): saves a copy.
    void setSpareCapacity(qsizetype bytes) { m_spare = bytes; }
    // The profile's "tls" for https:// URLs: CAs, client certificate, pins, verify. Loaded on
    // first use (the request waits for it within its deadline; a failed load fails the request
    // with kind Config). Without one, https:// uses the system CAs. Either way certificate
    // failures come back in plain words (kind Auth), and a pin mismatch aborts the request right
    // after the handshake, before a byte of it is sent.
    void setTls(TlsContext *tls);

    void get(const QNetworkRequest &request);
    void post(const QNetworkRequest &request); // a POST without a body
    // A POST with a body (set the request's Content-Type). Sent from a QBuffer, so QtNetwork
    // starts the request from the event loop, after the read buffer is bounded.
    void post(const QNetworkRequest &request, const QByteArray &body);
    void abort(); // silently: no finished() for the request in flight
    bool isRunning() const { return m_reply != nullptr; }

Q_SIGNALS:
    void finished(const hopscope::HttpFetchResult &result);

private:
    void send(const QNetworkRequest &request, const QByteArray &verb,
        const QByteArray *body = nullptr);
    void dispatch(QNetworkRequest request, const QByteArray &verb);
    bool checkPin();
    void onMetaData();
    void onReadyRead();
    void finish(HttpFetchResult::Failure failure, const QString &reason,
        SourceError::Kind kind = SourceError::Kind::None);
    void onReplyFinished();

    QPointer<QNetworkAccessManager> m_nam;
    QPointer<QNetworkReply> m_reply;
    QTimer m_deadline;
    QPointer<TlsContext> m_tls;
    QMetaObject::Connection m_tlsWait;
    QList<QSslError> m_sslErrors;
    bool m_pinChecked = false;
    bool m_lengthKnown = false; // a Content-Length within the cap came with the headers
    quint64 m_sendId = 0;
    std::optional<QByteArray> m_body; // the request's, for a POST with a body
    int m_deadlineMs = 5000;
    qint64 m_maxReplyBytes = qint64(1) << 20;
    qsizetype m_spare = 0;
    HttpFetchResult m_result;
};

} // namespace hopscope

Q_DECLARE_METATYPE(hopscope::HttpFetchResult)

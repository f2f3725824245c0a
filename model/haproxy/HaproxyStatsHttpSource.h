#pragma once

#include "core/PollingSource.h"
#include "haproxy/HaproxySnapshot.h"

#include <QPointer>
#include <QUrl>

class QNetworkAccessManager;
class QNetworkReply;

namespace hopscope {

// Polls the HTTP stats page's CSV (`<stats uri>;csv`) for load balancers whose runtime socket is
// out of reach. Only `show stat` data is available this way (no servers state, no info). Lives on
// its owner's thread with an injected QNetworkAccessManager; parses on a QThreadPool worker;
// emits snapshotUpdated after each successful poll.
class HaproxyStatsHttpSource : public PollingSource
{
    Q_OBJECT

public:
    HaproxyStatsHttpSource(
        QString name, QUrl url, QNetworkAccessManager *nam, QObject *parent = nullptr);
    ~HaproxyStatsHttpSource() override;

    void setBasicAuth(const QString &user, const QString &password);
    void setMaxReplyBytes(qint64 bytes) { m_maxReplyBytes = bytes; }
    const HaproxySnapshot &snapshot() const { return m_snapshot; }

Q_SIGNALS:
    void snapshotUpdated(const hopscope::HaproxySnapshot &snapshot);

protected:
    void startPoll() override;
    void cancelPoll() override;

private:
    void onFinished(QNetworkReply *reply, quint64 generation);

    QUrl m_url;
    QNetworkAccessManager *m_nam;
    QByteArray m_authorization;
    qint64 m_maxReplyBytes = qint64(32) * 1024 * 1024;
    QPointer<QNetworkReply> m_reply;
    quint64 m_generation = 0;
    HaproxySnapshot m_snapshot;
};

} // namespace hopscope

#pragma once

#include "DnsAnswerParser.h"
#include "DnsTypes.h"
#include "profile/Endpoint.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <deque>
#include <functional>
#include <unordered_map>

struct ares_channeldata;
class QSocketNotifier;

namespace hopscope {

// Asynchronous A/AAAA/SRV lookups on a c-ares 1.18 channel driven by the owning thread's Qt event
// loop: c-ares' socket-state callback opens QSocketNotifier pairs, a single-shot timer follows
// ares_timeout(); nothing blocks and nothing polls. Answers are parsed with ldns (TTLs, CNAMEs,
// SRV glue; follow-up A queries for SRV targets without glue, then AAAA when A is NODATA). Results
// reach the callback given to lookup(), never from inside a c-ares call, so a callback may delete
// the resolver.
class DnsResolver : public QObject
{
    Q_OBJECT

public:
    struct Options
    {
        int timeoutMs = 1000; // per try (c-ares ARES_OPT_TIMEOUTMS)
        int tries = 2;
        int ednsPayload = 1232; // 0: no EDNS0 (plain 512-byte UDP)
        bool recursionDesired = true;
        // SRV targets without glue: ask AAAA alongside A (dual-stack services). Off: AAAA is
        // asked only when A says NODATA (an IPv6-only target).
        bool srvTargetAaaa = false;
        // Every query over TCP (c-ares ARES_FLAG_USEVC): a server reached through an SSH
        // forward, which carries TCP only.
        bool tcpOnly = false;
        // How results and errors name the servers asked; empty: as set ("127.0.0.1:40123").
        // Through a tunnel: the servers as the profile says, "10.0.0.2:53 via jump".
        QString serversLabel;
        // DNS queries out at once (dnsperf's -q); more wait here, in order, and go as answers
        // come back. 2,000 names sent together overflow the UDP socket's receive buffer (the
        // kernel drops answers: RcvbufErrors) and every dropped one waits a whole try; 0: no cap.
        int maxOutstanding = 100;
    };
    using Callback = std::function<void(const DnsResult &)>;

    explicit DnsResolver(QObject *parent = nullptr);
    DnsResolver(const Options &options, QObject *parent = nullptr);
    ~DnsResolver() override; // pending lookups are dropped; their callbacks never run

    bool isValid() const { return m_channel != nullptr; }
    QString errorString() const { return m_error; }

    // IP literals with ports ("127.0.0.1:15353", "[::1]:53"). Returns false and says why.
    bool setServers(const QList<HostPort> &servers, QString *why = nullptr);
    QString serversText() const { return m_serversText; }

    // Starts a lookup; `callback` runs once on this thread unless cancelled or `context` is gone.
    quint64 lookup(const QString &name, DnsRecordType type, QObject *context, Callback callback);
    void cancel(quint64 id); // the callback will not run
    void cancelAll();
    int pendingCount() const { return int(m_ops.size()); }
    quint64 queriesSent() const { return m_queriesSent; } // DNS queries, follow-ups included
    int outstandingQueries() const { return m_outstanding; } // sent, not yet answered
    int peakOutstanding() const { return m_peakOutstanding; }
    int queuedQueries() const { return int(m_queue.size()); } // waiting for the window

private:
    struct Notifiers
    {
        QSocketNotifier *read = nullptr;
        QSocketNotifier *write = nullptr;
    };
    struct Op
    {
        quint64 id = 0;
        DnsResult result;
        Callback callback;
        QPointer<QObject> context;
        bool hasContext = false;
        bool cancelled = false;
        int pending = 0;
        int cnameHops = 0;
        QList<DnsRecord> srv;
        QHash<QString, QList<DnsAddress>> targetAddresses;
        QHash<QString, QString> targetFailures; // follow-up status of targets without addresses
    };

public: // called from the c-ares C callbacks only
    struct QueryContext;
    void socketState(qintptr fd, bool readable, bool writable);
    void handleAnswer(QueryContext *ctx, int status, const unsigned char *abuf, int alen);

private:
    void init(const Options &options);
    void process(qintptr readFd, qintptr writeFd);
    struct QueuedQuery
    {
        quint64 opId;
        QString name;
        DnsRecordType type;
        bool followUp;
    };
    void sendQuery(quint64 opId, const QString &name, DnsRecordType type, bool followUp);
    void sendNow(const QueuedQuery &query);
    void sendQueued(); // fills the window from the queue
    void handleMain(Op &op, const DnsParsedAnswer &parsed);
    void handleFollowUp(
        Op &op, const QString &target, DnsRecordType type, const DnsParsedAnswer &parsed);
    void complete(Op &op);
    void afterAres();
    void deliver();
    void rearmTimer();

    ares_channeldata *m_channel = nullptr;
    Options m_options;
    QString m_error;
    QString m_serversText;
    QHash<qintptr, Notifiers> m_notifiers;
    QTimer m_timer;
    std::unordered_map<quint64, Op> m_ops;
    QList<quint64> m_completed;
    std::deque<QueuedQuery> m_queue;
    int m_outstanding = 0;
    int m_peakOutstanding = 0;
    bool m_filling = false;
    quint64 m_nextId = 1;
    quint64 m_queriesSent = 0;
    int m_aresDepth = 0;
    bool m_delivering = false;
    bool m_destroying = false;
};

} // namespace hopscope

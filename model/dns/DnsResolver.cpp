#include "DnsResolver.h"

#include <QScopeGuard>
#include <QSocketNotifier>

#include <ares.h>
#include <ldns/ldns.h>

#include <algorithm>
#include <mutex>

namespace hopscope {

// Heap context handed to c-ares with each query. c-ares may run the callback after the resolver
// started dying (ares_destroy() fires ARES_EDESTRUCTION), so the context never holds a raw `this`.
struct DnsResolver::QueryContext
{
    QPointer<DnsResolver> resolver;
    quint64 opId = 0;
    QString name;
    DnsRecordType type = DnsRecordType::A;
    bool followUp = false;
};

namespace {

constexpr int s_maxCnameHops = 8;

void sockStateCallback(void *data, ares_socket_t fd, int readable, int writable)
{
    static_cast<DnsResolver *>(data)->socketState(qintptr(fd), readable != 0, writable != 0);
}

void answerCallback(void *arg, int status, int /*timeouts*/, unsigned char *abuf, int alen)
{
    auto *ctx = static_cast<DnsResolver::QueryContext *>(arg);
    if (status == ARES_EDESTRUCTION || !ctx->resolver) {
        delete ctx;
        return;
    }
    ctx->resolver->handleAnswer(ctx, status, abuf, alen);
}

int qtype(DnsRecordType t)
{
    switch (t) {
    case DnsRecordType::A:
        return LDNS_RR_TYPE_A;
    case DnsRecordType::AAAA:
        return LDNS_RR_TYPE_AAAA;
    case DnsRecordType::SRV:
        return LDNS_RR_TYPE_SRV;
    }
    return LDNS_RR_TYPE_A;
}

DnsResult::Status statusFromAres(int status)
{
    switch (status) {
    case ARES_ETIMEOUT:
        return DnsResult::Status::Timeout;
    case ARES_ECONNREFUSED:
        return DnsResult::Status::Network;
    case ARES_EBADRESP:
        return DnsResult::Status::Malformed;
    case ARES_ENOTFOUND:
        return DnsResult::Status::NxDomain;
    case ARES_ENODATA:
        return DnsResult::Status::NoData;
    case ARES_ESERVFAIL:
        return DnsResult::Status::ServFail;
    case ARES_EREFUSED:
        return DnsResult::Status::Refused;
    case ARES_ECANCELLED:
        return DnsResult::Status::Cancelled;
    default:
        return DnsResult::Status::Other;
    }
}

} // namespace

DnsResolver::DnsResolver(QObject *parent)
    : DnsResolver(Options {}, parent)
{ }

DnsResolver::DnsResolver(const Options &options, QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<DnsResult>();
    m_timer.setSingleShot(true);
    connect(
        &m_timer, &QTimer::timeout, this, [this] { process(ARES_SOCKET_BAD, ARES_SOCKET_BAD); });
    init(options);
}

DnsResolver::~DnsResolver()
{
    m_destroying = true;
    m_ops.clear(); // no callback runs from here on
    if (m_channel) {
        ares_destroy(m_channel); // fires ARES_EDESTRUCTION; answerCallback frees the contexts
        m_channel = nullptr;
    }
    for (const Notifiers &n : std::as_const(m_notifiers)) {
        delete n.read;
        delete n.write;
    }
}

void DnsResolver::init(const Options &options)
{
    static std::once_flag s_libInit;
    static int s_libStatus = ARES_SUCCESS;
    std::call_once(s_libInit, [] { s_libStatus = ares_library_init(ARES_LIB_INIT_ALL); });
    if (s_libStatus != ARES_SUCCESS) {
        m_error
            = QStringLiteral("c-ares init: %1").arg(QString::fromUtf8(ares_strerror(s_libStatus)));
        return;
    }
    m_options = options;
    ares_options o {};
    int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS
        | ARES_OPT_LOOKUPS;
    o.sock_state_cb = &sockStateCallback;
    o.sock_state_cb_data = this;
    o.timeout = std::max(1, options.timeoutMs);
    o.tries = std::max(1, options.tries);
    // Profile names are fully qualified. NOCHECKRESP: hand SERVFAIL/REFUSED answers back to us
    // (otherwise c-ares 1.18 turns them into ECONNREFUSED and the rcode is lost).
    // STAYOPEN: c-ares 1.18 closes every socket whenever its query list drains (which happens
    // between two batches of answers) and reopens it for the next query; keep it.
    o.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOCHECKRESP | ARES_FLAG_STAYOPEN;
    if (!options.recursionDesired) {
        o.flags |= ARES_FLAG_NORECURSE;
    }
    if (options.tcpOnly) {
        o.flags |= ARES_FLAG_USEVC;
    }
    if (options.ednsPayload > 0) {
        o.flags |= ARES_FLAG_EDNS;
        o.ednspsz = std::clamp(options.ednsPayload, 512, 4096);
        mask |= ARES_OPT_EDNSPSZ;
    }
    char lookups[] = "b"; // DNS only, never /etc/hosts
    o.lookups = lookups;
    const int rc = ares_init_options(&m_channel, &o, mask);
    if (rc != ARES_SUCCESS) {
        m_channel = nullptr;
        m_error = QStringLiteral("c-ares init: %1").arg(QString::fromUtf8(ares_strerror(rc)));
    }
}

bool DnsResolver::setServers(const QList<HostPort> &servers, QString *why)
{
    auto fail = [&](const QString &text) {
        if (why) {
            *why = text;
        }
        return false;
    };
    if (!m_channel) {
        return fail(m_error);
    }
    if (servers.isEmpty()) {
        return fail(QStringLiteral("no DNS server given"));
    }
    QStringList parts;
    for (const HostPort &hp : servers) {
        if (!hp.isValid() || !hp.isIpLiteral()) {
            return fail(QStringLiteral("DNS server '%1' is not an IP address with a port")
                            .arg(hp.toString()));
        }
        parts.append(hp.toString());
    }
    const QByteArray csv = parts.join(QLatin1Char(',')).toUtf8();
    const int rc = ares_set_servers_ports_csv(m_channel, csv.constData());
    if (rc != ARES_SUCCESS) {
        return fail(QStringLiteral("c-ares rejected servers '%1': %2")
                        .arg(QString::fromUtf8(csv), QString::fromUtf8(ares_strerror(rc))));
    }
    m_serversText = m_options.serversLabel.isEmpty() ? parts.join(QStringLiteral(", "))
                                                     : m_options.serversLabel;
    return true;
}

quint64 DnsResolver::lookup(
    const QString &name, DnsRecordType type, QObject *context, Callback callback)
{
    const quint64 id = m_nextId++;
    Op &op = m_ops[id];
    op.id = id;
    op.callback = std::move(callback);
    op.context = context;
    op.hasContext = context != nullptr;
    op.result.name = DnsAnswerParser::normalizedName(name);
    op.result.type = type;
    op.result.server = m_serversText;
    if (!m_channel || m_serversText.isEmpty()) {
        op.result.status = DnsResult::Status::Other;
        op.result.detail = m_channel ? QStringLiteral("no DNS server set") : m_error;
        complete(op);
        afterAres();
        return id;
    }
    sendQuery(id, op.result.name, type, false);
    return id;
}

void DnsResolver::cancel(quint64 id)
{
    const auto it = m_ops.find(id);
    if (it != m_ops.end()) {
        it->second.cancelled = true; // c-ares 1.18 cannot cancel one query; drop its result
    }
}

void DnsResolver::cancelAll()
{
    for (auto &entry : m_ops) {
        entry.second.cancelled = true;
    }
    // What waits for the window is never sent.
    for (const QueuedQuery &q : std::exchange(m_queue, {})) {
        const auto it = m_ops.find(q.opId);
        if (it != m_ops.end()) {
            complete(it->second);
        }
    }
    if (m_channel) {
        ++m_aresDepth;
        ares_cancel(m_channel);
        --m_aresDepth;
        afterAres();
    }
}

void DnsResolver::sendQuery(quint64 opId, const QString &name, DnsRecordType type, bool followUp)
{
    QueuedQuery query { opId, name, type, followUp };
    if (m_options.maxOutstanding > 0
        && (m_outstanding >= m_options.maxOutstanding || !m_queue.empty())) {
        m_queue.push_back(std::move(query)); // in order: nothing overtakes what waits
        return;
    }
    sendNow(query);
}

void DnsResolver::sendNow(const QueuedQuery &query)
{
    auto *ctx = new QueryContext { this, query.opId, query.name, query.type, query.followUp };
    const QByteArray n = query.name.toUtf8();
    ++m_queriesSent;
    ++m_outstanding;
    m_peakOutstanding = std::max(m_peakOutstanding, m_outstanding);
    ++m_aresDepth;
    ares_query(m_channel, n.constData(), 1 /* C_IN */, qtype(query.type), &answerCallback, ctx);
    --m_aresDepth;
    afterAres();
}

void DnsResolver::sendQueued()
{
    // c-ares may answer a query inside ares_query (a synchronous failure), whose handler calls
    // this again: the outer loop goes on instead, so the stack does not grow with the queue.
    if (m_filling) {
        return;
    }
    m_filling = true;
    const auto done = qScopeGuard([this] { m_filling = false; });
    while (!m_queue.empty() && m_channel && !m_destroying
        && (m_options.maxOutstanding <= 0 || m_outstanding < m_options.maxOutstanding)) {
        const QueuedQuery query = std::move(m_queue.front());
        m_queue.pop_front();
        const auto it = m_ops.find(query.opId);
        if (it == m_ops.end()) {
            continue;
        }
        if (it->second.cancelled) {
            complete(it->second); // dropped unsent; deliver() forgets it without a callback
            continue;
        }
        sendNow(query);
    }
}

void DnsResolver::socketState(qintptr fd, bool readable, bool writable)
{
    if (m_destroying) {
        return;
    }
    Notifiers &n = m_notifiers[fd];
    if (!readable && !writable) {
        // c-ares closed the socket, possibly from inside this notifier's own activated():
        // disable now, delete once control is back in the event loop.
        for (QSocketNotifier *s : { n.read, n.write }) {
            if (s) {
                s->setEnabled(false);
                s->deleteLater();
            }
        }
        m_notifiers.remove(fd);
        return;
    }
    if (readable && !n.read) {
        n.read = new QSocketNotifier(fd, QSocketNotifier::Read, this);
        connect(n.read, &QSocketNotifier::activated, this,
            [this, fd] { process(fd, ARES_SOCKET_BAD); });
    }
    if (writable && !n.write) {
        n.write = new QSocketNotifier(fd, QSocketNotifier::Write, this);
        connect(n.write, &QSocketNotifier::activated, this,
            [this, fd] { process(ARES_SOCKET_BAD, fd); });
    }
    if (n.read) {
        n.read->setEnabled(readable);
    }
    if (n.write) {
        n.write->setEnabled(writable);
    }
}

void DnsResolver::process(qintptr readFd, qintptr writeFd)
{
    if (!m_channel) {
        return;
    }
    ++m_aresDepth;
    ares_process_fd(m_channel, ares_socket_t(readFd), ares_socket_t(writeFd));
    --m_aresDepth;
    afterAres();
}

void DnsResolver::afterAres()
{
    if (m_aresDepth > 0) {
        return;
    }
    rearmTimer();
    if (!m_completed.isEmpty() && !m_delivering) {
        // Never run user code inside a notifier's activated(): a callback may delete us.
        m_delivering = true;
        QMetaObject::invokeMethod(this, &DnsResolver::deliver, Qt::QueuedConnection);
    }
}

// ares_timeout() walks every pending query and QTimer::start() re-registers the timer, so this
// only arms an idle timer. Every deadline c-ares sets is at least `timeoutMs` after the query was
// sent (later tries double it), so a timer armed for min(ares_timeout, timeoutMs) never fires
// after the earliest deadline of any query sent while it runs; firing early costs one cheap
// ares_process_fd() and a re-arm.
void DnsResolver::rearmTimer()
{
    if (!m_channel || m_timer.isActive()) {
        return;
    }
    timeval tv {};
    if (ares_timeout(m_channel, nullptr, &tv)) {
        const int ms = int(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
        m_timer.start(std::clamp(ms, 0, std::max(1, m_options.timeoutMs)));
    }
}

void DnsResolver::handleAnswer(QueryContext *ctx, int status, const unsigned char *abuf, int alen)
{
    std::unique_ptr<QueryContext> guard(ctx);
    --m_outstanding;
    // The window's next query goes after this answer is handled (a follow-up it asks queues
    // behind the waiting ones): see the end of this function.
    struct Refill
    {
        DnsResolver *resolver;
        ~Refill() { resolver->sendQueued(); }
    } refill { this };
    const auto it = m_ops.find(ctx->opId);
    if (m_destroying || it == m_ops.end()) {
        return;
    }
    Op &op = it->second;
    DnsParsedAnswer parsed;
    if (abuf && alen > 0) {
        const Parsed<DnsParsedAnswer> read
            = DnsAnswerParser::parse(abuf, alen, ctx->name, ctx->type);
        if (read) {
            parsed = read.value();
        } else {
            parsed.status = DnsResult::Status::Malformed;
            parsed.detail = read.errorText();
        }
    } else {
        parsed.status = statusFromAres(status);
        parsed.detail = QString::fromUtf8(ares_strerror(status));
    }
    if (status != ARES_SUCCESS && abuf && alen > 0 && parsed.status == DnsResult::Status::Ok) {
        // c-ares judged the answer itself (e.g. a bad response); trust it over a clean parse.
        parsed.status = statusFromAres(status);
        parsed.detail = QString::fromUtf8(ares_strerror(status));
    }
    if (ctx->followUp) {
        handleFollowUp(op, ctx->name, ctx->type, parsed);
    } else {
        handleMain(op, parsed);
    }
}

void DnsResolver::handleMain(Op &op, const DnsParsedAnswer &parsed)
{
    DnsResult &r = op.result;
    r.cnameChain += parsed.cnameChain;
    if (parsed.chainIncomplete && op.cnameHops < s_maxCnameHops) {
        ++op.cnameHops;
        sendQuery(op.id, parsed.finalName, r.type, false);
        return;
    }
    r.status = parsed.status;
    r.detail = parsed.detail;
    r.negativeTtl = parsed.negativeTtl;
    if (r.status != DnsResult::Status::Ok) {
        complete(op);
        return;
    }
    if (r.type != DnsRecordType::SRV) {
        r.records = parsed.records;
        complete(op);
        return;
    }
    // Held while follow-ups are sent: c-ares may fail one synchronously (its callback runs inside
    // ares_query), which must not complete the lookup before every target was looked at.
    ++op.pending;
    for (const DnsRecord &srv : parsed.records) {
        if (srv.target.isEmpty()) {
            continue; // RFC 2782: target "." means the service is not available there
        }
        op.srv.append(srv);
        if (op.targetAddresses.contains(srv.target)) {
            continue;
        }
        const QList<DnsAddress> glue = parsed.addresses.value(srv.target);
        op.targetAddresses.insert(srv.target, glue);
        if (glue.isEmpty()) {
            ++op.pending;
            sendQuery(op.id, srv.target, DnsRecordType::A, true);
            if (m_options.srvTargetAaaa) {
                ++op.pending;
                sendQuery(op.id, srv.target, DnsRecordType::AAAA, true);
            }
        }
    }
    if (--op.pending == 0) {
        complete(op);
    }
}

void DnsResolver::handleFollowUp(
    Op &op, const QString &target, DnsRecordType type, const DnsParsedAnswer &parsed)
{
    QList<DnsAddress> &addrs = op.targetAddresses[target];
    for (const DnsRecord &a : parsed.records) {
        addrs.append({ a.address, a.ttl });
    }
    if (parsed.records.isEmpty()) {
        op.targetFailures[target] = DnsResult::statusName(parsed.status);
        // An IPv6-only target: the name exists but has no A record. Ask AAAA (unless it was
        // asked already, alongside A).
        if (type == DnsRecordType::A && parsed.status == DnsResult::Status::NoData
            && !m_options.srvTargetAaaa) {
            ++op.pending;
            sendQuery(op.id, target, DnsRecordType::AAAA, true);
        }
    }
    if (--op.pending == 0) {
        complete(op);
    }
}

void DnsResolver::complete(Op &op)
{
    if (op.result.type == DnsRecordType::SRV && op.result.status == DnsResult::Status::Ok) {
        for (const DnsRecord &srv : std::as_const(op.srv)) {
            const auto failed = op.targetFailures.constFind(srv.target);
            if (failed != op.targetFailures.cend()
                && op.targetAddresses.value(srv.target).isEmpty()) {
                const QString text = QStringLiteral("%1 (%2)").arg(srv.target, *failed);
                if (!op.result.unresolvedTargets.contains(text)) {
                    op.result.unresolvedTargets.append(text);
                }
            }
        }
        for (const DnsRecord &srv : std::as_const(op.srv)) {
            const QList<DnsAddress> addrs = op.targetAddresses.value(srv.target);
            if (addrs.isEmpty()) {
                op.result.records.append(srv); // shown with no address: the target did not resolve
                continue;
            }
            for (const DnsAddress &a : addrs) {
                DnsRecord r = srv;
                r.address = a.address;
                r.addressTtl = a.ttl;
                op.result.records.append(r);
            }
        }
    }
    m_completed.append(op.id);
}

void DnsResolver::deliver()
{
    m_delivering = false;
    const QPointer<DnsResolver> self(this);
    const QList<quint64> done = std::exchange(m_completed, {});
    for (const quint64 id : done) {
        const auto it = m_ops.find(id);
        if (it == m_ops.end()) {
            continue;
        }
        Op op = std::move(it->second);
        m_ops.erase(it);
        if (op.cancelled || (op.hasContext && !op.context) || !op.callback) {
            continue;
        }
        op.callback(op.result);
        if (!self) {
            return; // the callback deleted the resolver
        }
    }
}

} // namespace hopscope

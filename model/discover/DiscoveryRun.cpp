#include "DiscoveryRun.h"

#include "core/OffThread.h"
#include "discover/AwsDiscovery.h"
#include "dns/DnsResolver.h"
#include "envoy/EnvoyAdminSource.h"
#include "haproxy/HaproxyRuntimeSource.h"
#include "haproxy/HaproxyStatsHttpSource.h"

#include <QNetworkAccessManager>
#include <QNetworkProxy>

#include <algorithm>

namespace hopscope {

namespace {
// One poll each: the next one would come after an hour, long after the run has stopped them.
constexpr int OnePollIntervalMs = 3'600'000;

QString errorText(const PollingSource *source)
{
    const SourceError e = source->lastError();
    if (!e.isError()) {
        return QStringLiteral("no answer");
    }
    return e.detail.isEmpty() ? e.message : e.message + QStringLiteral(" (") + e.detail + u')';
}
} // namespace

DiscoveryRun::DiscoveryRun(QObject *parent)
    : QObject(parent)
{
    m_deadline.setSingleShot(true);
    connect(&m_deadline, &QTimer::timeout, this, &DiscoveryRun::onDeadline);
}

DiscoveryRun::~DiscoveryRun()
{
    stopAll();
}

void DiscoveryRun::start(const DiscoveryRequest &request)
{
    stopAll();
    ++m_generation;
    m_input = DiscoveryInput();
    m_input.profileName = request.name;
    if (request.dnsServer) {
        m_input.dnsServers = { *request.dnsServer };
    }
    m_timeoutMs = std::clamp(request.timeoutMs, 100, DiscoveryRequest::MaxTimeoutMs);
    m_total = request.endpointCount();
    m_done = 0;
    m_running = true;
    // Each source times out a little before the hard stop, so it can say why itself.
    const int pollTimeoutMs = std::max(50, m_timeoutMs - std::min(500, m_timeoutMs / 5));
    m_deadline.start(m_timeoutMs);
    Q_EMIT progress(0, m_total, tr("asking %n endpoint(s)…", nullptr, m_total));
    startHaproxies(request, pollTimeoutMs);
    startEnvoys(request, pollTimeoutMs);
    startDns(request);
    startAws(request, pollTimeoutMs);
    if (m_total == 0) {
        complete();
    }
}

void DiscoveryRun::startHaproxies(const DiscoveryRequest &request, int pollTimeoutMs)
{
    const auto watch
        = [this](PollingSource *source, int index, int pollTimeout, auto &&takeSnapshot) {
              source->setIntervalMs(OnePollIntervalMs);
              source->setTimeoutMs(pollTimeout);
              m_sources.append(source);
              const quint64 generation = m_generation;
              connect(source, &PollingSource::pollFinished, this,
                  [this, source, index, generation, takeSnapshot] {
                      if (generation != m_generation || m_haproxyDone[index]) {
                          return;
                      }
                      m_haproxyDone[index] = true;
                      DiscoveredHaproxy &h = m_input.haproxies[index];
                      if (source->status() == PollingSource::Status::Ok) {
                          h.snapshot = takeSnapshot();
                      } else {
                          h.error = errorText(source);
                      }
                      itemDone(QStringLiteral("haproxy ") + h.endpoint());
                  });
              source->start();
          };
    for (const RuntimeEndpoint &endpoint : request.haproxyRuntimes) {
        DiscoveredHaproxy h;
        h.runtime = endpoint;
        m_input.haproxies.append(h);
    }
    for (const QUrl &url : request.haproxyStatsUrls) {
        DiscoveredHaproxy h;
        h.statsUrl = url;
        m_input.haproxies.append(h);
    }
    m_haproxyDone = QList<bool>(m_input.haproxies.size(), false);
    if (!request.haproxyStatsUrls.isEmpty()) {
        m_nam = std::make_unique<QNetworkAccessManager>();
        m_nam->setProxy(QNetworkProxy::NoProxy);
    }
    for (int i = 0; i < m_input.haproxies.size(); ++i) {
        const DiscoveredHaproxy &h = m_input.haproxies[i];
        if (h.runtime) {
            auto *source = new HaproxyRuntimeSource(
                QStringLiteral("haproxy ") + h.endpoint(), *h.runtime, this);
            watch(source, i, pollTimeoutMs, [source] { return source->snapshot(); });
        } else {
            auto *source = new HaproxyStatsHttpSource(
                QStringLiteral("haproxy ") + h.endpoint(), h.statsUrl, m_nam.get(), this);
            watch(source, i, pollTimeoutMs, [source] { return source->snapshot(); });
        }
    }
}

void DiscoveryRun::startEnvoys(const DiscoveryRequest &request, int pollTimeoutMs)
{
    m_envoyDone = QList<bool>(request.envoyAdmins.size(), false);
    for (int i = 0; i < request.envoyAdmins.size(); ++i) {
        DiscoveredEnvoy e;
        e.admin = request.envoyAdmins[i];
        m_input.envoys.append(e);
        auto *source = new EnvoyAdminSource(
            QStringLiteral("envoy ") + e.admin.toString(), e.admin, nullptr, this);
        source->setIntervalMs(OnePollIntervalMs);
        source->setTimeoutMs(pollTimeoutMs);
        m_sources.append(source);
        const quint64 generation = m_generation;
        connect(source, &PollingSource::pollFinished, this, [this, source, i, generation] {
            if (generation != m_generation || m_envoyDone[i]) {
                return;
            }
            m_envoyDone[i] = true;
            DiscoveredEnvoy &d = m_input.envoys[i];
            if (source->status() == PollingSource::Status::Ok && source->hasSnapshot()) {
                d.snapshot = source->snapshot();
            } else {
                d.error = errorText(source);
            }
            itemDone(QStringLiteral("envoy ") + d.admin.toString());
        });
        source->start();
    }
}

void DiscoveryRun::startDns(const DiscoveryRequest &request)
{
    m_dnsDone = QList<bool>(request.dnsNames.size(), false);
    if (request.dnsNames.isEmpty()) {
        return;
    }
    for (const DiscoveryRequest::DnsName &n : request.dnsNames) {
        DiscoveredDnsName d;
        d.request = n;
        m_input.dnsNames.append(d);
    }
    // Detection may ask three types one after the other, each with two tries: they share the
    // hard stop.
    DnsResolver::Options options;
    options.tries = 2;
    options.timeoutMs = std::clamp(m_timeoutMs / 6, 100, 2000);
    m_resolver = std::make_unique<DnsResolver>(options);
    QString why;
    if (!m_resolver->isValid() || !request.dnsServer
        || !m_resolver->setServers({ *request.dnsServer }, &why)) {
        const QString error = m_resolver->isValid() ? why : m_resolver->errorString();
        for (int i = 0; i < m_input.dnsNames.size(); ++i) {
            m_dnsDone[i] = true;
            m_input.dnsNames[i].error = error.isEmpty() ? QStringLiteral("no DNS server") : error;
            itemDone(QStringLiteral("dns ") + m_input.dnsNames[i].request.name);
        }
        return;
    }
    for (int i = 0; i < m_input.dnsNames.size(); ++i) {
        lookup(i, m_input.dnsNames[i].request.type.value_or(DnsRecordType::SRV));
    }
}

void DiscoveryRun::lookup(int index, DnsRecordType type)
{
    const quint64 generation = m_generation;
    const QString name = m_input.dnsNames[index].request.name;
    m_resolver->lookup(name, type, this, [this, index, type, generation](const DnsResult &r) {
        if (generation != m_generation || m_dnsDone[index]) {
            return;
        }
        DiscoveredDnsName &d = m_input.dnsNames[index];
        const bool detecting = !d.request.type;
        if (detecting) {
            d.detection.append(QStringLiteral("%1 %2").arg(dnsRecordTypeName(type),
                r.isOk() ? QStringLiteral("%1 record%2")
                               .arg(r.records.size())
                               .arg(r.records.size() == 1 ? QString() : QStringLiteral("s"))
                         : DnsResult::statusName(r.status)));
        }
        if (detecting && r.isNegative() && type != DnsRecordType::AAAA) {
            lookup(index, type == DnsRecordType::SRV ? DnsRecordType::A : DnsRecordType::AAAA);
            return;
        }
        m_dnsDone[index] = true;
        if (r.isOk() || r.isNegative()) {
            d.result = r;
        } else {
            d.error = r.toError().message;
            if (!r.detail.isEmpty()) {
                d.error += QStringLiteral(" (") + r.detail + u')';
            }
        }
        itemDone(QStringLiteral("dns ") + d.request.name);
    });
}

// --aws-* (issue 16): one AwsDiscovery for all three; each part counts as one endpoint.
void DiscoveryRun::startAws(const DiscoveryRequest &request, int pollTimeoutMs)
{
    if (request.aws.count() == 0) {
        return;
    }
    auto *aws = new AwsDiscovery(this);
    m_aws = aws;
    const quint64 generation = m_generation;
    connect(aws, &AwsDiscovery::partDone, this, [this, aws, generation](const QString &what) {
        if (generation != m_generation || !m_running) {
            return;
        }
        m_input.aws = aws->result();
        itemDone(what);
    });
    aws->start(request.aws, pollTimeoutMs);
}

void DiscoveryRun::itemDone(const QString &what)
{
    ++m_done;
    Q_EMIT progress(m_done, m_total, what);
    if (m_done >= m_total && m_running) {
        complete();
    }
}

void DiscoveryRun::onDeadline()
{
    if (!m_running) {
        return;
    }
    const QString why = QStringLiteral("no answer within %1 ms (the hard stop)").arg(m_timeoutMs);
    if (m_aws) {
        m_input.aws = m_aws->resultSoFar(why);
    }
    for (int i = 0; i < m_input.haproxies.size(); ++i) {
        if (!m_haproxyDone[i]) {
            m_haproxyDone[i] = true;
            m_input.haproxies[i].error = why;
        }
    }
    for (int i = 0; i < m_input.envoys.size(); ++i) {
        if (!m_envoyDone[i]) {
            m_envoyDone[i] = true;
            m_input.envoys[i].error = why;
        }
    }
    for (int i = 0; i < m_input.dnsNames.size(); ++i) {
        if (!m_dnsDone[i]) {
            m_dnsDone[i] = true;
            m_input.dnsNames[i].error = why;
        }
    }
    complete();
}

void DiscoveryRun::stopAll()
{
    m_deadline.stop();
    for (const QPointer<PollingSource> &s : std::as_const(m_sources)) {
        if (s) {
            s->stop();
            s->deleteLater();
        }
    }
    m_sources.clear();
    if (m_aws) {
        m_aws->disconnect(this);
        m_aws->deleteLater(); // its requests go with it
        m_aws = nullptr;
    }
    if (m_resolver) {
        m_resolver->cancelAll();
        m_resolver.release()->deleteLater(); // may be inside its own callback
    }
}

void DiscoveryRun::complete()
{
    stopAll();
    const quint64 generation = m_generation;
    const DiscoveryInput input = m_input;
    runOffThread(
        this, [input] { return ProfileDiscovery::build(input); },
        [this, generation](const DiscoveryResult &result) {
            if (generation != m_generation) {
                return; // cancelled, or started again
            }
            m_running = false;
            Q_EMIT finished(result);
        });
}

void DiscoveryRun::cancel()
{
    if (!m_running) {
        return;
    }
    ++m_generation;
    m_running = false;
    stopAll();
    Q_EMIT cancelled();
}

} // namespace hopscope

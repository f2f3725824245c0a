#include "aws/AwsSession.h"

#include "aws/AwsCredentialChain.h"
#include "aws/AwsRequest.h"
#include "profile/ClusterProfile.h"

#include <QNetworkAccessManager>
#include <QNetworkProxy>

namespace hopscope {

namespace {
constexpr qint64 s_refreshBeforeExpirySeconds = 5 * 60;
constexpr qint64 s_maxReplyBytes = 4 << 20; // one reply page; AWS's own are far smaller
} // namespace

AwsSession::AwsSession(AwsEndpoint endpoint, QString credentialsSpec,
    QProcessEnvironment environment, QObject *parent, const Clock &clock)
    : QObject(parent)
    , m_endpoint(std::move(endpoint))
    , m_spec(std::move(credentialsSpec))
    , m_env(std::move(environment))
    , m_clock(clock)
    , m_nam(new QNetworkAccessManager(this))
{
    // Loopback emulators and VPC endpoints are reached directly; a system proxy is the
    // operator's to configure per profile later, never picked up silently.
    m_nam->setProxy(QNetworkProxy::NoProxy);
}

AwsSession::~AwsSession() = default;

AwsSession *AwsSession::fromProfile(
    const AwsSpec &spec, QObject *parent, QProcessEnvironment environment, const Clock &clock)
{
    AwsEndpoint endpoint;
    endpoint.region = spec.region.toLatin1();
    if (!spec.endpointUrl.isEmpty()) {
        endpoint.url = spec.endpointUrl;
        if (endpoint.url.path().isEmpty()) {
            endpoint.url.setPath(QStringLiteral("/")); // AWS's APIs are POST /
        }
    }
    auto *session = new AwsSession(endpoint,
        spec.credentials.isEmpty() ? QStringLiteral("default") : spec.credentials,
        std::move(environment), parent, clock);
    if (spec.usesKeyReferences() && spec.secretAccessKey) {
        session->setKeyReferences(
            AwsKeyReferences { *spec.accessKeyId, *spec.secretAccessKey, spec.sessionToken });
    }
    return session;
}

void AwsSession::setCredentials(const AwsCredentials &credentials, const QString &from)
{
    m_credentials = credentials;
    m_expiration = {};
    m_from = from;
}

bool AwsSession::fresh() const
{
    return m_credentials
        && (!m_expiration.isValid()
            || m_clock.now().secsTo(m_expiration) > s_refreshBeforeExpirySeconds);
}

void AwsSession::request(QObject *owner, const AwsCall &call, Ready ready, Failed failed)
{
    Waiting w { owner, call, std::move(ready), std::move(failed) };
    if (fresh()) {
        QMetaObject::invokeMethod(
            this, [this, w = std::move(w)]() mutable { serve(std::move(w)); },
            Qt::QueuedConnection);
        return;
    }
    m_waiting.append(std::move(w));
    resolve();
}

void AwsSession::call(
    QObject *owner, const AwsCall &c, int deadlineMs, std::function<void(const AwsResult &)> done)
{
    request(
        owner, c,
        [owner, deadlineMs, done](AwsRequest *r) {
            r->setDeadlineMs(deadlineMs);
            r->setMaxReplyBytes(s_maxReplyBytes);
            r->setFollowPages(true);
            connect(r, &AwsRequest::finished, owner, [r, done](const AwsResult &result) {
                r->deleteLater();
                done(result);
            });
            r->start();
        },
        [what = c.describe(), done](const QString &why) {
            AwsResult result;
            result.what = what;
            result.error.kind = AwsError::Kind::Credentials;
            result.error.words = why;
            done(result);
        });
}

void AwsSession::serve(Waiting w)
{
    if (!w.owner) {
        return;
    }
    if (!m_credentials) {
        return;
    }
    auto *r = new AwsRequest(m_nam, m_endpoint, *m_credentials, w.call, w.owner, m_clock);
    w.ready(r);
}

void AwsSession::dropChain()
{
    if (AwsCredentialChain *chain = m_chain) {
        m_chain = nullptr; // the next ask starts a new one
        chain->deleteLater();
    }
}

void AwsSession::resolve()
{
    if (m_chain) {
        return; // already running: the queue is served when it ends
    }
    m_chain = new AwsCredentialChain(m_spec, m_env, this, m_clock);
    if (m_refs) {
        m_chain->setKeyReferences(*m_refs);
    }
    connect(m_chain, &AwsCredentialChain::resolved, this,
        [this](const AwsCredentials &c, const QString &from, const QDateTime &expiration) {
            m_credentials = c;
            m_expiration = expiration;
            m_from = from;
            dropChain();
            const QList<Waiting> waiting = std::exchange(m_waiting, {});
            for (const Waiting &w : waiting) {
                serve(w);
            }
        });
    connect(m_chain, &AwsCredentialChain::failed, this, [this](const QString &why) {
        dropChain();
        const QList<Waiting> waiting = std::exchange(m_waiting, {});
        for (const Waiting &w : waiting) {
            if (w.owner) {
                w.failed(QStringLiteral("no AWS credentials: %1").arg(why));
            }
        }
    });
    m_chain->start();
}

} // namespace hopscope

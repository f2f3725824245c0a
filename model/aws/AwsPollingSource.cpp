#include "aws/AwsPollingSource.h"

#include "aws/AwsRequest.h"
#include "aws/AwsSession.h"

namespace hopscope {

AwsPollingSource::AwsPollingSource(QString name, AwsSession *session, QObject *parent)
    : PollingSource(std::move(name), parent)
    , m_session(session)
{ }

AwsPollingSource::~AwsPollingSource()
{
    delete m_pollScope; // the requests in flight and their callbacks go with it
}

void AwsPollingSource::startPoll()
{
    if (!m_session) {
        failPoll(makeError(SourceError::Kind::Internal, QStringLiteral("no AWS session")));
        return;
    }
    if (m_pollScope) {
        m_pollScope->deleteLater(); // what a failed poll left
    }
    m_pollScope = new QObject(this);
    makeCalls();
}

void AwsPollingSource::cancelPoll()
{
    delete m_pollScope; // the requests in flight and their callbacks go with it
    m_pollScope = nullptr;
}

void AwsPollingSource::closeScope()
{
    if (m_pollScope) {
        m_pollScope->deleteLater(); // from inside one of its requests' callbacks
        m_pollScope = nullptr;
    }
}

void AwsPollingSource::call(const AwsCall &c, std::function<void(const AwsResult &)> done)
{
    // The source's own timeout ends the poll; the request's deadline is just inside it.
    const int deadline = std::max(500, timeoutMs() - 100);
    m_session->call(m_pollScope, c, deadline, std::move(done));
}

void AwsPollingSource::step(const AwsCall &c, std::function<void(const AwsResult &)> next)
{
    call(c, [this, next](const AwsResult &result) {
        if (!result.ok()) {
            failWith(result.error.sourceKind(), result.errorText());
            return;
        }
        next(result);
    });
}

void AwsPollingSource::failWith(SourceError::Kind kind, const QString &words)
{
    closeScope();
    failPoll(makeError(kind, words));
}

void AwsPollingSource::completePoll(const QDateTime &fetchedAt)
{
    if (!m_pollScope) {
        return; // cancelled: nothing of this poll is published
    }
    closeScope();
    publish(fetchedAt);
    finishPoll();
}

QDateTime AwsPollingSource::now() const
{
    return m_session->clock().now();
}

} // namespace hopscope

#pragma once

#include "core/PollingSource.h"

#include <QDateTime>
#include <QPointer>

#include <functional>

namespace hopscope {

class AwsSession;
struct AwsCall;
struct AwsResult;

// Base of the AWS sources (ELBv2, Cloud Map, ECS): what polling an AWS API through one
// AwsSession takes, so that each source says only which calls it makes and how it folds the
// replies. Every poll gets a scope, a QObject that parents the poll's requests: cancelling the
// poll (timeout, stop, destruction) deletes it, and the requests in flight and their callbacks go
// with it. Each call's deadline is just inside the source's timeout, so the request's own words
// (throttled, refused, ...) are what the operator reads rather than a bare timeout.
// Subclasses implement makeCalls() and publish(), and end every poll with exactly one
// completePoll() or failWith().
class AwsPollingSource : public PollingSource
{
    Q_OBJECT
public:
    ~AwsPollingSource() override;

protected:
    AwsPollingSource(QString name, AwsSession *session, QObject *parent);

    // The poll's first calls; the poll's scope is open.
    virtual void makeCalls() = 0;
    // Makes the view this poll built the last complete one, fetched at `fetchedAt`, and emits it.
    virtual void publish(const QDateTime &fetchedAt) = 0;

    void startPoll() final;
    void cancelPoll() override;

    // One call in this poll's scope; `done` gets its result, whatever the outcome.
    void call(const AwsCall &call, std::function<void(const AwsResult &)> done);
    // One call of a chain: a failed result fails the poll in the API's words; `next` gets the
    // successful ones.
    void step(const AwsCall &call, std::function<void(const AwsResult &)> next);
    // Ends the poll as failed (a partial view is never published).
    void failWith(SourceError::Kind kind, const QString &words);
    // Ends the poll as complete: publish(fetchedAt), then finishPoll(). Nothing once cancelled.
    void completePoll(const QDateTime &fetchedAt);
    void completePoll() { completePoll(now()); }
    // The session's clock (tests set it).
    QDateTime now() const;

private:
    void closeScope();

    QPointer<AwsSession> m_session;
    QObject *m_pollScope = nullptr; // parent of the poll's requests; deleted on cancel
};

} // namespace hopscope

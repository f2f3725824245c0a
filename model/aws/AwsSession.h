#pragma once

#include "aws/AwsCall.h"
#include "aws/AwsCredentialChain.h"
#include "aws/SigV4.h"
#include "core/Clock.h"

#include <QDateTime>
#include <QObject>
#include <QPointer>
#include <QProcessEnvironment>

#include <functional>

class QNetworkAccessManager;

namespace hopscope {

class AwsRequest;
struct AwsSpec;
struct AwsResult;

// What every AWS source and drain layer of one profile shares: the endpoint (region, optional
// endpointUrl), one network access manager, and the credentials, found once through
// AwsCredentialChain and kept until five minutes before they expire (credential_process and SSO
// credentials do), then found again. Callers ask for a ready AwsRequest; while the chain runs,
// their requests wait in a queue (never the thread). A failed chain fails every waiting caller
// with the chain's words and is tried again on the next ask. Lives on its creator's thread.
class AwsSession : public QObject
{
    Q_OBJECT
public:
    AwsSession(AwsEndpoint endpoint, QString credentialsSpec,
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment(),
        QObject *parent = nullptr, const Clock &clock = Clock::system());
    ~AwsSession() override;

    // The session of a profile's "aws": its region and endpointUrl, and its credentials
    // ("default", "profile:NAME" or the key pair's secret references).
    static AwsSession *fromProfile(const AwsSpec &spec, QObject *parent = nullptr,
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment(),
        const Clock &clock = Clock::system());

    const AwsEndpoint &endpoint() const { return m_endpoint; }
    const Clock &clock() const { return m_clock; }
    // Where the credentials came from ("environment", "credentials file [ops]"); empty before.
    QString credentialsFrom() const { return m_from; }

    // Calls `ready` with a new, not yet started AwsRequest for `call` (parented to `owner`, which
    // also guards the callback: nothing is called once it is gone), or `failed` with why there
    // are no credentials. Never synchronously from inside request().
    using Ready = std::function<void(AwsRequest *request)>;
    using Failed = std::function<void(const QString &why)>;
    void request(QObject *owner, const AwsCall &call, Ready ready, Failed failed);

    // The usual way to call: `call` as a request with a total deadline of `deadlineMs` (pages
    // followed, replies capped), its result handed to `done` (guarded by `owner`, which also
    // parents the request). No credentials come back as a result with a Credentials error in the
    // chain's words, so callers have one failure path.
    void call(QObject *owner, const AwsCall &call, int deadlineMs,
        std::function<void(const AwsResult &result)> done);

    // Credentials to use without the chain (tests, the CLI's --aws-* flags): kept until replaced.
    void setCredentials(const AwsCredentials &credentials, const QString &from);
    // Credentials read through these secret references (aws.credentials as an object).
    void setKeyReferences(const AwsKeyReferences &refs) { m_refs = refs; }

private:
    struct Waiting
    {
        QPointer<QObject> owner;
        AwsCall call;
        Ready ready;
        Failed failed;
    };
    bool fresh() const;
    void resolve();
    void dropChain();
    void serve(Waiting w);

    AwsEndpoint m_endpoint;
    QString m_spec;
    QProcessEnvironment m_env;
    const Clock &m_clock;
    QNetworkAccessManager *m_nam;
    std::optional<AwsCredentials> m_credentials;
    QDateTime m_expiration; // invalid: long-term keys
    QString m_from;
    QPointer<AwsCredentialChain> m_chain;
    std::optional<AwsKeyReferences> m_refs;
    QList<Waiting> m_waiting;
};

} // namespace hopscope

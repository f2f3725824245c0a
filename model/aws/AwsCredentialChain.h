#pragma once

#include "aws/SigV4.h"
#include "core/Clock.h"
#include "profile/Endpoint.h"

#include <QDateTime>
#include <QMap>
#include <QObject>
#include <QPointer>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTimer>

#include <optional>

namespace hopscope {

// The shared config files' sections: name -> key -> value. In ~/.aws/credentials a section is
// "[name]"; in ~/.aws/config it is "[default]" or "[profile name]" (a config section without
// "profile " is ignored, as the SDKs do). Keys are lower-cased; "#" and ";" start comments.
using AwsIniSections = QMap<QString, QMap<QString, QString>>;
AwsIniSections parseAwsIni(const QByteArray &text, bool configFile);

// Credentials as credential_process prints them (Version 1 JSON); nullopt and *error in plain
// words (never quoting a secret) for anything else, or when Expiration has passed at `now`.
std::optional<AwsCredentials> parseCredentialProcessOutput(
    const QByteArray &json, const QDateTime &now, QDateTime *expiration, QString *error);

// aws.credentials given as secret references (env:, file:, keychain:) for the key pair.
struct AwsKeyReferences
{
    SecretRef accessKeyId;
    SecretRef secretAccessKey;
    std::optional<SecretRef> sessionToken;
};

// Finds AWS credentials the way the AWS CLI and SDKs do (docs/PROTOCOLS-2.md §6), for a
// profile's "aws.credentials": "default" is the standard chain — AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, then the profile named by AWS_PROFILE (or
// "default") in AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and AWS_CONFIG_FILE
// (~/.aws/config), static keys first, then that profile's credential_process; "profile:NAME"
// skips the environment keys and uses NAME. credential_process runs without a shell (split as
// botocore does), with a hard total deadline and a cap on what it prints; it is killed past
// either. Files are read as regular files with a size cap. Asynchronous: the GUI thread never
// waits. resolved() or failed() is emitted exactly once per start(); failed() names the
// source that was tried and why, never a secret.
class AwsCredentialChain : public QObject
{
    Q_OBJECT
public:
    AwsCredentialChain(QString spec, QProcessEnvironment environment, QObject *parent = nullptr,
        const Clock &clock = Clock::system());
    ~AwsCredentialChain() override;

    void setTimeoutMs(int ms) { m_timeoutMs = ms; }
    // Read the key pair through these references (SecretResolver) instead of the chain.
    void setKeyReferences(const AwsKeyReferences &refs) { m_refs = refs; }
    void setMaxOutputBytes(qint64 bytes) { m_maxOutput = bytes; }
    void start();

    static constexpr qint64 MaxFileBytes = 1 << 20;

Q_SIGNALS:
    // `from` says where they came from ("environment", "credentials file [ops]",
    // "credential_process of profile proc"); `expiration` is invalid for long-term keys.
    void resolved(const hopscope::AwsCredentials &credentials, const QString &from,
        const QDateTime &expiration);
    void failed(const QString &why);

private:
    void fromFiles(const QString &profile);
    void fromSections(const QString &profile, const AwsIniSections files[2],
        const QString &credentialsPath, const QString &configPath);
    void runProcess(const QString &profile, const QString &command);
    void fail(const QString &why);
    void resolveReference(int index, AwsCredentials partial);
    QString homePath(const QString &envName, const QString &defaultRelative) const;

    QString m_spec;
    QProcessEnvironment m_env;
    const Clock &m_clock;
    int m_timeoutMs = 30'000;
    qint64 m_maxOutput = 64 * 1024;
    QPointer<QProcess> m_process;
    QTimer m_deadline;
    QByteArray m_stdout;
    QByteArray m_stderr;
    QString m_processWhat;
    bool m_done = false;
    std::optional<AwsKeyReferences> m_refs;
};

} // namespace hopscope

#include "AwsCredentialChain.h"
#include "core/BoundedRead.h"

#include "core/BoundedFile.h"
#include "core/OffThread.h"
#include "ops/SecretResolver.h"

#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMetaObject>

namespace hopscope {

namespace {

constexpr qint64 MaxStderrBytes = 4096;

QString firstLines(const QByteArray &bytes, int maxChars)
{
    QString text = QString::fromUtf8(bytes).simplified();
    if (text.size() > maxChars) {
        text = text.left(maxChars) + QStringLiteral("…");
    }
    return text;
}

} // namespace

AwsIniSections parseAwsIni(const QByteArray &text, bool configFile)
{
    AwsIniSections sections;
    QString current;
    bool inSection = false;
    for (const QByteArray &raw : text.split('\n')) {
        const QString line = QString::fromUtf8(raw).trimmed();
        if (line.isEmpty() || line.startsWith(u'#') || line.startsWith(u';')) {
            continue;
        }
        if (line.startsWith(u'[') && line.endsWith(u']')) {
            QString name = line.mid(1, line.size() - 2).trimmed();
            inSection = true;
            if (configFile && name != u"default") {
                if (!name.startsWith(QStringLiteral("profile "))) {
                    inSection = false; // "[ops]" in the config file is not a profile
                    continue;
                }
                name = name.mid(8).trimmed();
            }
            current = name;
            sections[current]; // an empty section still exists
            continue;
        }
        const qsizetype eq = line.indexOf(u'=');
        if (!inSection || eq <= 0) {
            continue; // nested "sub-section" lines and stray text are not credentials
        }
        sections[current].insert(line.left(eq).trimmed().toLower(), line.mid(eq + 1).trimmed());
    }
    return sections;
}

std::optional<AwsCredentials> parseCredentialProcessOutput(
    const QByteArray &json, const QDateTime &now, QDateTime *expiration, QString *error)
{
    QJsonParseError pe {};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &pe);
    if (pe.error != QJsonParseError::NoError || !doc.isObject()) {
        *error = QStringLiteral("printed no JSON object (%1)")
                     .arg(pe.error != QJsonParseError::NoError ? pe.errorString()
                                                               : QStringLiteral("not an object"));
        return std::nullopt;
    }
    const QJsonObject o = doc.object();
    if (o.value(QStringLiteral("Version")).toInt(-1) != 1) {
        *error = QStringLiteral("printed Version %1; only Version 1 is understood")
                     .arg(o.value(QStringLiteral("Version")).toVariant().toString());
        return std::nullopt;
    }
    AwsCredentials c;
    c.accessKeyId = o.value(QStringLiteral("AccessKeyId")).toString().toUtf8();
    c.secretAccessKey = o.value(QStringLiteral("SecretAccessKey")).toString().toUtf8();
    c.sessionToken = o.value(QStringLiteral("SessionToken")).toString().toUtf8();
    if (c.accessKeyId.isEmpty() || c.secretAccessKey.isEmpty()) {
        *error = QStringLiteral("printed no %1")
                     .arg(c.accessKeyId.isEmpty() ? QStringLiteral("AccessKeyId")
                                                  : QStringLiteral("SecretAccessKey"));
        return std::nullopt;
    }
    *expiration = {};
    if (const QJsonValue e = o.value(QStringLiteral("Expiration")); !e.isUndefined()) {
        *expiration = QDateTime::fromString(e.toString(), Qt::ISODateWithMs);
        if (!expiration->isValid()) {
            *error = QStringLiteral("printed an Expiration that is no ISO 8601 time");
            return std::nullopt;
        }
        if (*expiration <= now) {
            *error = QStringLiteral("printed credentials that expired at %1")
                         .arg(expiration->toUTC().toString(Qt::ISODate));
            return std::nullopt;
        }
    }
    return c;
}

AwsCredentialChain::AwsCredentialChain(
    QString spec, QProcessEnvironment environment, QObject *parent, const Clock &clock)
    : QObject(parent)
    , m_spec(std::move(spec))
    , m_env(std::move(environment))
    , m_clock(clock)
{
    m_deadline.setSingleShot(true);
    connect(&m_deadline, &QTimer::timeout, this, [this] {
        if (m_process) {
            m_process->kill();
        }
        fail(m_processWhat
            + QStringLiteral(" gave no credentials within %1 s; it was stopped")
                  .arg(m_timeoutMs / 1000.0));
    });
}

AwsCredentialChain::~AwsCredentialChain()
{
    if (m_process) {
        m_process->disconnect(this);
        m_process->kill();
    }
}

void AwsCredentialChain::fail(const QString &why)
{
    if (m_done) {
        return;
    }
    m_done = true;
    m_deadline.stop();
    Q_EMIT failed(why);
}

QString AwsCredentialChain::homePath(const QString &envName, const QString &defaultRelative) const
{
    const QString set = m_env.value(envName);
    if (!set.isEmpty()) {
        return set.startsWith(QStringLiteral("~/"))
            ? m_env.value(QStringLiteral("HOME")) + set.mid(1)
            : set;
    }
    return m_env.value(QStringLiteral("HOME")) + u'/' + defaultRelative;
}

void AwsCredentialChain::start()
{
    m_done = false;
    // Results are emitted from the event loop, never from inside start(): a caller connects
    // after starting as safely as before.
    QMetaObject::invokeMethod(
        this,
        [this] {
            if (m_refs) {
                resolveReference(0, {});
            } else if (m_spec == u"default") {
                const QByteArray id = m_env.value(QStringLiteral("AWS_ACCESS_KEY_ID")).toUtf8();
                const QByteArray secret
                    = m_env.value(QStringLiteral("AWS_SECRET_ACCESS_KEY")).toUtf8();
                if (!id.isEmpty() && !secret.isEmpty()) {
                    AwsCredentials c { id, secret,
                        m_env.value(QStringLiteral("AWS_SESSION_TOKEN")).toUtf8() };
                    if (c.sessionToken.isEmpty()) {
                        c.sessionToken = m_env.value(QStringLiteral("AWS_SECURITY_TOKEN")).toUtf8();
                    }
                    m_done = true;
                    Q_EMIT resolved(c, QStringLiteral("environment"), {});
                    return;
                }
                if (!id.isEmpty() || !secret.isEmpty()) {
                    fail(id.isEmpty()
                            ? QStringLiteral(
                                "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not")
                            : QStringLiteral(
                                "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"));
                    return;
                }
                QString profile = m_env.value(QStringLiteral("AWS_PROFILE"));
                if (profile.isEmpty()) {
                    profile = m_env.value(
                        QStringLiteral("AWS_DEFAULT_PROFILE"), QStringLiteral("default"));
                }
                fromFiles(profile);
            } else if (m_spec.startsWith(QStringLiteral("profile:")) && m_spec.size() > 8) {
                fromFiles(m_spec.mid(8));
            } else {
                fail(QStringLiteral("aws.credentials \"%1\" is not \"default\" or \"profile:NAME\"")
                         .arg(m_spec));
            }
        },
        Qt::QueuedConnection);
}

// The key pair's references, one after the other: the access key id, the secret, the token.
void AwsCredentialChain::resolveReference(int index, AwsCredentials partial)
{
    static const char *const names[] = { "accessKeyId", "secretAccessKey", "sessionToken" };
    const SecretRef *ref = index == 0        ? &m_refs->accessKeyId
        : index == 1                         ? &m_refs->secretAccessKey
        : index == 2 && m_refs->sessionToken ? &*m_refs->sessionToken
                                             : nullptr;
    if (!ref) {
        m_done = true;
        Q_EMIT resolved(partial, QStringLiteral("secret references"), {});
        return;
    }
    const QString what = QStringLiteral("aws.credentials.%1 (%2)")
                             .arg(QLatin1String(names[index]), ref->toString());
    auto *resolver = new SecretResolver(this);
    connect(resolver, &SecretResolver::resolved, this,
        [this, resolver, index, partial, what](const QByteArray &secret) mutable {
            resolver->deleteLater();
            const QByteArray value = secret.trimmed();
            if (value.isEmpty()) {
                fail(what + QStringLiteral(" is empty"));
                return;
            }
            (index == 0          ? partial.accessKeyId
                    : index == 1 ? partial.secretAccessKey
                                 : partial.sessionToken)
                = value;
            resolveReference(index + 1, partial);
        });
    connect(resolver, &SecretResolver::failed, this, [this, resolver, what](const QString &why) {
        resolver->deleteLater();
        fail(what + QStringLiteral(": ") + why);
    });
    resolver->resolve(*ref);
}

void AwsCredentialChain::fromFiles(const QString &profile)
{
    const QString credentialsPath = homePath(
        QStringLiteral("AWS_SHARED_CREDENTIALS_FILE"), QStringLiteral(".aws/credentials"));
    const QString configPath
        = homePath(QStringLiteral("AWS_CONFIG_FILE"), QStringLiteral(".aws/config"));
    // The files are read off the GUI thread (regular files only, capped: a FIFO or a device in
    // their place is refused without waiting), then looked up here.
    struct Read
    {
        AwsIniSections files[2];
        QString error;
    };
    runOffThread(
        this,
        [credentialsPath, configPath] {
            Read r;
            const QString paths[2] = { credentialsPath, configPath };
            for (int i = 0; i < 2 && r.error.isEmpty(); ++i) {
                if (!QFileInfo::exists(paths[i])) {
                    continue;
                }
                const BoundedRead read = readRegularFile(paths[i], MaxFileBytes);
                if (!read.ok()) {
                    r.error = read.error;
                } else {
                    r.files[i] = parseAwsIni(read.data, i == 1);
                }
            }
            return r;
        },
        [this, profile, credentialsPath, configPath](const Read &r) {
            if (!r.error.isEmpty()) {
                fail(r.error);
                return;
            }
            fromSections(profile, r.files, credentialsPath, configPath);
        });
}

void AwsCredentialChain::fromSections(const QString &profile, const AwsIniSections files[2],
    const QString &credentialsPath, const QString &configPath)
{
    const QString paths[2] = { credentialsPath, configPath };
    bool known = false;
    for (int i = 0; i < 2; ++i) {
        const auto section = files[i].constFind(profile);
        if (section == files[i].constEnd()) {
            continue;
        }
        known = true;
        const QString id = section->value(QStringLiteral("aws_access_key_id"));
        const QString secret = section->value(QStringLiteral("aws_secret_access_key"));
        if (!id.isEmpty() && !secret.isEmpty()) {
            m_done = true;
            const QString from
                = QStringLiteral("%1 file [%2]")
                      .arg(i == 0 ? QStringLiteral("credentials") : QStringLiteral("config"),
                          profile);
            Q_EMIT resolved({ id.toUtf8(), secret.toUtf8(),
                                section->value(QStringLiteral("aws_session_token")).toUtf8() },
                from, {});
            return;
        }
        if (!id.isEmpty() || !secret.isEmpty()) {
            fail(QStringLiteral("profile \"%1\" in %2 has %3 but no %4")
                     .arg(profile, paths[i],
                         id.isEmpty() ? QStringLiteral("aws_secret_access_key")
                                      : QStringLiteral("aws_access_key_id"),
                         id.isEmpty() ? QStringLiteral("aws_access_key_id")
                                      : QStringLiteral("aws_secret_access_key")));
            return;
        }
    }
    const QString process = files[1].value(profile).value(QStringLiteral("credential_process"));
    if (!process.isEmpty()) {
        runProcess(profile, process);
        return;
    }
    if (!known) {
        fail(QStringLiteral("no AWS credentials: the environment has no AWS_ACCESS_KEY_ID and "
                            "there is no profile \"%1\" in %2 or %3")
                 .arg(profile, credentialsPath, configPath));
        return;
    }
    fail(QStringLiteral(
        "profile \"%1\" has neither keys nor credential_process (for SSO or role profiles, "
        "set credential_process, e.g. \"aws configure export-credentials --profile %1 --format "
        "process\")")
             .arg(profile));
}

void AwsCredentialChain::runProcess(const QString &profile, const QString &command)
{
    m_processWhat = QStringLiteral("credential_process of profile \"%1\"").arg(profile);
    const QStringList args = QProcess::splitCommand(command);
    if (args.isEmpty()) {
        fail(m_processWhat + QStringLiteral(" is empty"));
        return;
    }
    m_stdout.clear();
    m_stderr.clear();
    auto *p = new QProcess(this);
    m_process = p;
    p->setProcessEnvironment(m_env);
    connect(p, &QProcess::readyReadStandardOutput, this, [this, p] {
        m_stdout += readAvailable(*p, m_maxOutput + 1 - m_stdout.size());
        if (m_stdout.size() > m_maxOutput) {
            p->kill();
            fail(m_processWhat
                + QStringLiteral(" printed more than %1 bytes; it was stopped").arg(m_maxOutput));
        }
    });
    connect(p, &QProcess::readyReadStandardError, this, [this, p] {
        const QByteArray chunk
            = p->readAllStandardError(); // a pipe, not a file: drained to keep it flowing
        m_stderr += chunk.left(std::max<qint64>(0, MaxStderrBytes - m_stderr.size()));
    });
    connect(p, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart) {
            fail(m_processWhat + QStringLiteral(" could not be started: ")
                + m_process->errorString());
        }
    });
    connect(p, &QProcess::finished, this, [this, p](int code, QProcess::ExitStatus status) {
        p->deleteLater();
        if (m_done) {
            return;
        }
        if (status != QProcess::NormalExit || code != 0) {
            fail(m_processWhat
                + (status != QProcess::NormalExit
                        ? QStringLiteral(" crashed")
                        : QStringLiteral(" exited with code %1").arg(code))
                + (m_stderr.isEmpty() ? QString()
                                      : QStringLiteral(": ") + firstLines(m_stderr, 300)));
            return;
        }
        QString why;
        QDateTime expiration;
        const auto c = parseCredentialProcessOutput(m_stdout, m_clock.now(), &expiration, &why);
        if (!c) {
            fail(m_processWhat + u' ' + why);
            return;
        }
        m_done = true;
        m_deadline.stop();
        Q_EMIT resolved(*c, m_processWhat, expiration);
    });
    m_deadline.start(m_timeoutMs);
    p->start(args.first(), args.mid(1), QIODevice::ReadOnly);
}

} // namespace hopscope

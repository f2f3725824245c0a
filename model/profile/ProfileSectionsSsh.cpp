// The `sshHosts` section and the `via` key of load balancers, proxies, `dns` and `dnsUpdate`
// (issue 12): beside ProfileSections.cpp so that the other sections' readers stay as they are.
#include "ProfileSections.h"

#include <QRegularExpression>

namespace hopscope::profileread {

namespace {

const QRegularExpression &sshIdPattern()
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$"));
    return re;
}

// OpenSSH's SHA256 fingerprint: 32 bytes in base64 = 43 characters without the padding.
const QRegularExpression &fingerprintPattern()
{
    static const QRegularExpression re(QStringLiteral("^SHA256:[A-Za-z0-9+/]{43}=?$"));
    return re;
}

void readIdentity(Reader &r, const QJsonObject &o, const QString &path, SshHostSpec &h)
{
    const auto text = r.string(o, path, "identity", true);
    if (!text) {
        return;
    }
    const QString ipath = Reader::key(path, "identity");
    if (*text == u"agent") {
        h.agent = true;
        return;
    }
    QString why;
    const auto ref = SecretRef::parse(*text, &why);
    if (!ref) {
        r.problem(ipath, why);
    } else if (ref->kind == SecretRef::Kind::Env) {
        r.problem(ipath,
            QStringLiteral("env: cannot hold a private key; use \"file:PATH\", \"keychain:ID\" "
                           "or \"agent\""));
    } else {
        h.identity = *ref;
    }
}

void readHostKey(Reader &r, const QJsonObject &o, const QString &path, SshHostSpec &h)
{
    const bool hasKey = o.contains(QStringLiteral("hostKey"));
    const bool hasFile = o.contains(QStringLiteral("knownHosts"));
    if (hasKey && hasFile) {
        r.problem(
            path, QStringLiteral("has both \"hostKey\" and \"knownHosts\"; give exactly one"));
    } else if (!hasKey && !hasFile) {
        r.problem(path,
            QStringLiteral("has neither \"hostKey\" (SHA256:…) nor \"knownHosts\" (file:…); an "
                           "unchecked host key is never accepted"));
    }
    if (const auto key = r.string(o, path, "hostKey", false)) {
        if (!fingerprintPattern().match(key->trimmed()).hasMatch()) {
            r.problem(Reader::key(path, "hostKey"),
                QStringLiteral("\"%1\" is not an SSH SHA256 fingerprint (\"SHA256:\" and 43 "
                               "base64 characters, as `ssh-keygen -lf` prints it)")
                    .arg(key->left(80)));
        } else {
            h.hostKey = key->trimmed();
        }
    }
    if (const auto file = r.string(o, path, "knownHosts", false)) {
        if (!file->startsWith(u"file:") || file->size() <= 5) {
            r.problem(Reader::key(path, "knownHosts"),
                QStringLiteral("\"%1\" is not \"file:PATH\" of an OpenSSH known_hosts file")
                    .arg(file->left(80)));
        } else {
            h.knownHosts = file->mid(5);
        }
    }
}

} // namespace

void readSshHosts(Reader &r, const QJsonObject &root, ClusterProfile &p)
{
    const auto hosts = r.array(root, {}, "sshHosts", false);
    if (!hosts) {
        return;
    }
    QHash<QString, QString> seen;
    for (qsizetype i = 0; i < hosts->size(); ++i) {
        const QString path = Reader::index(QStringLiteral("sshHosts"), i);
        const auto ho = r.element(hosts->at(i), path);
        if (!ho) {
            continue;
        }
        SshHostSpec h;
        h.raw = *ho;
        if (const auto id = r.string(*ho, path, "id", true)) {
            if (!sshIdPattern().match(*id).hasMatch()) {
                r.problem(Reader::key(path, "id"),
                    QStringLiteral("\"%1\" is not a valid id (letters, digits, '.', '_', '-'; at "
                                   "most 63)")
                        .arg(id->left(80)));
            }
            h.id = *id;
            r.checkUnique(seen, *id, Reader::key(path, "id"));
        }
        if (const auto host = r.string(*ho, path, "host", true)) {
            if (host->contains(QRegularExpression(QStringLiteral("[\\s@/]")))) {
                r.problem(Reader::key(path, "host"),
                    QStringLiteral("\"%1\" is not a host name or address (the user goes in "
                                   "\"user\", the port in \"port\")")
                        .arg(host->left(80)));
            }
            h.host = *host;
        }
        if (const auto port = r.integer(*ho, path, "port", false, 1, 65535)) {
            h.port = quint16(*port);
        }
        h.user = r.string(*ho, path, "user", true).value_or(QString());
        readIdentity(r, *ho, path, h);
        readHostKey(r, *ho, path, h);
        p.sshHosts.append(h);
    }
}

QString readVia(Reader &r, const QJsonObject &o, const QString &path, const ClusterProfile &p)
{
    const auto via = r.string(o, path, "via", false);
    if (!via) {
        return {};
    }
    if (!p.sshHost(*via)) {
        r.problem(Reader::key(path, "via"),
            p.sshHosts.isEmpty()
                ? QStringLiteral("no sshHosts entry with id \"%1\" (the profile declares no "
                                 "sshHosts)")
                      .arg(via->left(80))
                : QStringLiteral("no sshHosts entry with id \"%1\"").arg(via->left(80)));
    }
    return *via;
}

} // namespace hopscope::profileread

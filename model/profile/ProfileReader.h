#pragma once

// The profile's JSON reader: typed getters that collect every problem with its JSON path in
// plain words instead of stopping at the first. Internal to model/profile (ProfileStore and the
// section readers in ProfileSections.cpp); not part of the engine's API.

#include "ClusterProfile.h"
#include "Endpoint.h"
#include "ProfileStore.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QRegularExpression>
#include <QString>
#include <QUrl>

#include <optional>

namespace hopscope::profileread {

// A JSON value as a user would name it in a message: "the number 3", "an array", "null".
QString describe(const QJsonValue &v);

// Reads one profile, collecting problems with their JSON paths as it goes.
class Reader
{
public:
    QList<ProfileProblem> problems;

    void problem(const QString &path, const QString &message) { problems.append({path, message}); }

    static QString key(const QString &parent, const char *name)
    {
        return parent.isEmpty() ? QString::fromLatin1(name)
                                : parent + QLatin1Char('.') + QLatin1String(name);
    }
    static QString index(const QString &parent, qsizetype i)
    {
        return parent + QLatin1Char('[') + QString::number(i) + QLatin1Char(']');
    }

    std::optional<QString> string(const QJsonObject &o, const QString &parent, const char *name,
                                  bool required)
    {
        const QString path = key(parent, name);
        const QJsonValue v = present(o, path, name, required);
        if (v.isUndefined()) {
            return std::nullopt;
        }
        if (!v.isString()) {
            problem(path, QStringLiteral("expected a string, got ") + describe(v));
            return std::nullopt;
        }
        if (v.toString().trimmed().isEmpty()) {
            problem(path, QStringLiteral("is empty"));
            return std::nullopt;
        }
        return v.toString();
    }

    // The member `name` of `o`, or undefined (a problem at `path` when it is required).
    QJsonValue present(const QJsonObject &o, const QString &path, const char *name, bool required)
    {
        const QJsonValue v = o.value(QLatin1String(name));
        if (v.isUndefined() && required) {
            problem(path, QStringLiteral("is missing"));
        }
        return v;
    }

    std::optional<bool> boolean(const QJsonObject &o, const QString &parent, const char *name)
    {
        const QJsonValue v = o.value(QLatin1String(name));
        if (v.isUndefined()) {
            return std::nullopt;
        }
        if (!v.isBool()) {
            problem(key(parent, name), QStringLiteral("expected true or false, got ") + describe(v));
            return std::nullopt;
        }
        return v.toBool();
    }

    std::optional<qint64> integer(const QJsonObject &o, const QString &parent, const char *name,
                                  bool required, qint64 min, qint64 max)
    {
        const QString path = key(parent, name);
        const QJsonValue v = present(o, path, name, required);
        if (v.isUndefined()) {
            return std::nullopt;
        }
        const double d = v.toDouble();
        if (!v.isDouble() || d != double(qint64(d))) {
            problem(path, QStringLiteral("expected a whole number, got ") + describe(v));
            return std::nullopt;
        }
        if (d < double(min) || d > double(max)) {
            problem(path, QStringLiteral("%1 is out of range (%2 to %3)")
                              .arg(qint64(d))
                              .arg(min)
                              .arg(max));
            return std::nullopt;
        }
        return qint64(d);
    }

    // Returns the object, or nullopt with a problem. Missing and not required: empty optional.
    std::optional<QJsonObject> object(const QJsonObject &o, const QString &parent, const char *name,
                                      bool required)
    {
        const QString path = key(parent, name);
        const QJsonValue v = present(o, path, name, required);
        if (v.isUndefined()) {
            return std::nullopt;
        }
        if (!v.isObject()) {
            problem(path, QStringLiteral("expected an object, got ") + describe(v));
            return std::nullopt;
        }
        return v.toObject();
    }

    std::optional<QJsonArray> array(const QJsonObject &o, const QString &parent, const char *name,
                                    bool required)
    {
        const QString path = key(parent, name);
        const QJsonValue v = present(o, path, name, required);
        if (v.isUndefined()) {
            return std::nullopt;
        }
        if (!v.isArray()) {
            problem(path, QStringLiteral("expected an array, got ") + describe(v));
            return std::nullopt;
        }
        return v.toArray();
    }

    std::optional<QJsonObject> element(const QJsonValue &v, const QString &path)
    {
        if (!v.isObject()) {
            problem(path, QStringLiteral("expected an object, got ") + describe(v));
            return std::nullopt;
        }
        return v.toObject();
    }

    std::optional<QUrl> httpUrl(const QJsonObject &o, const QString &parent, const char *name,
                                bool required)
    {
        const auto text = string(o, parent, name, required);
        if (!text) {
            return std::nullopt;
        }
        // Secrets first (user info needs "//host", so QUrl finds none that this missed); then the
        // URL may be quoted: it has none.
        if (const QString secret = secretInUrl(*text); !secret.isEmpty()) {
            problem(key(parent, name), secret);
            return std::nullopt;
        }
        const QUrl url(*text, QUrl::StrictMode);
        const QString scheme = url.scheme();
        if (!url.isValid() || (scheme != u"http" && scheme != u"https") || url.host().isEmpty()) {
            // Text with an '@' that is no URL may still hold a password ("http:/user:pw@host").
            const QString shown
                = text->contains(u'@') ? QStringLiteral("the value") : u'"' + *text + u'"';
            problem(key(parent, name),
                shown + QStringLiteral(" is not an http:// or https:// URL with a host"));
            return std::nullopt;
        }
        // QUrl takes "http://host:" as a URL without a port (the default one): a user who typed
        // the colon meant a port and forgot it.
        const qsizetype start = text->indexOf(QLatin1String("://")) + 3;
        const QString authority = text->mid(start).section(QRegularExpression(QStringLiteral("[/?#]")), 0, 0);
        if (authority.endsWith(u':')) {
            problem(key(parent, name),
                    u'"' + *text + QStringLiteral("\" has a ':' after the host but no port number"));
            return std::nullopt;
        }
        return url;
    }

    std::optional<HostPort> hostPort(const QJsonValue &v, const QString &path, quint16 defaultPort,
                                     bool ipOnly)
    {
        if (!v.isString()) {
            problem(path, QStringLiteral("expected \"HOST:PORT\", got ") + describe(v));
            return std::nullopt;
        }
        QString why;
        const auto hp = HostPort::parse(v.toString(), defaultPort, &why);
        if (!hp) {
            problem(path, QStringLiteral("\"%1\" ").arg(v.toString()) + why);
            return std::nullopt;
        }
        if (ipOnly && !hp->isIpLiteral()) {
            problem(path, QStringLiteral("\"%1\" must be an IP address and port, e.g. 127.0.0.1:53")
                              .arg(v.toString()));
            return std::nullopt;
        }
        return hp;
    }

    // Duplicate ids are reported at the second occurrence, naming the first.
    void checkUnique(QHash<QString, QString> &seen, const QString &id, const QString &path,
                     const QString &what = QStringLiteral("id \"%1\""))
    {
        const auto it = seen.constFind(id);
        if (it != seen.constEnd()) {
            problem(path, QStringLiteral("duplicate %1 (first at %2)").arg(what.arg(id), *it));
        } else {
            seen.insert(id, path);
        }
    }

    // The "id" (unique within its array) and "kind" (one of the supported values) of a load
    // balancer or proxy entry.
    void idAndKind(const QJsonObject &o, const QString &path, QHash<QString, QString> &seen,
        const char *what, std::initializer_list<QStringView> supported, QString *id, QString *kind)
    {
        if (const auto value = string(o, path, "id", true)) {
            *id = *value;
            checkUnique(seen, *value, key(path, "id"));
        }
        if (const auto value = string(o, path, "kind", true)) {
            QStringList names;
            for (QStringView s : supported) {
                names << u'"' + s.toString() + u'"';
            }
            if (!names.contains(u'"' + *value + u'"')) {
                problem(key(path, "kind"),
                    QStringLiteral("\"%1\" is not a supported %2; use %3")
                        .arg(*value, QLatin1String(what), names.join(QStringLiteral(" or "))));
            }
            *kind = *value;
        }
    }

    // False when "services" could not be read: references to services are then not checked,
    // so one broken array does not bury the real problem under a cascade.
    bool servicesKnown = true;
    bool checkServiceRef(const ClusterProfile &p, const QString &id, const QString &path)
    {
        if (servicesKnown && !p.service(id)) {
            problem(path, QStringLiteral("no service with id \"%1\"").arg(id));
            return false;
        }
        return servicesKnown;
    }
};

} // namespace hopscope::profileread

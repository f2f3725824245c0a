#include "ProfileStore.h"

#include "ProfileSections.h"
#include "core/BoundedFile.h"

#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSet>

#include <algorithm>

namespace hopscope {

using namespace profileread;

namespace {

QString lineAndColumn(const QByteArray &bytes, qsizetype offset)
{
    offset = std::clamp<qsizetype>(offset, 0, bytes.size());
    const QByteArrayView head(bytes.constData(), offset);
    const qsizetype line = head.count('\n') + 1;
    const qsizetype lastNl = head.lastIndexOf('\n');
    const qsizetype column = offset - (lastNl + 1) + 1;
    return QStringLiteral("line %1, column %2").arg(line).arg(column);
}

} // namespace

ProfileLoadResult ProfileStore::parse(const QByteArray &bytes)
{
    ProfileLoadResult result;
    const auto fail = [&](const QString &path, const QString &message) {
        result.problems.append({path, message});
        return result;
    };
    if (bytes.trimmed().isEmpty()) {
        return fail(QStringLiteral("$"), QStringLiteral("the file is empty; a profile is a JSON object"));
    }
    if (bytes.size() > MaxFileBytes) {
        return fail(QStringLiteral("$"), QStringLiteral("the file is %1 MiB; a profile is at most %2 MiB")
                                             .arg(double(bytes.size()) / (1024 * 1024), 0, 'f', 1)
                                             .arg(MaxFileBytes / (1024 * 1024)));
    }
    if (bytes.startsWith("\xFF\xFE") || bytes.startsWith("\xFE\xFF")) {
        return fail(QStringLiteral("$"), QStringLiteral("the file is UTF-16 text; save the profile as UTF-8"));
    }
    if (const qsizetype nul = bytes.indexOf('\0'); nul >= 0) {
        return fail(QStringLiteral("$"), QStringLiteral("binary data (a NUL byte at %1); a profile is JSON text")
                                             .arg(lineAndColumn(bytes, nul)));
    }
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &error);
    if (error.error != QJsonParseError::NoError) {
        return fail(QStringLiteral("$"), QStringLiteral("not valid JSON at %1: %2")
                                             .arg(lineAndColumn(bytes, error.offset), error.errorString()));
    }
    if (!doc.isObject()) {
        return fail(QStringLiteral("$"), QStringLiteral("expected a JSON object at the top, got %1")
                                             .arg(doc.isArray() ? QStringLiteral("an array") : QStringLiteral("a scalar")));
    }
    const QJsonObject root = doc.object();
    Reader r;
    ClusterProfile p;
    p.raw = root;

    // The schema decides how everything else is read: an unknown one stops here.
    const QJsonValue schema = root.value(QStringLiteral("schema"));
    if (schema.isUndefined()) {
        return fail(QStringLiteral("schema"), QStringLiteral("is missing; this hopscope reads \"schema\": 1"));
    }
    if (!schema.isDouble() || schema.toDouble() != ClusterProfile::SchemaVersion) {
        return fail(QStringLiteral("schema"),
                    QStringLiteral("%1 is not supported; this hopscope reads schema %2 (a newer hopscope may read it)")
                        .arg(schema.isDouble() ? QString::number(schema.toDouble()) : describe(schema))
                        .arg(ClusterProfile::SchemaVersion));
    }

    p.name = r.string(root, {}, "name", true).value_or(QString());
    p.observeOnly = r.boolean(root, {}, "observeOnly").value_or(false);
    p.production = r.boolean(root, {}, "production").value_or(false);
    readPoll(r, root, p);
    readSshHosts(r, root, p);
    readServices(r, root, p);
    readDns(r, root, p);
    readLoadBalancers(r, root, p);
    readProxies(r, root, p);
    readEdges(r, root, p);
    readDnsUpdate(r, root, p);
    readPrometheus(r, root, p);
    readAws(r, root, p); // after services and load balancers (ProfileSectionsAws.cpp)
    p.tls = readTls(r, root, {}, nullptr);

    result.problems = r.problems;
    if (result.problems.isEmpty()) {
        result.profile = std::move(p);
    }
    return result;
}

ProfileLoadResult ProfileStore::load(const QString &path)
{
    // Regular files only, read with a cap: /dev/zero, /dev/urandom (directly or through a
    // symlink) and FIFOs are refused before a byte is read, so they neither exhaust memory nor
    // hang.
    BoundedRead read = readRegularFile(path, MaxFileBytes);
    if (read.ok()) {
        return parse(read.data);
    }
    ProfileLoadResult result;
    QString message = read.error;
    const QFileInfo info(path);
    if (info.isFile() && info.size() > MaxFileBytes) {
        message = QStringLiteral("%1: the file is %2 MiB; a profile is at most %3 MiB")
                      .arg(path)
                      .arg(double(info.size()) / (1024 * 1024), 0, 'f', 1)
                      .arg(MaxFileBytes / (1024 * 1024));
    } else if (info.isSymLink()) {
        message += QStringLiteral(" (it is a symbolic link to %1)").arg(info.symLinkTarget());
    }
    result.problems.append({ QString(), message });
    return result;
}

bool ProfileStore::save(const ClusterProfile &profile, const QString &path, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error) {
            *error = QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
        }
        return false;
    }
    file.write(QJsonDocument(profile.toJson()).toJson(QJsonDocument::Indented));
    if (!file.commit()) {
        if (error) {
            *error = QStringLiteral("cannot save %1: %2").arg(path, file.errorString());
        }
        return false;
    }
    return true;
}

} // namespace hopscope

#include "DiscoverySave.h"

#include "profile/ProfileStore.h"

#include <QFileInfo>
#include <QJsonDocument>
#include <QStringList>

namespace hopscope {

bool saveDiscoveredProfile(
    const ClusterProfile &profile, const QString &path, bool replace, QString *error)
{
    const auto fail = [error](const QString &why) {
        if (error) {
            *error = why;
        }
        return false;
    };
    const ProfileLoadResult check = ProfileStore::parse(QJsonDocument(profile.toJson()).toJson());
    if (!check.ok()) {
        QStringList problems;
        for (const ProfileProblem &p : check.problems) {
            problems.append(p.toString());
        }
        return fail(QStringLiteral("the discovered profile is not valid, nothing written: ")
            + problems.join(QStringLiteral("; ")));
    }
    const QFileInfo info(path);
    if (!replace && (info.exists() || info.isSymLink())) {
        return fail(QStringLiteral("%1 exists; not replaced").arg(path));
    }
    return ProfileStore::save(*check.profile, path, error);
}

} // namespace hopscope

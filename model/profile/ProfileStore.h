#pragma once

#include "ClusterProfile.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

namespace hopscope {

// One problem found in a profile: where (a JSON path such as "services[2].dns.type") and what,
// in plain words. A problem with the file itself (cannot open it, not a regular file, too large)
// has no JSON path: path is empty and the message starts with the file's path.
struct ProfileProblem
{
    QString path;
    QString message;
    bool isFileProblem() const { return path.isEmpty(); }
    QString toString() const
    {
        return path.isEmpty() ? message : path + QStringLiteral(": ") + message;
    }
};

struct ProfileLoadResult
{
    std::optional<ClusterProfile> profile; // set only when there are no problems
    QList<ProfileProblem> problems;
    bool ok() const { return profile.has_value() && problems.isEmpty(); }
};

// Loads, validates and saves cluster profiles. Validation collects every problem, not just the
// first; a profile with problems is never returned half-read. Saving is atomic (QSaveFile) and
// keeps keys this version does not know. Stateless and reentrant: safe from any thread.
class ProfileStore
{
public:
    static constexpr qint64 MaxFileBytes = 4 * 1024 * 1024;

    // Reads the file through readRegularFile (never a FIFO, device or directory; at most
    // MaxFileBytes) and parses it.
    static ProfileLoadResult load(const QString &path);
    static ProfileLoadResult parse(const QByteArray &bytes);
    static bool save(const ClusterProfile &profile, const QString &path, QString *error = nullptr);
    // The same atomic write for a profile's JSON as it stands (the profile editor saves what the
    // user wrote, unknown keys and all, also while it still has problems).
    static bool saveJson(const QJsonObject &root, const QString &path, QString *error = nullptr);
};

} // namespace hopscope

#pragma once

// The JSON paths of profile problems ("services[2].dns.type", "dns.servers[0]") as addresses
// into a profile's JSON: read, set and remove the value a path names. Used by the profile editor
// to bind form fields to the same paths `profile check` reports problems at. Pure functions.

#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>

#include <optional>

namespace hopscope::jsonpath {

struct Segment
{
    QString key; // empty for an index
    qsizetype index = -1; // >= 0 for an array element
    bool isIndex() const { return index >= 0; }
};

// "a.b[2].c" → a, b, [2], c. Nullopt for text that is no such path ("", "a..b", "a[x]").
std::optional<QList<Segment>> parse(const QString &path);
QString join(const QList<Segment> &segments);

// The path without its last segment ("services[2].dns" → "services[2]", "services[2]" →
// "services", "name" → ""). Empty for an empty path.
QString parent(const QString &path);

// The value at path, or undefined when any step is missing or of another type.
QJsonValue value(const QJsonObject &root, const QString &path);

// Sets the value at path, creating missing objects on the way (an index must name an existing
// element or the one after the last). False (root unchanged) when a step is of another type.
bool setValue(QJsonObject &root, const QString &path, const QJsonValue &value);

// Removes the member or element at path; then removes objects left empty on the way up that
// are members of objects (not array elements, not the root). False when nothing was there.
bool remove(QJsonObject &root, const QString &path);

} // namespace hopscope::jsonpath

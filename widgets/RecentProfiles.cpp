#include "RecentProfiles.h"

#include <QFileInfo>
#include <QSettings>

namespace hopscope {

namespace {
const QString s_key = QStringLiteral("recentProfiles");
}

RecentProfiles::RecentProfiles(QObject *parent)
    : QObject(parent)
{
}

QStringList RecentProfiles::paths() const
{
    return QSettings().value(s_key).toStringList();
}

void RecentProfiles::add(const QString &path)
{
    const QString absolute = QFileInfo(path).absoluteFilePath();
    QStringList list = QSettings().value(s_key).toStringList();
    list.removeAll(absolute);
    list.prepend(absolute);
    while (list.size() > MaxEntries) {
        list.removeLast();
    }
    QSettings().setValue(s_key, list);
    Q_EMIT changed();
}

void RecentProfiles::remove(const QString &path)
{
    QStringList list = QSettings().value(s_key).toStringList();
    if (list.removeAll(path) > 0) {
        QSettings().setValue(s_key, list);
        Q_EMIT changed();
    }
}

void RecentProfiles::clear()
{
    QSettings().remove(s_key);
    Q_EMIT changed();
}

} // namespace hopscope

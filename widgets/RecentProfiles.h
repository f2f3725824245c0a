#pragma once

#include <QObject>
#include <QStringList>

namespace hopscope {

// The "Open Recent" list, most recent first, persisted in QSettings. A file that no longer exists
// stays listed (the menu marks it and offers to remove it: it may be on a disk not mounted yet).
// GUI thread.
class RecentProfiles : public QObject
{
    Q_OBJECT
public:
    static constexpr int MaxEntries = 10;
    explicit RecentProfiles(QObject *parent = nullptr);

    QStringList paths() const;
    void add(const QString &path);
    void remove(const QString &path);
    void clear();

Q_SIGNALS:
    void changed();
};

} // namespace hopscope

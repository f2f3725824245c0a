#pragma once

#include <QObject>
#include <QStringList>

namespace hopscope {

// The "Open Recent" list, most recent first, persisted in QSettings; files that no longer
// exist are dropped when the list is read. GUI thread.
class RecentProfiles : public QObject
{
    Q_OBJECT
public:
    static constexpr int MaxEntries = 10;
    explicit RecentProfiles(QObject *parent = nullptr);

    QStringList paths() const;
    void add(const QString &path);
    void clear();

Q_SIGNALS:
    void changed();
};

} // namespace hopscope

#pragma once

#include "traffic/TrafficRate.h"

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>
#include <vector>

namespace hopscope {

// A bounded in-memory history of traffic per key (an edge or a task): one sample per poll round,
// the last `capacity` rounds (15 minutes at the poll interval). All keys share one ring of sample
// times; each key keeps 4 floats and a status per slot (20 bytes), so 8,000 keys at a 2 s
// interval (450 slots) take about 69 MiB. A key absent from a round gets a null sample there; a key
// whose whole ring is null is dropped. Not thread-safe; lives with its TrafficTracker.
class TrafficHistory
{
public:
    struct Sample
    {
        QDateTime at;
        TrafficStatus status = TrafficStatus::NotReported;
        std::optional<double> rps;
        std::optional<double> errorRatio;
        std::optional<double> latencyMs; // p99 where the proxy gives quantiles, else the average
        std::optional<double> activeConnections;
    };

    explicit TrafficHistory(int capacity = 450);

    // Rounds that fit in `spanS` seconds at `intervalMs` (at least 2, at most 36,000).
    static int capacityFor(int intervalMs, int spanS = 15 * 60);

    int capacity() const { return m_capacity; }
    int size() const { return m_size; } // samples held (≤ capacity)
    void append(const QDateTime &at, const QHash<QString, TrafficPoint> &points);
    QList<Sample> series(const QString &key) const; // oldest first; empty for an unknown key
    QStringList keys() const { return m_rings.keys(); }

private:
    struct Slot
    {
        float rps;
        float errorRatio;
        float latencyMs;
        float activeConnections;
    };
    // Values and statuses apart: a slot with its status would be padded to 20 bytes; 10,000
    // keys at 180 slots each are 36 MB that way, 31 MB this way.
    struct Ring
    {
        std::vector<Slot> slots;
        std::vector<quint8> statuses; // TrafficStatus per slot
        int nullRun = 0; // consecutive null samples at the end
    };

    int m_capacity;
    int m_head = 0; // next slot to write
    int m_size = 0;
    std::vector<qint64> m_times; // ms since the epoch, per slot
    QHash<QString, Ring> m_rings;
};

} // namespace hopscope

#include "traffic/TrafficHistory.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hopscope {

namespace {

constexpr float s_null = std::numeric_limits<float>::quiet_NaN();

float pack(const std::optional<double> &v)
{
    return v ? float(*v) : s_null;
}

std::optional<double> unpack(float v)
{
    return std::isnan(v) ? std::nullopt : std::optional<double>(double(v));
}

bool isNull(const TrafficPoint &p)
{
    return !p.rps && !p.errorRatio && !p.activeConnections && !p.avgMs && !p.p99Ms;
}

} // namespace

TrafficHistory::TrafficHistory(int capacity)
    : m_capacity(std::max(2, capacity))
    , m_times(size_t(m_capacity), 0)
{ }

int TrafficHistory::capacityFor(int intervalMs, int spanS)
{
    if (intervalMs <= 0) {
        return 2;
    }
    const qint64 rounds = (qint64(spanS) * 1000 + intervalMs - 1) / intervalMs;
    return int(std::clamp<qint64>(rounds, 2, 36000));
}

void TrafficHistory::append(const QDateTime &at, const QHash<QString, TrafficPoint> &points)
{
    const Slot empty { s_null, s_null, s_null, s_null };
    const auto notReported = quint8(TrafficStatus::NotReported);
    for (auto it = points.cbegin(); it != points.cend(); ++it) {
        if (!m_rings.contains(it.key())) {
            Ring ring;
            ring.slots.assign(size_t(m_capacity), empty);
            ring.statuses.assign(size_t(m_capacity), notReported);
            ring.nullRun = m_size;
            m_rings.insert(it.key(), std::move(ring));
        }
    }
    const size_t slot = size_t(m_head);
    m_times[slot] = at.toMSecsSinceEpoch();
    for (auto it = m_rings.begin(); it != m_rings.end();) {
        const auto p = points.constFind(it.key());
        if (p == points.cend()) {
            it->slots[slot] = empty;
            it->statuses[slot] = notReported;
        } else {
            it->slots[slot] = Slot { pack(p->rps), pack(p->errorRatio),
                pack(p->p99Ms ? p->p99Ms : p->avgMs), pack(p->activeConnections) };
            it->statuses[slot] = quint8(p->status);
        }
        it->nullRun = (p == points.cend() || isNull(*p)) ? it->nullRun + 1 : 0;
        if (it->nullRun >= m_capacity) {
            it = m_rings.erase(it); // nothing left to show
        } else {
            ++it;
        }
    }
    m_head = (m_head + 1) % m_capacity;
    m_size = std::min(m_size + 1, m_capacity);
}

QList<TrafficHistory::Sample> TrafficHistory::series(const QString &key) const
{
    QList<Sample> out;
    const auto ring = m_rings.constFind(key);
    if (ring == m_rings.cend()) {
        return out;
    }
    out.reserve(m_size);
    const int start = (m_head - m_size + m_capacity) % m_capacity;
    for (int i = 0; i < m_size; ++i) {
        const size_t at = size_t((start + i) % m_capacity);
        const Slot &s = ring->slots[at];
        out.append(
            Sample { QDateTime::fromMSecsSinceEpoch(m_times[at], Qt::UTC),
                TrafficStatus(ring->statuses[at]), unpack(s.rps),
                unpack(s.errorRatio), unpack(s.latencyMs), unpack(s.activeConnections) });
    }
    return out;
}

} // namespace hopscope

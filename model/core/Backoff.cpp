#include "Backoff.h"

#include <QRandomGenerator>

#include <algorithm>
#include <cmath>

namespace hopscope {

Backoff::Backoff(int baseMs, int maxMs, double factor, double jitter)
    : m_baseMs(std::max(1, baseMs))
    , m_maxMs(std::max(m_baseMs, maxMs))
    , m_factor(std::max(1.0, factor))
    , m_jitter(std::clamp(jitter, 0.0, 1.0))
{
}

int Backoff::delayMs(int consecutiveFailures, QRandomGenerator *rng) const
{
    const int exponent = std::clamp(consecutiveFailures - 1, 0, 30);
    const double raw = std::min<double>(m_maxMs, m_baseMs * std::pow(m_factor, exponent));
    QRandomGenerator *gen = rng ? rng : QRandomGenerator::global();
    const double spread = raw * m_jitter;
    const double jittered = raw - spread + gen->bounded(2.0 * spread + 1e-9);
    return static_cast<int>(std::clamp<double>(jittered, 1.0, m_maxMs));
}

} // namespace hopscope

#pragma once

#include <QtGlobal>

class QRandomGenerator;

namespace hopscope {

// Capped exponential backoff with full jitter for failing polls, so that many sources that
// fail together (a dead VPC link) do not retry in lock-step. Plain value, not thread-safe.
class Backoff
{
public:
    Backoff(int baseMs = 1000, int maxMs = 60'000, double factor = 2.0, double jitter = 0.2);

    // Delay before the next attempt after `consecutiveFailures` failures (>= 1).
    // Without failures the caller uses its regular interval instead.
    int delayMs(int consecutiveFailures, QRandomGenerator *rng = nullptr) const;

    int baseMs() const { return m_baseMs; }
    int maxMs() const { return m_maxMs; }

private:
    int m_baseMs;
    int m_maxMs;
    double m_factor;
    double m_jitter; // fraction of the delay randomised (+/-)
};

} // namespace hopscope

#include "Clock.h"

namespace hopscope {

namespace {
class SystemClock final : public Clock
{
public:
    QDateTime now() const override { return QDateTime::currentDateTimeUtc(); }
};
} // namespace

const Clock &Clock::system()
{
    static const SystemClock s_clock;
    return s_clock;
}

} // namespace hopscope

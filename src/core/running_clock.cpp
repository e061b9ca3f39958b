#include "chunkswarm/core/running_clock.hpp"

namespace chunkswarm {

RunningClock::RunningClock(std::uint64_t period_ms, std::uint64_t slack_ms, std::uint64_t loop_ms)
    : period_ms_(period_ms),
      slack_ms_(slack_ms),
      last_read_ms_(loop_ms)
{
}

std::uint64_t RunningClock::read(std::uint64_t loop_ms)
{
    if (loop_ms > last_read_ms_) {
        // The period itself is counted as running: a stalled loop that wakes owes one period.
        const std::uint64_t since = loop_ms - last_read_ms_;
        if (since > period_ms_ + slack_ms_) stalled_ms_ += since - period_ms_;
        last_read_ms_ = loop_ms;
    }
    return loop_ms - stalled_ms_;
}

}  // namespace chunkswarm

// Time this process was running, as its event loop sees it. The loop reads the time at least once
// a period (a periodic timer sees to that), so a read that comes far later than a period after the
// one before means the process did not run meanwhile (SIGSTOP, a suspended VM, a debugger, a
// starved machine); that stall is not counted. Policies that judge other processes by their
// silence read this clock, so that their own stall is never evidence against anyone.
// Plain state, time passed in.
#pragma once

#include <cstdint>

namespace chunkswarm {

class RunningClock {
public:
    // A read up to `slack_ms` later than the period after the last is a busy loop, not a stall.
    RunningClock(std::uint64_t period_ms, std::uint64_t slack_ms, std::uint64_t loop_ms);

    // The running time at the loop's time `loop_ms`: `loop_ms` less every stall seen so far,
    // this read's included.
    std::uint64_t read(std::uint64_t loop_ms);
    std::uint64_t stalled_ms() const { return stalled_ms_; }

private:
    std::uint64_t period_ms_;
    std::uint64_t slack_ms_;
    std::uint64_t last_read_ms_;
    std::uint64_t stalled_ms_ = 0;
};

}  // namespace chunkswarm

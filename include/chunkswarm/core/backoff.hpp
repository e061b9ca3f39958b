// Capped exponential back-off with an overall time budget. Time is passed in, so tests need no clock.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>

namespace chunkswarm {

class Backoff {
public:
    Backoff(std::uint64_t initial_ms, std::uint64_t max_ms, std::uint64_t budget_ms)
        : initial_ms_(initial_ms),
          max_ms_(max_ms),
          budget_ms_(budget_ms),
          next_ms_(initial_ms)
    {
    }

    // The wait before the next attempt, or nullopt once the budget since the first failure is spent.
    std::optional<std::uint64_t> next_delay(std::uint64_t now_ms)
    {
        if (!first_failure_ms_) first_failure_ms_ = now_ms;
        std::uint64_t spent = now_ms - *first_failure_ms_;
        if (spent >= budget_ms_) return std::nullopt;
        std::uint64_t delay = std::min(next_ms_, budget_ms_ - spent);
        next_ms_ = std::min(next_ms_ * 2, max_ms_);
        return delay;
    }
    // After a success, the next failure starts a fresh budget from the initial delay.
    void reset()
    {
        first_failure_ms_.reset();
        next_ms_ = initial_ms_;
    }

private:
    std::uint64_t initial_ms_;
    std::uint64_t max_ms_;
    std::uint64_t budget_ms_;
    std::uint64_t next_ms_;
    std::optional<std::uint64_t> first_failure_ms_;
};

}  // namespace chunkswarm

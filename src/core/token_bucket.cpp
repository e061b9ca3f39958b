#include "chunkswarm/core/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace chunkswarm {

TokenBucket::TokenBucket(std::uint64_t bytes_per_second, std::uint64_t burst_bytes)
    : rate_(bytes_per_second),
      burst_(static_cast<double>(std::max<std::uint64_t>(burst_bytes, 1))),
      tokens_(burst_)
{
}

void TokenBucket::refill(std::uint64_t now_ms)
{
    if (!started_) {
        started_ = true;
        last_ms_ = now_ms;
        return;
    }
    if (now_ms <= last_ms_) return;
    tokens_ = std::min(burst_, tokens_ + static_cast<double>(rate_) * static_cast<double>(now_ms - last_ms_) / 1000.0);
    last_ms_ = now_ms;
}

bool TokenBucket::try_take(std::uint64_t bytes, std::uint64_t now_ms)
{
    if (!capped()) return true;
    refill(now_ms);
    if (tokens_ <= 0) return false;
    tokens_ -= static_cast<double>(bytes);
    return true;
}

void TokenBucket::spend(std::uint64_t bytes, std::uint64_t now_ms)
{
    if (!capped()) return;
    refill(now_ms);
    tokens_ -= static_cast<double>(bytes);
}

std::uint64_t TokenBucket::wait_ms(std::uint64_t now_ms)
{
    if (!capped()) return 0;
    refill(now_ms);
    if (tokens_ > 0) return 0;
    // The first whole millisecond at which the debt is paid and a token is back.
    return static_cast<std::uint64_t>(std::floor(-tokens_ * 1000.0 / static_cast<double>(rate_))) + 1;
}

}  // namespace chunkswarm

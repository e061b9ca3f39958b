#include "chunkswarm/net/rate_cap.hpp"

#include <uv.h>

namespace chunkswarm::net {

std::uint64_t RateCap::spend(std::size_t bytes)
{
    // uv_hrtime, not a loop's cached time: the connections sharing the cap run on different loops.
    const std::uint64_t now_ms = uv_hrtime() / 1'000'000;
    std::lock_guard lock(mutex_);
    bucket_.spend(bytes, now_ms);
    return bucket_.wait_ms(now_ms);
}

}  // namespace chunkswarm::net

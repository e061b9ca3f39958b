// A cap on what a process reads, shared by connections on different loops and threads (a peer
// takes its share from the owner on one thread while it trades on another): a TokenBucket behind
// a mutex, on one monotonic clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>

#include "chunkswarm/core/token_bucket.hpp"

namespace chunkswarm::net {

class RateCap {
public:
    explicit RateCap(std::uint64_t bytes_per_second) : bucket_(bytes_per_second, burst_for(bytes_per_second)) {}
    bool capped() const { return bucket_.capped(); }
    // Counts `bytes` just read; returns how long reading should pause (0: not at all).
    std::uint64_t spend(std::size_t bytes);

private:
    std::mutex mutex_;
    TokenBucket bucket_;  // guarded by mutex_
};

}  // namespace chunkswarm::net

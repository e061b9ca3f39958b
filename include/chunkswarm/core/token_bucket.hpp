// A rate cap, free of I/O and clocks: the caller says what time it is. Holds a flow of bytes to
// `bytes_per_second` on average; after an idle spell at most `burst` bytes go at once. A send may
// take more than is left (a chunk goes whole), leaving a debt that later sends wait out, so the
// average holds without splitting anything.
#pragma once

#include <algorithm>
#include <cstdint>

namespace chunkswarm {

// The burst a cap allows after an idle spell: a twentieth of a second's worth, at least 128 KiB
// (a chunk goes whole anyway), so that a cap holds within a few per cent over a few seconds.
inline std::uint64_t burst_for(std::uint64_t bytes_per_second)
{
    return std::max<std::uint64_t>(bytes_per_second / 20, 128 * 1024);
}

class TokenBucket {
public:
    // A rate of 0 is no cap.
    TokenBucket(std::uint64_t bytes_per_second, std::uint64_t burst_bytes);
    bool capped() const { return rate_ > 0; }
    // Takes `bytes` and says yes when anything is left at `now_ms`; no (taking nothing) when the
    // bucket is empty or in debt.
    bool try_take(std::uint64_t bytes, std::uint64_t now_ms);
    // Takes bytes that have already gone (a socket read): the bucket may go into debt.
    void spend(std::uint64_t bytes, std::uint64_t now_ms);
    // How long from `now_ms` until try_take() says yes: 0 when it would now.
    std::uint64_t wait_ms(std::uint64_t now_ms);

private:
    void refill(std::uint64_t now_ms);

    std::uint64_t rate_;
    double burst_;
    double tokens_;  // may be negative: a debt
    std::uint64_t last_ms_ = 0;
    bool started_ = false;
};

}  // namespace chunkswarm

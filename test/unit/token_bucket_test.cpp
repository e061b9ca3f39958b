// The rate cap on a fake clock: what a flow that always wants more gets over time.
#include <doctest/doctest.h>

#include <algorithm>
#include <initializer_list>

#include "chunkswarm/core/token_bucket.hpp"

using namespace chunkswarm;

namespace {

// Sends `chunk`-byte pieces whenever the bucket allows, waking exactly when it says to, for
// `seconds` of fake time; returns the bytes sent.
std::uint64_t send_greedily(TokenBucket& bucket, std::uint64_t chunk, std::uint64_t start_ms, std::uint64_t seconds)
{
    std::uint64_t sent = 0;
    std::uint64_t now = start_ms;
    const std::uint64_t end = start_ms + seconds * 1000;
    while (now < end) {
        if (bucket.try_take(chunk, now)) {
            sent += chunk;
        } else {
            now += bucket.wait_ms(now);
        }
    }
    return sent;
}

}  // namespace

TEST_CASE("no cap lets everything through at once")
{
    TokenBucket bucket(0, 0);
    CHECK_FALSE(bucket.capped());
    for (int i = 0; i < 1000; ++i)
        CHECK(bucket.try_take(1 << 20, 5));
    CHECK(bucket.wait_ms(5) == 0);
}

TEST_CASE("a flow that always wants more gets the rate, within a burst and a chunk")
{
    for (std::uint64_t rate : {100'000u, 1'000'000u, 12'500'000u}) {
        CAPTURE(rate);
        const std::uint64_t chunk = 102400;
        const std::uint64_t burst = std::max<std::uint64_t>(rate / 10, chunk);
        TokenBucket bucket(rate, burst);
        const std::uint64_t sent = send_greedily(bucket, chunk, 1000, 20);
        CHECK(sent + chunk >= 20 * rate);
        CHECK(sent <= 20 * rate + burst + chunk);
    }
}

TEST_CASE("an empty bucket says when it will allow again, to the millisecond")
{
    TokenBucket bucket(1000, 100);     // a byte a millisecond
    REQUIRE(bucket.try_take(350, 0));  // 100 held: goes, 250 in debt
    CHECK_FALSE(bucket.try_take(1, 0));
    const std::uint64_t wait = bucket.wait_ms(0);
    CHECK(wait == 251);
    CHECK_FALSE(bucket.try_take(1, wait - 1));  // the debt is paid but no token is back yet
    CHECK(bucket.wait_ms(wait - 1) == 1);
    CHECK(bucket.try_take(1, wait));
}

TEST_CASE("an idle spell saves up at most one burst")
{
    TokenBucket bucket(1000, 500);
    REQUIRE(bucket.try_take(500, 0));
    // A minute idle: 60,000 bytes' worth of time, but only 500 may go before the rate holds again.
    std::uint64_t sent = 0;
    while (bucket.try_take(100, 60'000))
        sent += 100;
    CHECK(sent == 500);
    CHECK(bucket.wait_ms(60'000) == 1);
}

TEST_CASE("a clock that stands still or steps back gives nothing")
{
    TokenBucket bucket(1000, 100);
    REQUIRE(bucket.try_take(100, 5000));
    CHECK_FALSE(bucket.try_take(1, 5000));
    CHECK_FALSE(bucket.try_take(1, 4000));
    CHECK(bucket.try_take(1, 5001));
}

TEST_CASE("bytes already read are spent even into debt, and reading waits it out")
{
    TokenBucket bucket(1'000'000, burst_for(1'000'000));
    std::uint64_t now = 0;
    std::uint64_t read = 0;
    // A reader that takes 64 KiB whenever the bucket has anything, for 5 s of fake time.
    while (now < 5000) {
        if (std::uint64_t wait = bucket.wait_ms(now); wait > 0) {
            now += wait;
            continue;
        }
        bucket.spend(65536, now);
        read += 65536;
    }
    CHECK(read >= 5 * 1'000'000);
    CHECK(read <= 5 * 1'000'000 + burst_for(1'000'000) + 65536);
}

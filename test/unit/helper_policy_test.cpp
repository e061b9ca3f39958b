// When a peer downloads from a helper beside its neighbour, and when it stops.
#include <doctest/doctest.h>

#include "chunkswarm/helper_policy.hpp"

using namespace chunkswarm;
using Advice = HelperPolicy::Advice;
using Helper = HelperPolicy::Helper;

namespace {

HelperPolicy::Tick tick(std::uint64_t neighbour, std::uint64_t helper = 0, std::uint64_t other = 0, bool owes = false,
                        bool owner_dealing = false)
{
    return HelperPolicy::Tick{neighbour, helper, other, true, owes, owner_dealing};
}

}  // namespace

TEST_CASE("with equal links the neighbour is never slow: no helper")
{
    HelperPolicy policy;
    for (int i = 0; i < 100; ++i)
        CHECK(policy.tick(tick(1'000'000 + (i % 3) * 200'000, 0, i < 5 ? 300'000 : 0)) == Advice::keep);
    CHECK(policy.helper() == Helper::none);
}

TEST_CASE("a neighbour under a quarter of the best rate for two ticks brings a peer helper, then the owner")
{
    HelperPolicy policy;
    CHECK(policy.tick(tick(2'000'000, 0, 2'000'000)) == Advice::keep);  // with the owner's share: the best
    CHECK(policy.tick(tick(500'000)) == Advice::keep);
    CHECK(policy.tick(tick(500'000)) == Advice::start);
    CHECK(policy.helper() == Helper::peer);
    // While the owner still deals this peer its share, its upload is busy: never the owner.
    for (int i = 0; i < 10; ++i)
        CHECK(policy.tick(tick(100'000, 200'000, 0, true, true)) == Advice::keep);
    CHECK(policy.helper() == Helper::peer);
    // The share is in; the neighbour owes what only it holds, and the two fall short.
    CHECK(policy.tick(tick(100'000, 200'000, 0, true)) == Advice::keep);
    CHECK(policy.tick(tick(100'000, 200'000, 0, true)) == Advice::start);
    CHECK(policy.helper() == Helper::owner);
    // The owner delivers: kept while the neighbour stays slow.
    for (int i = 0; i < 20; ++i)
        CHECK(policy.tick(tick(100'000, 3'000'000, 0, true)) == Advice::keep);
    // Complete: dropped.
    CHECK(policy.tick(HelperPolicy::Tick{0, 0, 0, false, false}) == Advice::drop);
    CHECK(policy.helper() == Helper::none);
}

TEST_CASE("a starved neighbour (owing nothing) keeps the peer helper; a recovered one drops it")
{
    HelperPolicy policy;
    policy.tick(tick(4'000'000));
    policy.tick(tick(0));
    REQUIRE(policy.tick(tick(0)) == Advice::start);
    for (int i = 0; i < 10; ++i)
        CHECK(policy.tick(tick(0, 100'000, 0, false)) == Advice::keep);  // both slow, but nothing is owed
    CHECK(policy.helper() == Helper::peer);
    for (std::uint32_t i = 1; i < HelperPolicy::Tuning{}.recovered_ticks; ++i)
        CHECK(policy.tick(tick(3'000'000, 100'000)) == Advice::keep);
    CHECK(policy.tick(tick(3'000'000, 100'000)) == Advice::drop);
}

TEST_CASE("after a helper fails, none is advised for the cooldown")
{
    HelperPolicy::Tuning tuning;
    tuning.cooldown_ticks = 5;
    HelperPolicy policy(tuning);
    policy.tick(tick(4'000'000));
    policy.tick(tick(0));
    REQUIRE(policy.tick(tick(0)) == Advice::start);
    policy.stopped(/*failed=*/true);
    CHECK(policy.helper() == Helper::none);
    int keeps = 0;
    while (policy.tick(tick(0)) == Advice::keep)
        ++keeps;
    CHECK(keeps == 4);
}

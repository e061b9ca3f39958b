// When a peer downloads from a helper beside its neighbour, and when it stops.
#include <doctest/doctest.h>

#include <vector>

#include "chunkswarm/core/helper_policy.hpp"

using namespace chunkswarm;
using Advice = HelperPolicy::Advice;
using Helper = HelperPolicy::Helper;

namespace {

// By default the neighbour gains nothing itself and waits for what it asked for (its own
// download is slow).
HelperPolicy::Tick tick(std::uint64_t neighbour, std::uint64_t helper = 0, std::uint64_t other = 0, bool owes = false,
                        bool owner_dealing = false, std::uint64_t neighbour_gained = 0, bool waits = true)
{
    return HelperPolicy::Tick{.neighbour_bytes = neighbour,
                              .helper_bytes = helper,
                              .other_bytes = other,
                              .lacking = true,
                              .neighbour_owes = owes,
                              .neighbour_gained_bytes = neighbour_gained,
                              .neighbour_waits = waits,
                              .owner_dealing = owner_dealing};
}

}  // namespace

TEST_CASE("with equal links the neighbour is never slow: no helper")
{
    HelperPolicy policy;
    for (int i = 0; i < 100; ++i)
        CHECK(policy.tick(tick(1'000'000 + (i % 3) * 200'000, 0, i < 5 ? 300'000 : 0)) == Advice::keep);
    CHECK(policy.helper() == Helper::none);
}

TEST_CASE("on a capped link a neighbour delivering in bursts is not slow: rates are taken over a window")
{
    HelperPolicy policy;
    // 2 MB/s in ticks of 250 ms: 500 kB a tick at best, so a window of five ticks holds 2 MiB.
    const std::uint64_t bursts[] = {600'000, 100'000, 100'000, 700'000, 500'000, 100'000, 0, 600'000};
    for (int i = 0; i < 200; ++i)
        CHECK(policy.tick(tick(bursts[i % 8])) == Advice::keep);
    CHECK(policy.window_ticks() == 3);  // 700 kB at best: three ticks hold 2 MiB
    CHECK(policy.helper() == Helper::none);
    // Really slow now (a tenth of the rate): a helper once the window shows it, twice in a row.
    int ticks = 0;
    while (policy.tick(tick(50'000)) == Advice::keep)
        ++ticks;
    CHECK(ticks == 3);
    CHECK(policy.helper() == Helper::peer);
}

TEST_CASE("with a known download cap, a neighbour far below it is slow although nothing faster was seen")
{
    HelperPolicy::Tuning tuning;
    tuning.capacity_per_tick = 500'000;  // 2 MB/s in ticks of 250 ms
    HelperPolicy policy(tuning);
    // A slow upload: 50 kB a tick while it owes, from the very start.
    int ticks = 0;
    while (policy.tick(tick(50'000, 0, 5'000, /*owes=*/true)) == Advice::keep && ticks < 20)
        ++ticks;
    CHECK(ticks == 5);  // five ticks fill the window (2 MiB at 500 kB), two short windows in a row
    CHECK(policy.helper() == Helper::peer);
    // Without the cap it had nothing to compare with: no helper.
    HelperPolicy blind;
    for (int i = 0; i < 40; ++i)
        CHECK(blind.tick(tick(50'000, 0, 5'000, /*owes=*/true)) == Advice::keep);
}

TEST_CASE("a neighbour under a quarter of the best rate for two ticks brings a peer helper, then more sources")
{
    HelperPolicy policy;
    CHECK(policy.tick(tick(2'000'000, 0, 2'000'000)) == Advice::keep);  // with the owner's share: the best
    CHECK(policy.tick(tick(500'000)) == Advice::keep);
    CHECK(policy.tick(tick(500'000)) == Advice::start);
    CHECK(policy.helper() == Helper::peer);
    CHECK(policy.peer_helpers() == 1);
    // The neighbour owes what it holds, and with the helper still falls short: while the owner
    // deals this peer its share (its upload busy), peers further up, one at a time, up to the most.
    const std::uint32_t most = HelperPolicy::Tuning{}.max_peer_helpers;
    std::vector<int> starts;
    for (int i = 0; i < 30; ++i)
        if (policy.tick(tick(100'000, 200'000, 0, /*owes=*/true, /*owner_dealing=*/true)) == Advice::start)
            starts.push_back(i);
    std::vector<int> every_other;  // two ticks in a row short, each time
    for (std::uint32_t i = 1; i < most; ++i)
        every_other.push_back(static_cast<int>(2 * i - 1));
    CHECK(starts == every_other);
    CHECK(policy.peer_helpers() == most);
    CHECK_FALSE(policy.owner_helps());
    // The share is in: the owner, last.
    CHECK(policy.tick(tick(100'000, 200'000, 0, true)) == Advice::keep);
    CHECK(policy.tick(tick(100'000, 200'000, 0, true)) == Advice::start);
    CHECK(policy.helper() == Helper::owner);
    CHECK(policy.owner_helps());
    for (int i = 0; i < 10; ++i)
        CHECK(policy.tick(tick(100'000, 200'000, 0, true)) == Advice::keep);  // nothing more to add
    // One peer helper gone: the others and the owner go on, and another may come.
    policy.ended(Helper::peer, HelperPolicy::End::failed);
    CHECK(policy.peer_helpers() == most - 1);
    CHECK(policy.tick(tick(100'000, 200'000, 0, true)) == Advice::keep);
    CHECK(policy.tick(tick(100'000, 200'000, 0, true)) == Advice::start);
    CHECK(policy.helper() == Helper::peer);
    // The sources together deliver enough: kept while the neighbour stays slow.
    for (int i = 0; i < 20; ++i)
        CHECK(policy.tick(tick(100'000, 3'000'000, 0, true)) == Advice::keep);
    // Complete: every helper dropped.
    CHECK(policy.tick(HelperPolicy::Tick{.lacking = false}) == Advice::drop);
    CHECK(policy.helper() == Helper::none);
    CHECK(policy.peer_helpers() == 0);
    CHECK_FALSE(policy.owner_helps());
}

TEST_CASE("with helpers, more are added while the sources deliver under three quarters of the best rate")
{
    HelperPolicy policy;
    policy.tick(tick(2'000'000));
    policy.tick(tick(2'000'000));  // 2 MB a tick at best, over a window of two ticks
    int ticks = 0;
    while (policy.tick(tick(200'000, 0, 0, /*owes=*/true, /*owner_dealing=*/true)) == Advice::keep && ticks < 10)
        ++ticks;
    REQUIRE(policy.peer_helpers() == 1);
    // 1.4 MB a tick together, over half the best but under three quarters: one more peer.
    CHECK(policy.tick(tick(200'000, 1'200'000, 0, true, true)) == Advice::keep);
    CHECK(policy.tick(tick(200'000, 1'200'000, 0, true, true)) == Advice::start);
    CHECK(policy.peer_helpers() == 2);
    // 1.6 MB a tick: enough; none added while the owner deals.
    for (int i = 0; i < 20; ++i)
        CHECK(policy.tick(tick(200'000, 1'400'000, 0, true, true)) == Advice::keep);
    // The owner has dealt this peer its share: it is asked, since the neighbour alone still
    // delivers under half the best rate, whatever the peer helpers give (what only the neighbour
    // holds, they cannot give).
    CHECK(policy.tick(tick(200'000, 1'800'000, 0, true)) == Advice::keep);
    CHECK(policy.tick(tick(200'000, 1'800'000, 0, true)) == Advice::start);
    CHECK(policy.helper() == Helper::owner);
    CHECK(policy.peer_helpers() == 2);
    // The neighbour owes nothing more: no source added, however little comes.
    for (int i = 0; i < 20; ++i)
        CHECK(policy.tick(tick(100'000, 100'000)) == Advice::keep);
}

TEST_CASE("a neighbour starved by its own download brings a helper while the owner deals, if this peer takes in more")
{
    HelperPolicy policy;
    // This peer takes in 4 MB a tick, mostly the owner's share; the neighbour gains 0.3 MB a
    // tick with a backlog (its download capped) and passes on what it gains.
    CHECK(policy.tick(tick(300'000, 0, 3'700'000, false, /*owner_dealing=*/true, 300'000)) == Advice::keep);
    CHECK(policy.tick(tick(300'000, 0, 3'700'000, false, true, 300'000)) == Advice::start);
    CHECK(policy.helper() == Helper::peer);
    // The same neighbour while this peer, too, takes in little: both wait on the owner, none.
    HelperPolicy both_wait;
    both_wait.tick(tick(4'000'000));
    for (int i = 0; i < 20; ++i)
        CHECK(both_wait.tick(tick(300'000, 0, 200'000, false, /*owner_dealing=*/true, 300'000)) == Advice::keep);
    CHECK(both_wait.helper() == Helper::none);
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

TEST_CASE("a neighbour that owes nothing and gains chunks fast has passed on all it got: no helper")
{
    HelperPolicy policy;
    policy.tick(tick(4'000'000));
    // It gains as fast as this peer has taken in at best: a peer further up has no more to give.
    for (int i = 0; i < 20; ++i)
        CHECK(policy.tick(tick(0, 0, 0, /*owes=*/false, /*owner_dealing=*/false, 4'000'000)) == Advice::keep);
    CHECK(policy.helper() == Helper::none);
    // Gaining slowly while the owner still deals this peer: maybe waiting on the owner, no helper.
    for (int i = 0; i < 20; ++i)
        CHECK(policy.tick(tick(0, 0, 0, /*owes=*/false, /*owner_dealing=*/true, 0)) == Advice::keep);
    // Gaining slowly with nothing much asked for: the ring drains at the end, no helper.
    for (int i = 0; i < 20; ++i)
        CHECK(policy.tick(tick(0, 0, 0, /*owes=*/false, /*owner_dealing=*/false, 0, /*waits=*/false)) == Advice::keep);
    CHECK(policy.helper() == Helper::none);
    // Once it owes what it holds, it is slow: a helper.
    CHECK(policy.tick(tick(0, 0, 0, /*owes=*/true, /*owner_dealing=*/true, 4'000'000)) == Advice::keep);
    CHECK(policy.tick(tick(0, 0, 0, /*owes=*/true, /*owner_dealing=*/true, 4'000'000)) == Advice::start);
}

TEST_CASE("after the last helper fails, none is advised for the cooldown")
{
    HelperPolicy::Tuning tuning;
    tuning.cooldown_ticks = 5;
    HelperPolicy policy(tuning);
    policy.tick(tick(4'000'000));
    policy.tick(tick(0));
    REQUIRE(policy.tick(tick(0)) == Advice::start);
    // A helper that could not start (no such peer known) is no failure: tried again at once.
    policy.ended(Helper::peer, HelperPolicy::End::no_fault);
    CHECK(policy.helper() == Helper::none);
    CHECK(policy.tick(tick(0)) == Advice::keep);
    REQUIRE(policy.tick(tick(0)) == Advice::start);
    // The last helper failing starts the cooldown.
    policy.ended(Helper::peer, HelperPolicy::End::failed);
    CHECK(policy.helper() == Helper::none);
    int keeps = 0;
    while (policy.tick(tick(0)) == Advice::keep)
        ++keeps;
    CHECK(keeps == 4);
}

// The sans-I/O parts of routing around gone peers: whom a peer downloads from next, when the
// owner gives up on a peer, when a complete peer may leave, and what a gone peer's share becomes.
#include <doctest/doctest.h>

#include "chunkswarm/core/config.hpp"
#include "chunkswarm/core/downstream_watch.hpp"
#include "chunkswarm/core/peer_roster.hpp"
#include "chunkswarm/core/running_clock.hpp"
#include "chunkswarm/core/shares.hpp"
#include "chunkswarm/core/upstream_route.hpp"
#include "test_ids.hpp"

using namespace chunkswarm;

namespace {

PeerRef peer(std::uint32_t id)
{
    return PeerRef{PeerId(id), Endpoint{"127.0.0.1", static_cast<std::uint16_t>(7100 + id)}};
}

}  // namespace

TEST_CASE("a route goes upstream one gone peer at a time, then to the owner")
{
    // Peer 4 of a five-peer ring: 3, 2, 1, 5 upstream in that order.
    UpstreamRoute route(4_peer, {peer(3), peer(2), peer(1), peer(5)});
    REQUIRE(route.current());
    CHECK(route.current()->id == 3_peer);
    CHECK(route.at_first());
    CHECK(route.skipped().empty());
    CHECK_FALSE(route.ever_skipped());
    // Helpers come from further up, in order.
    CHECK(route.after_current()->id == 2_peer);
    CHECK(route.after_current(3)->id == 5_peer);
    CHECK(route.after_current(4) == nullptr);
    // A peer named by the owner's hint is found only beyond the current one.
    CHECK(route.beyond_current(1_peer)->id == 1_peer);
    CHECK(route.beyond_current(3_peer) == nullptr);
    CHECK(route.beyond_current(9_peer) == nullptr);
    CHECK(route.skip()->id == 2_peer);
    CHECK(route.after_current()->id == 1_peer);
    CHECK_FALSE(route.at_first());
    CHECK(route.skipped() == test::peer_ids({3}));
    CHECK(route.skip()->id == 1_peer);
    CHECK(route.skip()->id == 5_peer);
    CHECK(route.skip() == nullptr);  // the owner
    CHECK(route.skipped() == test::peer_ids({3, 2, 1, 5}));
    CHECK(route.skip() == nullptr);
    route.restart();
    CHECK(route.current()->id == 3_peer);
    CHECK(route.skipped().empty());
    CHECK(route.ever_skipped());  // back at the neighbour, which was seen to go
}

TEST_CASE("in the plain form a route learns the ring from the peers, and never loops back to itself")
{
    UpstreamRoute route(4_peer, {peer(3)});
    CHECK_FALSE(route.learn(2_peer, peer(1)));  // only the last peer known may extend the route
    CHECK(route.learn(3_peer, peer(2)));
    CHECK_FALSE(route.learn(3_peer, peer(9)));  // 3 is no longer the last
    CHECK(route.learn(2_peer, peer(1)));
    CHECK_FALSE(route.learn(1_peer, peer(3)));  // already known
    CHECK(route.learn(1_peer, peer(5)));
    CHECK_FALSE(route.learn(5_peer, peer(4)));  // that is this peer: the ring is closed
    CHECK(route.skip()->id == 2_peer);
    CHECK(route.skip()->id == 1_peer);
    CHECK(route.skip()->id == 5_peer);
    CHECK(route.skip() == nullptr);
}

TEST_CASE("a config's ring, seen from one peer, lists every other peer upstream in order")
{
    SwarmConfig config;
    for (std::uint32_t id = 1; id <= 5; ++id)
        config.peers.push_back(PeerConfig{PeerId(id), peer(id).endpoint, PeerId(id == 1 ? 5u : id - 1), ""});
    std::vector<PeerId> ids;
    for (const PeerRef& p : upstream_ring(config, 4_peer))
        ids.push_back(p.id);
    CHECK(ids == test::peer_ids({3, 2, 1, 5}));
    CHECK(upstream_ring(config, 9_peer).empty());
}

TEST_CASE("a complete peer leaves when its downstream, or a peer in its place, is complete")
{
    DownstreamWatch watch(5_peer, 10'000);
    watch.on_activity(1'000);
    watch.on_client_done(5_peer, Done{.complete = true}, {});
    CHECK(watch.verdict(1'000) == DownstreamWatch::Verdict::stay);  // not complete itself yet
    watch.on_self_complete(2'000);
    CHECK(watch.verdict(2'000) == DownstreamWatch::Verdict::downstream_complete);

    DownstreamWatch detour(5_peer, 10'000);
    detour.on_self_complete(0);
    detour.on_client_done(7_peer, Done{.complete = true}, {});  // some other client: not the downstream
    CHECK(detour.verdict(100) == DownstreamWatch::Verdict::stay);
    detour.on_client_done(1_peer, Done{.complete = true},
                          {5_peer});  // peer 1 routes around peer 5, this peer's upload neighbour
    CHECK(detour.verdict(100) == DownstreamWatch::Verdict::downstream_complete);

    DownstreamWatch plain(std::nullopt, 10'000);  // the original brief's plain form: any complete client will do
    plain.on_self_complete(0);
    plain.on_client_done(42_peer, Done{.complete = true}, {});
    CHECK(plain.verdict(0) == DownstreamWatch::Verdict::downstream_complete);
}

TEST_CASE("a complete peer stays while a client still connected to it wants something, whoever says complete")
{
    DownstreamWatch watch(5_peer, 10'000);
    watch.on_self_complete(0);
    watch.on_session_opened(5_peer);  // its upload neighbour, still downloading
    watch.on_session_opened(6_peer);  // peer 6, which took peer 5 for gone, routes around it
    watch.on_activity(1'000);
    watch.on_client_done(6_peer, Done{.complete = true}, {5_peer});
    CHECK(watch.verdict(1'000) == DownstreamWatch::Verdict::stay);
    watch.on_client_done(5_peer, Done{.complete = false},
                         {});  // done with this side, not complete: wants nothing more here
    CHECK(watch.verdict(1'000) == DownstreamWatch::Verdict::downstream_complete);

    DownstreamWatch reconnect(5_peer, 10'000);
    reconnect.on_self_complete(0);
    reconnect.on_session_opened(4_peer);
    reconnect.on_client_done(4_peer, Done{.complete = false}, {});
    reconnect.on_session_opened(4_peer);  // back on a new session: it wants something again
    reconnect.on_client_done(5_peer, Done{.complete = true}, {});
    CHECK(reconnect.verdict(0) == DownstreamWatch::Verdict::stay);
    reconnect.on_session_closed(4_peer);
    CHECK(reconnect.verdict(0) == DownstreamWatch::Verdict::stay);  // one of its two sessions is still open
    reconnect.on_session_closed(4_peer);
    CHECK(reconnect.verdict(0) == DownstreamWatch::Verdict::downstream_complete);

    // A client that holds on but says nothing does not keep it for ever.
    DownstreamWatch silent(5_peer, 10'000);
    silent.on_self_complete(0);
    silent.on_session_opened(3_peer);
    silent.on_client_done(5_peer, Done{.complete = true}, {});
    CHECK(silent.verdict(9'999) == DownstreamWatch::Verdict::stay);
    CHECK(silent.verdict(10'000) == DownstreamWatch::Verdict::idle);
}

TEST_CASE("a complete peer nobody asks anything of leaves after the idle time, counted from the last sign of life")
{
    DownstreamWatch watch(5_peer, 10'000);
    watch.on_self_complete(50'000);
    CHECK(watch.verdict(59'999) == DownstreamWatch::Verdict::stay);
    watch.on_activity(55'000);
    CHECK(watch.verdict(60'000) == DownstreamWatch::Verdict::stay);
    CHECK(watch.verdict(64'999) == DownstreamWatch::Verdict::stay);
    CHECK(watch.verdict(65'000) == DownstreamWatch::Verdict::idle);
    // Activity before completion does not shorten the wait after it.
    DownstreamWatch late(5_peer, 10'000);
    late.on_activity(1'000);
    late.on_self_complete(30'000);
    CHECK(late.verdict(39'999) == DownstreamWatch::Verdict::stay);
    CHECK(late.verdict(40'000) == DownstreamWatch::Verdict::idle);
}

constexpr RosterTiming kTiming{.give_up_ms = 10'000, .lost_ms = 3'000};

TEST_CASE("the owner gives up on a peer that never connects, and on one that leaves before its share")
{
    PeerRoster roster(3, kTiming, 0);
    roster.session_opened(0_slot, 0);
    roster.session_opened(1_slot, 0);
    roster.heard_from(0_slot, 9'000);
    roster.heard_from(1_slot, 9'000);
    CHECK(roster.give_up_due(9'999).empty());
    CHECK(roster.give_up_due(10'000) == test::slots({2}));  // never connected
    CHECK(roster.is_given_up(2_slot));
    CHECK_FALSE(roster.was_lost(2_slot));
    CHECK(roster.give_up_due(10'000).empty());  // each once
    roster.session_closed(1_slot, 12'000);      // left before its share
    roster.heard_from(0_slot, 20'000);          // slot 0 keeps talking throughout
    CHECK(roster.give_up_due(21'999).empty());
    roster.session_opened(1_slot, 21'000);  // back in time: not given up
    roster.heard_from(0_slot, 29'000);
    CHECK(roster.give_up_due(30'000).empty());
    roster.session_closed(1_slot, 31'000);
    roster.heard_from(0_slot, 38'000);
    CHECK(roster.give_up_due(41'000) == test::slots({1}));
    CHECK_FALSE(roster.finished());
    roster.complete(0_slot);
    CHECK(roster.finished());
    CHECK(roster.complete_count() == 1);
    CHECK(roster.given_up_count() == 2);
}

TEST_CASE("a peer is alive while its presence is open, and lost within seconds once it drops")
{
    PeerRoster roster(3, kTiming, 0);
    for (Slot slot : {0_slot, 1_slot, 2_slot}) {
        roster.session_opened(slot, 0);
        roster.session_opened(slot, 500, SessionKind::presence);
        roster.share_held(slot);
        roster.session_closed(slot, 1'000);  // its share held: the presence alone keeps it
    }
    for (std::uint64_t t = 1'000; t <= 100'000; t += 1'000) {
        for (Slot slot : {0_slot, 1_slot, 2_slot})
            roster.heard_from(slot, t);  // a report a second
        REQUIRE(roster.give_up_due(t).empty());
    }
    // Two peers die: their presence drops at once; neither waits for the other.
    roster.session_closed(1_slot, 100'200, SessionKind::presence);
    roster.session_closed(2_slot, 100'400, SessionKind::presence);
    roster.heard_from(0_slot, 103'000);
    CHECK(roster.give_up_due(103'199).empty());
    CHECK(roster.give_up_due(103'200) == test::slots({1}));
    CHECK(roster.give_up_due(103'400) == test::slots({2}));
    CHECK(roster.was_lost(1_slot));
    roster.complete(0_slot);
    CHECK(roster.finished());
}

TEST_CASE("a dropped presence that comes back in time is not lost; a given-up peer that comes back is taken back")
{
    PeerRoster roster(2, kTiming, 0);
    roster.session_opened(0_slot, 0, SessionKind::presence);
    roster.session_opened(1_slot, 0, SessionKind::presence);
    roster.session_closed(1_slot, 1'000, SessionKind::presence);
    CHECK_FALSE(roster.session_opened(1_slot, 3'000, SessionKind::presence));  // a reconnect, 2 s later
    roster.heard_from(0_slot, 9'000);
    roster.heard_from(1_slot, 9'000);
    CHECK(roster.give_up_due(9'000).empty());
    roster.session_closed(1_slot, 10'000, SessionKind::presence);
    CHECK(roster.give_up_due(13'000) == test::slots({1}));
    CHECK(roster.session_opened(1_slot, 20'000, SessionKind::presence));  // restarted: back
    CHECK_FALSE(roster.is_given_up(1_slot));
    CHECK(roster.given_up_count() == 0);
    roster.complete(0_slot);
    CHECK_FALSE(roster.finished());
    roster.complete(1_slot);
    CHECK(roster.finished());
}

TEST_CASE("a peer reported gone is lost unless it reports to the owner")
{
    PeerRoster roster(3, kTiming, 0);
    for (Slot slot : {0_slot, 1_slot, 2_slot})
        roster.session_opened(slot, 0);
    roster.session_opened(2_slot, 0, SessionKind::presence);
    roster.session_closed(1_slot, 1'000);
    roster.reported_gone(1_slot, 2'000);
    roster.reported_gone(2_slot, 2'000);  // its link to a neighbour is cut, not its process
    roster.heard_from(0_slot, 3'000);
    roster.heard_from(2_slot, 3'000);
    CHECK(roster.give_up_due(3'999).empty());
    CHECK(roster.give_up_due(4'000) == test::slots({1}));  // absent since 1 s, lost since 2 s
    CHECK_FALSE(roster.is_given_up(2_slot));
}

TEST_CASE("a connected peer is waited for as long as it is heard from, then given up on as silent")
{
    PeerRoster connected(2, kTiming, 0);
    connected.session_opened(0_slot, 0);
    connected.session_opened(1_slot, 0, SessionKind::presence);
    connected.complete(0_slot);
    for (std::uint64_t t = 5'000; t <= 100'000; t += 5'000) {
        connected.heard_from(1_slot, t);
        CHECK(connected.give_up_due(t).empty());
    }
    CHECK(connected.give_up_due(109'999).empty());
    CHECK(connected.give_up_due(110'000) == test::slots({1}));  // then silent: paused, or cut off
    CHECK_FALSE(connected.was_lost(1_slot));
    CHECK(connected.finished());
}

TEST_CASE(
    "a gone peer's share: what it had not drawn goes at once to the peer in its place, or to anyone once released")
{
    ShareDealer dealer(3, 30);
    dealer.session_opened(0_slot);
    dealer.session_opened(1_slot);
    dealer.session_opened(2_slot);
    CHECK(dealer.deal(2_slot, 2) == test::chunk_ids({2, 5}));
    dealer.session_closed(2_slot);
    // Slot 2's peer is gone; slot 0 routes around it and takes the rest of its share.
    std::vector<ChunkId> taken = dealer.take_over(2_slot, 0_slot);
    CHECK(taken.size() == 8);
    CHECK(taken.front() == 8_c);
    CHECK(dealer.dealt(0_slot).contains(29_c));
    CHECK(dealer.take_over(2_slot, 0_slot).empty());
    // Released, a slot with no session open may be drawn from by others.
    ShareDealer released(2, 10);
    released.session_opened(0_slot);
    CHECK(released.deal(0_slot, 10).size() == 5);  // its own share only: slot 1 keeps its own
    released.release(1_slot);
    CHECK(released.deal(0_slot, 10).size() == 5);
}

TEST_CASE("the running clock leaves out a stall of this process, and only a stall")
{
    RunningClock clock(1'000, 2'000, 50'000);
    CHECK(clock.read(50'000) == 50'000);
    CHECK(clock.read(51'000) == 51'000);
    CHECK(clock.read(53'900) == 53'900);  // 2.9 s after the last read: a busy loop, still running
    CHECK(clock.stalled_ms() == 0);
    CHECK(clock.read(124'000) == 54'900);  // 70.1 s after: stopped; one period of it counts
    CHECK(clock.stalled_ms() == 69'100);
    CHECK(clock.read(124'000) == 54'900);  // the same instant, read again
    CHECK(clock.read(125'000) == 55'900);
}

TEST_CASE("the owner stopped past the give-up time gives up on nobody that was there before the stop")
{
    RunningClock clock(1'000, 2'000, 0);
    PeerRoster roster(2, kTiming, clock.read(0));
    for (Slot slot : {0_slot, 1_slot})
        roster.session_opened(slot, clock.read(0));
    for (std::uint64_t t = 1'000; t <= 5'000; t += 1'000) {
        roster.heard_from(0_slot, clock.read(t));
        roster.heard_from(1_slot, clock.read(t));
        CHECK(roster.give_up_due(clock.read(t)).empty());
    }
    // Stopped at 5 s for 70 s: what wakes it first is a frame from slot 0, then the review.
    roster.heard_from(0_slot, clock.read(75'000));
    CHECK(roster.give_up_due(clock.read(75'000)).empty());
    // Slot 1 stays silent from its last frame before the stop: given up on 10 s of running time later.
    std::vector<Slot> due;
    std::uint64_t t = 75'000;
    while (due.empty() && t < 100'000) {
        t += 1'000;
        roster.heard_from(0_slot, clock.read(t));
        due = roster.give_up_due(clock.read(t));
    }
    CHECK(due == test::slots({1}));
    CHECK(t == 84'000);  // from its last frame: 1 s of the stop counts, then 9 s after it
}

TEST_CASE("a peer killed with its presence and a share session open is lost, whichever socket closes first")
{
    for (SessionKind first : {SessionKind::presence, SessionKind::chunks}) {
        CAPTURE(first == SessionKind::presence);
        PeerRoster roster(1, kTiming, 0);
        roster.session_opened(0_slot, 0);
        roster.session_opened(0_slot, 0, SessionKind::presence);
        roster.session_closed(0_slot, 1'000, first);
        roster.session_closed(0_slot, 1'000,
                              first == SessionKind::presence ? SessionKind::chunks : SessionKind::presence);
        CHECK(roster.give_up_due(3'999).empty());
        CHECK(roster.give_up_due(4'000) == test::slots({0}));
        CHECK(roster.was_lost(0_slot));
    }
}

TEST_CASE("a peer given up on as silent that talks again is taken back")
{
    PeerRoster roster(1, kTiming, 0);
    roster.session_opened(0_slot, 0, SessionKind::presence);
    CHECK(roster.give_up_due(10'000) == test::slots({0}));
    CHECK(roster.finished());
    CHECK(roster.heard_from(0_slot, 70'000));  // resumed: its queued reports arrive
    CHECK_FALSE(roster.is_given_up(0_slot));
    CHECK_FALSE(roster.finished());
    CHECK_FALSE(roster.heard_from(0_slot, 71'000));
}

// The owner's policy as a whole: admission, dealing by pull, liveness from reports and sessions,
// rescues around gone peers, and the exit decision, all fed events and time.
#include <doctest/doctest.h>

#include "chunkswarm/core/owner_ledger.hpp"
#include "test_ids.hpp"

using namespace chunkswarm;

namespace {

constexpr RosterTiming kTiming{.give_up_ms = 60'000, .lost_ms = 5'000};

Hello share_hello(std::uint32_t id) { return Hello{.peer_id = PeerId(id)}; }
Hello presence_hello(std::uint32_t id) { return Hello{.peer_id = PeerId(id), .presence = true}; }

// A peer joins for its share, takes `count` chunks, and opens its presence.
void join_and_trade(OwnerLedger& ledger, std::uint32_t id, std::uint32_t count, std::uint64_t now)
{
    REQUIRE(ledger.offer(share_hello(id), now));
    ledger.session_opened(share_hello(id), now);
    ledger.dealing_opened(PeerId(id));
    (void)ledger.deal(PeerId(id), count, DealFrom::any_share);
    REQUIRE(ledger.offer(presence_hello(id), now));
    ledger.session_opened(presence_hello(id), now);
}

}  // namespace

TEST_CASE("the ledger admits the config's peers only, and deals a window while the hashes are not all in")
{
    OwnerLedger ledger(SlotTable::fixed(test::peer_ids({7, 8, 9})), 30, kTiming, 4, 0);
    CHECK_FALSE(ledger.offer(share_hello(5), 0));
    CHECK(ledger.offer(share_hello(7), 0));
    ledger.set_hashed(12, OwnerLedger::Hashing::ongoing);
    ledger.dealing_opened(7_peer);
    CHECK(ledger.deal(7_peer, 10, DealFrom::own_share).ids == test::chunk_ids({0, 3, 6, 9}));  // the window
    CHECK(ledger.deal(7_peer, 10, DealFrom::own_share).ids.empty());
    ledger.set_hashed(30, OwnerLedger::Hashing::done);
    CHECK(ledger.deal(7_peer, 3, DealFrom::own_share).ids == test::chunk_ids({12, 15, 18}));
    // A presence is offered nothing.
    auto presence = ledger.offer(presence_hello(8), 0);
    REQUIRE(presence);
    CHECK(presence.value().chunks.count() == 0);
}

TEST_CASE("a peer that has drawn its share draws the furthest-behind share, told once per pair")
{
    OwnerLedger ledger(SlotTable::by_join_order(2), 20, kTiming, 16, 0);
    ledger.set_hashed(20, OwnerLedger::Hashing::done);
    REQUIRE(ledger.offer(share_hello(1), 0));
    REQUIRE(ledger.offer(share_hello(2), 0));
    ledger.dealing_opened(1_peer);
    ledger.dealing_opened(2_peer);
    CHECK(ledger.deal(1_peer, 10, DealFrom::any_share).ids.size() == 10);
    auto more = ledger.deal(1_peer, 2, DealFrom::any_share);
    CHECK(more.ids == test::chunk_ids({19, 17}));
    CHECK(more.takeovers == test::slots({1}));
    CHECK(ledger.deal(1_peer, 1, DealFrom::any_share).takeovers.empty());
}

TEST_CASE("a killed peer is given up on within lost_ms, and the owner may leave once the rest are complete")
{
    OwnerLedger ledger(SlotTable::fixed(test::peer_ids({1, 2, 3})), 30, kTiming, 16, 0);
    ledger.set_hashed(30, OwnerLedger::Hashing::done);
    for (std::uint32_t id : {1u, 2u, 3u})
        join_and_trade(ledger, id, 10, 0);
    for (std::uint32_t id : {1u, 2u, 3u}) {
        CHECK(ledger.done(share_hello(id), OwnerLedger::Holds::its_share).newly_served);
        ledger.session_closed(share_hello(id), 1'000);
    }
    CHECK(ledger.served_count() == 3);
    ledger.session_closed(presence_hello(2), 10'000);  // killed
    CHECK(ledger.report(presence_hello(1), Report{30, true}, 11'000).newly_complete);
    CHECK_FALSE(ledger.report(presence_hello(1), Report{30, true}, 11'000).newly_complete);
    CHECK(ledger.report(presence_hello(3), Report{30, true}, 12'000).newly_complete);
    CHECK(ledger.review(14'999).empty());
    CHECK_FALSE(ledger.finished());
    CHECK(ledger.review(15'000) == test::slots({1}));
    CHECK(ledger.was_lost(1_slot));
    CHECK(ledger.finished());
    CHECK(ledger.given_up_names() == "peer 2");
    CHECK(ledger.complete_count() == 2);
}

TEST_CASE("a given-up peer that comes back is waited for again, and what it had not drawn went to others")
{
    OwnerLedger ledger(SlotTable::fixed(test::peer_ids({1, 2})), 20, kTiming, 16, 0);
    ledger.set_hashed(20, OwnerLedger::Hashing::done);
    join_and_trade(ledger, 1, 4, 0);
    join_and_trade(ledger, 2, 4, 0);
    ledger.session_closed(share_hello(2), 500);
    ledger.dealing_closed(2_peer);
    ledger.session_closed(presence_hello(2), 1'000);
    CHECK(ledger.review(6'000) == test::slots({1}));
    // Released: slot 0's peer draws the rest of its own share, then what peer 2 left.
    auto dealt = ledger.deal(1_peer, 20, DealFrom::any_share);
    CHECK(dealt.ids.size() == 12);
    CHECK(dealt.takeovers == test::slots({1}));
    auto back = ledger.session_opened(presence_hello(2), 9'000);
    REQUIRE(back);
    CHECK(back->find("peer 2") != std::string::npos);
    CHECK(ledger.given_up_count() == 0);
    CHECK(ledger.report(presence_hello(1), Report{20, true}, 9'500).newly_complete);
    CHECK_FALSE(ledger.finished());
    CHECK(ledger.review(30'000).empty());  // reporting: alive
    CHECK(ledger.report(presence_hello(2), Report{20, true}, 31'000).newly_complete);
    CHECK(ledger.finished());
}

TEST_CASE("a rescue around a gone peer is offered what it was dealt and dealt what it had not drawn")
{
    OwnerLedger ledger(SlotTable::fixed(test::peer_ids({1, 2, 3})), 30, kTiming, 16, 0);
    ledger.set_hashed(30, OwnerLedger::Hashing::done);
    for (std::uint32_t id : {1u, 2u, 3u})
        join_and_trade(ledger, id, 3, 0);
    ledger.session_closed(presence_hello(2), 2'000);
    ledger.session_closed(share_hello(2), 2'000);
    Hello rescue{.peer_id = 3_peer, .rescue = true, .skipped = {2_peer}};
    auto offer = ledger.offer(rescue, 2'500);
    REQUIRE(offer);
    CHECK(offer.value().chunks.count() == 10);  // peer 2's whole share: 3 dealt, 7 not drawn
    REQUIRE(offer.value().rescue_note);
    CHECK(offer.value().rescue_note->find("routes around peer 2") != std::string::npos);
    // It was lost at 2 s either way: given up on at 7 s.
    CHECK(ledger.review(6'999).empty());
    CHECK(ledger.review(7'000) == test::slots({1}));
}

TEST_CASE("a silent but connected peer is given up on after give_up_ms, never after lost_ms")
{
    OwnerLedger ledger(SlotTable::fixed(test::peer_ids({1, 2})), 10, kTiming, 16, 0);
    ledger.set_hashed(10, OwnerLedger::Hashing::done);
    join_and_trade(ledger, 1, 5, 0);
    join_and_trade(ledger, 2, 5, 0);
    for (std::uint64_t t = 1'000; t < 60'000; t += 1'000) {
        ledger.report(presence_hello(1), Report{5, false}, t);
        REQUIRE(ledger.review(t).empty());
    }
    CHECK(ledger.review(60'000) == test::slots({1}));  // peer 2: paused since 0
    CHECK_FALSE(ledger.was_lost(1_slot));
}

TEST_CASE("a report claims completion only with every chunk held")
{
    OwnerLedger ledger(SlotTable::fixed(test::peer_ids({1, 2})), 10, kTiming, 16, 0);
    ledger.set_hashed(10, OwnerLedger::Hashing::done);
    join_and_trade(ledger, 1, 5, 0);
    CHECK_FALSE(ledger.report(presence_hello(1), Report{9, true}, 1'000).newly_complete);
    CHECK(ledger.complete_count() == 0);
    CHECK(ledger.report(presence_hello(1), Report{10, true}, 2'000).newly_complete);
}

TEST_CASE("a chain's head is hinted at peers holding what it lacks; one whose presence closed is not named")
{
    OwnerLedger ledger(SlotTable::fixed(test::peer_ids({1, 2, 3})), 40, kTiming, 16, 0);
    ledger.set_hashed(40, OwnerLedger::Hashing::done);
    for (std::uint32_t id : {1, 2, 3})
        join_and_trade(ledger, id, 1, 0);
    ChunkSet little(40);
    ChunkSet more(40);
    for (ChunkId id : ids_below<ChunkId>(30))
        more.insert(id);
    ledger.report(presence_hello(2), Report{.held = 30, .have = more}, 1'000);
    ledger.report(presence_hello(3), Report{.held = 30, .have = more, .spare_permille = 100}, 1'000);
    const Report head{.held = 0, .deal_first = true, .have = little};
    ledger.report(presence_hello(1), head, 1'000);
    auto hint = ledger.helper_hint(presence_hello(1), head);
    REQUIRE(hint);
    CHECK(hint->helpers == test::peer_ids({2, 3}));  // 3 has less upload to spare
    // Not heading a chain: no hint.
    CHECK_FALSE(ledger.helper_hint(presence_hello(2), Report{.held = 30}));
    ledger.session_closed(presence_hello(2), 2'000);
    CHECK(ledger.helper_hint(presence_hello(1), head)->helpers == test::peer_ids({3}));
    // Nobody outside the swarm is told anything.
    CHECK_FALSE(ledger.helper_hint(presence_hello(9), head));
}

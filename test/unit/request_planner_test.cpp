#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "chunkswarm/core/request_planner.hpp"
#include "test_ids.hpp"

using namespace chunkswarm;

namespace {

ChunkSet set_of(std::uint32_t size, std::initializer_list<std::uint32_t> ids)
{
    ChunkSet set(size);
    for (std::uint32_t id : ids)
        set.insert(ChunkId(id));
    return set;
}

}  // namespace

TEST_CASE("requests only what the remote has and we lack, never more than the window")
{
    RequestPlanner planner(set_of(10, {0, 1}), 3, 1);
    planner.on_remote_list(set_of(10, {0, 1, 2, 3, 4, 5, 6}));
    auto first = planner.next_requests();
    CHECK(first.size() == 3);
    for (ChunkId id : first)
        CHECK((id >= 2_c && id <= 6_c));
    CHECK(planner.next_requests().empty());
    CHECK(planner.in_flight() == 3);
}

TEST_CASE("never requests the same chunk twice while it is in flight")
{
    RequestPlanner planner(ChunkSet(50), 8, 7);
    planner.on_remote_list(ChunkSet::all(50));
    std::set<ChunkId> requested;
    while (!planner.complete()) {
        auto batch = planner.next_requests();
        REQUIRE_FALSE(batch.empty());
        for (ChunkId id : batch) {
            CHECK(requested.insert(id).second);
            planner.on_remote_have(id);  // a repeated announcement must not cause a second request
        }
        for (ChunkId id : batch) {
            CHECK(planner.take_in_flight(id));
            planner.on_stored(id);
        }
    }
    CHECK(requested.size() == 50);
    CHECK(planner.remote_exhausted());
}

TEST_CASE("a chunk that was not requested is not accepted")
{
    RequestPlanner planner(ChunkSet(10), 2, 1);
    planner.on_remote_list(ChunkSet::all(10));
    auto batch = planner.next_requests();
    ChunkId other(0);
    while (std::find(batch.begin(), batch.end(), other) != batch.end())
        ++other;
    CHECK_FALSE(planner.take_in_flight(other));
    CHECK(planner.take_in_flight(batch[0]));
    CHECK_FALSE(planner.take_in_flight(batch[0]));  // answered twice
}

TEST_CASE("a chunk that fails its hash is requested again")
{
    RequestPlanner planner(ChunkSet(5), 1, 1);
    planner.on_remote_list(set_of(5, {3}));
    CHECK(planner.next_requests() == test::chunk_ids({3}));
    CHECK(planner.take_in_flight(3_c));
    planner.on_rejected(3_c);
    CHECK_FALSE(planner.remote_exhausted());
    CHECK(planner.next_requests() == test::chunk_ids({3}));
}

TEST_CASE("chunks announced later are requested; the remote is exhausted once we hold all it has")
{
    RequestPlanner planner(set_of(6, {0}), 4, 1);
    planner.on_remote_list(set_of(6, {0}));
    CHECK(planner.remote_exhausted());
    CHECK(planner.next_requests().empty());
    planner.on_remote_have(4_c);
    CHECK_FALSE(planner.remote_exhausted());
    CHECK(planner.next_requests() == test::chunk_ids({4}));
    planner.take_in_flight(4_c);
    planner.on_stored(4_c);
    CHECK(planner.remote_exhausted());
    CHECK_FALSE(planner.complete());
}

TEST_CASE("after a disconnect nothing is in flight and the next list starts over")
{
    RequestPlanner planner(ChunkSet(6), 6, 1);
    planner.on_remote_list(ChunkSet::all(6));
    CHECK(planner.next_requests().size() == 6);
    planner.on_disconnect();
    CHECK(planner.in_flight() == 0);
    CHECK(planner.next_requests().empty());
    planner.on_remote_list(set_of(6, {1, 2}));
    auto again = planner.next_requests();
    std::sort(again.begin(), again.end());
    CHECK(again == test::chunk_ids({1, 2}));
}

TEST_CASE("different seeds spread the first requests differently")
{
    RequestPlanner a(ChunkSet(100), 5, 1);
    RequestPlanner b(ChunkSet(100), 5, 2);
    a.on_remote_list(ChunkSet::all(100));
    b.on_remote_list(ChunkSet::all(100));
    CHECK(a.next_requests() != b.next_requests());
}

TEST_CASE("failures are counted per chunk, and a chunk given up on is not requested again")
{
    RequestPlanner planner(ChunkSet(4), 4, 1);
    planner.on_remote_list(ChunkSet::all(4));
    auto first = planner.next_requests();
    REQUIRE(first.size() == 4);
    for (ChunkId id : first)
        planner.take_in_flight(id);
    CHECK(planner.on_rejected(2_c) == 1);
    CHECK(planner.next_requests() == test::chunk_ids({2}));
    planner.take_in_flight(2_c);
    CHECK(planner.on_rejected(2_c) == 2);
    planner.give_up_on(2_c);
    CHECK(planner.next_requests().empty());
    planner.on_remote_list(ChunkSet::all(4));  // even after a reconnect
    for (ChunkId id : planner.next_requests())
        CHECK(id != 2_c);
    planner.on_stored(2_c);  // fetched elsewhere
    CHECK(planner.local().contains(2_c));
}

TEST_CASE("chunks on their way to the remote are requested ahead, half a window of them, in the order announced")
{
    RequestPlanner planner(ChunkSet(10), 4, 1);
    planner.on_remote_list(set_of(10, {0, 1, 2, 3, 4}));
    for (ChunkId id : {8_c, 5_c, 6_c, 7_c})
        planner.on_remote_coming(id);
    auto first = planner.next_requests();
    REQUIRE(first.size() == 6);
    // What the remote holds comes first; then the ones it waits for, as announced.
    for (std::size_t i = 0; i < 4; ++i)
        CHECK(first[i] <= 4_c);
    CHECK(std::vector<ChunkId>(first.begin() + 4, first.end()) == test::chunk_ids({8, 5}));
    CHECK(planner.in_flight() == 6);
    CHECK(planner.answerable_in_flight() == 4);
    CHECK(planner.next_requests().empty());

    // Chunk 8 lands at the remote: it is owed now like any other, and frees a place for chunk 6.
    planner.on_remote_have(8_c);
    CHECK(planner.answerable_in_flight() == 5);
    CHECK(planner.next_requests() == test::chunk_ids({6}));
    CHECK(planner.take_in_flight(8_c));
    planner.on_stored(8_c);
    CHECK(planner.in_flight() == 6);
    CHECK(planner.answerable_in_flight() == 4);
}

TEST_CASE("with a window of 1 nothing is requested ahead: stop-and-wait")
{
    RequestPlanner planner(ChunkSet(10), 1, 1);
    planner.on_remote_list(set_of(10, {0}));
    planner.on_remote_coming(5_c);
    CHECK(planner.next_requests() == test::chunk_ids({0}));
    CHECK(planner.next_requests().empty());
}

TEST_CASE("a chunk on its way is not requested ahead when held here or there, or twice")
{
    RequestPlanner planner(set_of(6, {3}), 4, 1);
    planner.on_remote_list(set_of(6, {4}));
    planner.on_remote_coming(3_c);  // held here
    planner.on_remote_coming(4_c);  // held there: an ordinary request
    planner.on_remote_coming(5_c);
    planner.on_remote_coming(5_c);
    auto requests = planner.next_requests();
    CHECK(requests == test::chunk_ids({4, 5}));
    planner.on_remote_have(5_c);  // announced as held too: no second request
    CHECK(planner.next_requests().empty());
    CHECK(planner.answerable_in_flight() == 2);
}

TEST_CASE("a disconnect forgets what was on its way to the remote")
{
    RequestPlanner planner(ChunkSet(6), 4, 1);
    planner.on_remote_list(ChunkSet(6));
    planner.on_remote_coming(1_c);
    planner.on_remote_coming(2_c);
    CHECK(planner.next_requests().size() == 2);
    planner.on_disconnect();
    CHECK(planner.in_flight() == 0);
    planner.on_remote_list(ChunkSet(6));
    CHECK(planner.next_requests().empty());
    planner.on_remote_coming(2_c);
    CHECK(planner.next_requests() == test::chunk_ids({2}));
}

TEST_CASE("a chunk stored from elsewhere is not requested ahead")
{
    RequestPlanner planner(ChunkSet(6), 4, 1);
    planner.on_remote_list(ChunkSet(6));
    planner.on_remote_coming(1_c);
    planner.on_stored(1_c);
    CHECK(planner.next_requests().empty());
    CHECK(planner.complete() == false);
}

TEST_CASE("a remote that gains chunks faster than it sends them is asked for two windows at most")
{
    RequestPlanner planner(ChunkSet(100), 4, 1);
    planner.on_remote_list(ChunkSet(100));
    std::uint32_t requested = 0;
    // It keeps announcing chunks on their way, and landing them, but sends none.
    for (ChunkId id : ids_below<ChunkId>(60)) {
        planner.on_remote_coming(id);
        requested += static_cast<std::uint32_t>(planner.next_requests().size());
        planner.on_remote_have(id);
        requested += static_cast<std::uint32_t>(planner.next_requests().size());
    }
    CHECK(requested == 8);
    CHECK(planner.in_flight() == 8);
}

TEST_CASE("a chunk another source delivered keeps its place in the window until the remote's copy comes")
{
    RequestPlanner planner(ChunkSet(10), 2, 1);
    planner.on_remote_list(ChunkSet::all(10));
    auto first = planner.next_requests();
    REQUIRE(first.size() == 2);
    planner.on_stored_elsewhere(first[0]);
    CHECK(planner.local().contains(first[0]));
    CHECK(planner.next_requests().empty());  // the remote still sends it: no third request yet
    CHECK(planner.take_in_flight(first[0]));
    CHECK(planner.next_requests().size() == 1);
}

TEST_CASE("a chunk another source has in flight is left to it, and asked for once that source lets go")
{
    RequestPlanner planner(ChunkSet(4), 4, 1);
    planner.on_remote_list(ChunkSet::all(4));
    std::set<ChunkId> elsewhere{1_c, 2_c};
    auto claimed = [&](ChunkId id) { return elsewhere.count(id) != 0; };
    auto first = planner.next_requests(claimed);
    CHECK(std::set<ChunkId>(first.begin(), first.end()) == std::set<ChunkId>{0_c, 3_c});
    CHECK(planner.next_requests(claimed).empty());
    elsewhere.erase(2_c);  // that source failed to deliver it
    CHECK(planner.next_requests(claimed) == test::chunk_ids({2}));
    planner.on_stored_elsewhere(1_c);  // delivered there
    elsewhere.clear();
    CHECK(planner.next_requests(claimed).empty());
    CHECK_FALSE(planner.remote_exhausted());
}

TEST_CASE("the end game: idle here with nothing else to ask for, what waits elsewhere is asked for here too")
{
    RequestPlanner planner(ChunkSet(4), 4, 1);
    planner.on_remote_list(ChunkSet::all(4));
    auto claimed = [](ChunkId id) { return id >= 2_c; };  // stuck at a slow source
    auto first = planner.next_requests(claimed);
    CHECK(first.size() == 2);
    CHECK(planner.next_requests(claimed).empty());  // busy here: the others are left to that source
    for (ChunkId id : first) {
        CHECK(planner.take_in_flight(id));
        planner.on_stored(id);
    }
    auto end_game = planner.next_requests(claimed);
    CHECK(std::set<ChunkId>(end_game.begin(), end_game.end()) == std::set<ChunkId>{2_c, 3_c});
}

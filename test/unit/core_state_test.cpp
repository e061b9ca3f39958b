// Chunk sets, shares, summary files and back-off: the small pieces of state the roles are built from.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>

#include "chunkswarm/core/backoff.hpp"
#include "chunkswarm/core/chunk_set.hpp"
#include "chunkswarm/core/shares.hpp"
#include "chunkswarm/disk/summary_file.hpp"
#include "test_ids.hpp"
#include "test_util.hpp"

using namespace chunkswarm;

TEST_CASE("a chunk set counts, survives its wire form and rejects stray bits")
{
    ChunkSet set(10);
    CHECK(set.insert(0_c));
    CHECK(set.insert(9_c));
    CHECK_FALSE(set.insert(9_c));
    CHECK_FALSE(set.insert(10_c));
    CHECK(set.count() == 2);
    CHECK(set.bytes() == std::vector<std::uint8_t>{0x80, 0x40});
    auto back = ChunkSet::from_bytes(set.bytes(), 10);
    REQUIRE(back.ok());
    CHECK(back.value() == set);
    CHECK_FALSE(ChunkSet::from_bytes(std::vector<std::uint8_t>{0x80, 0x20}, 10).ok());
    CHECK_FALSE(ChunkSet::from_bytes(std::vector<std::uint8_t>{0x80}, 10).ok());
    CHECK(ChunkSet::all(10).full());
    CHECK(ChunkSet::all(10).minus(set) == test::chunk_ids({1, 2, 3, 4, 5, 6, 7, 8}));
    CHECK(set.is_subset_of(ChunkSet::all(10)));
    CHECK(set.erase(0_c));
    CHECK(set.count() == 1);
}

TEST_CASE("a chunk set lists its IDs, and those another lacks, in order, whatever the sizes")
{
    // Sizes off a byte boundary, and sets of different sizes, against the bit-by-bit definition.
    for (std::uint32_t size : {1u, 7u, 8u, 9u, 100u, 1031u}) {
        for (std::uint32_t other_size : {size, size / 2, size + 13}) {
            CAPTURE(size);
            CAPTURE(other_size);
            ChunkSet mine(size);
            ChunkSet theirs(other_size);
            for (std::uint32_t id = 0; id < size + 13; ++id) {
                if (id % 3 == 0 || id % 7 == 1) mine.insert(ChunkId(id));
                if (id % 2 == 0) theirs.insert(ChunkId(id));
            }
            std::vector<ChunkId> expected_ids;
            std::vector<ChunkId> expected_minus;
            for (ChunkId id : ids_below<ChunkId>(size)) {
                if (!mine.contains(id)) continue;
                expected_ids.push_back(id);
                if (!theirs.contains(id)) expected_minus.push_back(id);
            }
            CHECK(mine.ids() == expected_ids);
            CHECK(mine.minus(theirs) == expected_minus);
            CHECK(mine.count_minus(theirs) == expected_minus.size());
            CHECK(mine.ids().size() == mine.count());
        }
    }
    CHECK(ChunkSet(20).ids().empty());
    CHECK(ChunkSet::all(20).minus(ChunkSet::all(20)).empty());
}

TEST_CASE("chunk ID lists in logs are compact and bounded")
{
    CHECK(format_ids({}) == "");
    CHECK(format_ids(test::chunk_ids({0, 1, 2, 3, 4, 7, 9, 10})) == "0-4, 7, 9-10");
    CHECK(format_ids(test::chunk_ids({1, 3, 5, 7}), 2) == "1, 3, ... (2 more)");
}

namespace {

// Deals `count` at a time to `slot` until nothing comes; returns what it got.
std::vector<ChunkId> drain(ShareDealer& dealer, Slot slot, std::uint32_t count)
{
    std::vector<ChunkId> all;
    for (auto ids = dealer.deal(slot, count); !ids.empty(); ids = dealer.deal(slot, count))
        all.insert(all.end(), ids.begin(), ids.end());
    return all;
}

}  // namespace

TEST_CASE("each slot draws its own share in order, and every chunk is dealt once")
{
    for (std::uint32_t slots : {1u, 2u, 5u, 7u, 32u}) {
        CAPTURE(slots);
        ShareDealer dealer(slots, 53);
        ChunkSet seen(53);
        for (Slot slot : ids_below<Slot>(slots)) {
            // No other slot has a session open, so none can be drawn from: each gets its own share.
            std::vector<ChunkId> ids = drain(dealer, slot, 3);
            for (std::size_t i = 0; i < ids.size(); ++i) {
                CHECK(ids[i].value() == slot.value() + i * slots);
                CHECK(seen.insert(ids[i]));
            }
            CHECK(dealer.dealt(slot).count() == ids.size());
            if (slots > 1) CHECK_FALSE(dealer.dealt(slot).full());
        }
        CHECK(seen.full());
    }
}

TEST_CASE("a slot that has drawn its share takes the far end of the open share with the most left")
{
    ShareDealer dealer(3, 30);  // shares of 10: {0, 3, ..., 27}, {1, ..., 28}, {2, ..., 29}
    dealer.session_opened(0_slot);
    dealer.session_opened(1_slot);
    CHECK(dealer.deal(1_slot, 2) == test::chunk_ids({1, 4}));
    CHECK(drain(dealer, 0_slot, 4).size() == 10 + 8);  // its own 10, then all 8 that slot 1 had left
    CHECK(dealer.dealt(0_slot).contains(28_c));
    CHECK(dealer.deal(1_slot, 5).empty());  // slot 1's share is all dealt; slot 2 has no session open
    CHECK(dealer.dealt(2_slot).count() == 0);

    // Slot 2's peer arrives and draws from the front of its share; the others take from the back.
    dealer.session_opened(2_slot);
    CHECK(dealer.deal(2_slot, 1) == test::chunk_ids({2}));
    CHECK(dealer.deal(1_slot, 3) == test::chunk_ids({29, 26, 23}));
    CHECK(dealer.deal(2_slot, 1) == test::chunk_ids({5}));
    CHECK(dealer.deal(0_slot, 100) == test::chunk_ids({20, 17, 14, 11, 8}));
    CHECK(drain(dealer, 2_slot, 1).empty());
    CHECK(dealer.dealt(2_slot).count() == 2);
}

TEST_CASE("only chunks below the dealable limit are dealt, and no slot draws from another before its own is dealt")
{
    ShareDealer dealer(2, 20);  // shares {0, 2, ..., 18} and {1, 3, ..., 19}
    dealer.session_opened(0_slot);
    dealer.session_opened(1_slot);
    dealer.set_dealable(0);  // nothing hashed yet
    CHECK(dealer.deal(0_slot, 4).empty());
    dealer.set_dealable(5);
    CHECK(dealer.deal(0_slot, 4) == test::chunk_ids({0, 2, 4}));
    CHECK(dealer.deal(1_slot, 4) == test::chunk_ids({1, 3}));
    // Slot 1's own share is not all dealt, only not dealable yet: it waits rather than take 18.
    CHECK(dealer.deal(1_slot, 4).empty());
    dealer.set_dealable(20);
    CHECK(dealer.deal(0_slot, 7) == test::chunk_ids({6, 8, 10, 12, 14, 16, 18}));
    CHECK(dealer.deal(1_slot, 2) == test::chunk_ids({5, 7}));
    // Slot 0 has drawn its share: it takes slot 1's far end, but only what is dealable.
    dealer.set_dealable(18);
    CHECK(dealer.deal(0_slot, 1).empty());  // slot 1's far end (19) is not hashed yet
    dealer.set_dealable(20);
    CHECK(dealer.deal(0_slot, 1) == test::chunk_ids({19}));
}

TEST_CASE("a closed session leaves its share to its peer")
{
    ShareDealer dealer(2, 10);
    dealer.session_opened(1_slot);
    dealer.session_closed(1_slot);
    dealer.session_closed(1_slot);  // an extra close is harmless
    dealer.session_opened(0_slot);
    CHECK(drain(dealer, 0_slot, 2) == test::chunk_ids({0, 2, 4, 6, 8}));
    CHECK(dealer.deal(1_slot, 10) == test::chunk_ids({1, 3, 5, 7, 9}));
    CHECK(dealer.home_slot(7_c) == 1_slot);
}

TEST_CASE("slots go to config ids in order, or to peers in join order, and stay theirs")
{
    SlotTable fixed = SlotTable::fixed(test::peer_ids({4, 9, 2}));
    CHECK(fixed.slot_for(9_peer).value() == 1_slot);
    CHECK(fixed.slot_for(7_peer).error().message.find("not in the owner's config") != std::string::npos);
    CHECK(fixed.peer_in(2_slot) == 2_peer);

    SlotTable joined = SlotTable::by_join_order(2);
    CHECK_FALSE(joined.peer_in(0_slot).has_value());
    CHECK(joined.slot_for(7003_peer).value() == 0_slot);
    CHECK(joined.slot_for(7001_peer).value() == 1_slot);
    CHECK(joined.peer_in(0_slot) == 7003_peer);
    CHECK(joined.slot_for(7003_peer).value() == 0_slot);
    CHECK(joined.slot_for(7009_peer).error().message.find("full") != std::string::npos);
    CHECK(joined.mark_served(7003_peer));
    CHECK_FALSE(joined.mark_served(7003_peer));
    CHECK_FALSE(joined.mark_served(7009_peer));
    CHECK_FALSE(joined.all_served());
    CHECK(joined.mark_served(7001_peer));
    CHECK(joined.all_served());
}

TEST_CASE("the summary file: a heading, then the chunk IDs held, one a line, written whole")
{
    ChunkSet have(20);
    for (ChunkId id : {0_c, 5_c, 19_c})
        have.insert(id);
    const std::string text = format_summary("f.bin", have);
    CHECK(text == "# chunkswarm summary: f.bin, 3 of 20 chunks\n0\n5\n19\n");

    test::TempDir dir;
    REQUIRE(write_summary(dir.path() / "summary.txt", "f.bin", have).ok());
    std::ifstream written(dir.path() / "summary.txt");
    CHECK(std::string(std::istreambuf_iterator<char>(written), {}) == text);
    CHECK_FALSE(std::filesystem::exists(dir.path() / "summary.txt.tmp"));
}

TEST_CASE("back-off doubles up to its cap and gives up when the budget is spent")
{
    Backoff backoff(100, 400, 1000);
    CHECK(backoff.next_delay(0) == 100u);
    CHECK(backoff.next_delay(100) == 200u);
    CHECK(backoff.next_delay(300) == 400u);
    CHECK(backoff.next_delay(700) == 300u);  // only what is left of the budget
    CHECK_FALSE(backoff.next_delay(1000).has_value());
    backoff.reset();
    CHECK(backoff.next_delay(5000) == 100u);
}

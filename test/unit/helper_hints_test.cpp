// Where a chain's head is told to find helpers: the peers holding most of what it lacks, weighed
// by the upload they leave unused, shared out among the heads that ask.
#include <doctest/doctest.h>

#include "chunkswarm/core/helper_hints.hpp"
#include "test_ids.hpp"

using namespace chunkswarm;

namespace {

ChunkSet holding(std::uint32_t size, std::uint32_t first, std::uint32_t last)
{
    ChunkSet set(size);
    for (std::uint32_t id = first; id < last; ++id)
        set.insert(ChunkId(id));
    return set;
}

}  // namespace

TEST_CASE("the peers holding most of what the head lacks come first; those holding nothing new are left out")
{
    HelperHints hints({.max_hints = 6, .min_lacking = 8});
    hints.update(1_peer, holding(100, 0, 40), std::nullopt);   // the head
    hints.update(2_peer, holding(100, 0, 45), std::nullopt);   // just upstream: 5 more, not worth it
    hints.update(3_peer, holding(100, 20, 90), std::nullopt);  // 50 more
    hints.update(4_peer, holding(100, 30, 60), std::nullopt);  // 20 more
    CHECK(hints.hint(1_peer) == test::peer_ids({3, 4}));
}

TEST_CASE("spare upload weighs: a peer with its link full is named after one with room")
{
    HelperHints hints;
    hints.update(1_peer, holding(100, 0, 10), std::nullopt);
    hints.update(2_peer, holding(100, 0, 90), 0);      // 80 more, but its upload is used up
    hints.update(3_peer, holding(100, 50, 100), 900);  // 50 more, and room
    CHECK(hints.hint(1_peer) == test::peer_ids({3, 2}));
}

TEST_CASE("a second head is steered away from the helpers already named to the first")
{
    HelperHints hints({.max_hints = 1, .min_lacking = 1});
    hints.update(1_peer, holding(100, 0, 10), std::nullopt);
    hints.update(2_peer, holding(100, 0, 10), std::nullopt);
    hints.update(3_peer, holding(100, 0, 60), std::nullopt);  // 50 more for either head
    hints.update(4_peer, holding(100, 0, 40), std::nullopt);  // 30 more
    CHECK(hints.hint(1_peer) == test::peer_ids({3}));
    CHECK(hints.hint(2_peer) == test::peer_ids({4}));  // 3 counts half, being named to 1
    hints.not_heading(1_peer);
    CHECK(hints.hint(2_peer) == test::peer_ids({3}));
}

TEST_CASE("no hint before the head's list is known, and none naming a peer that stopped reporting")
{
    HelperHints hints({.max_hints = 6, .min_lacking = 1});
    hints.update(2_peer, holding(100, 0, 50), std::nullopt);
    hints.update(1_peer, std::nullopt, 500);
    CHECK(hints.hint(1_peer).empty());
    hints.update(1_peer, holding(100, 0, 10), std::nullopt);
    CHECK(hints.hint(1_peer) == test::peer_ids({2}));
    hints.forget(2_peer);
    CHECK(hints.hint(1_peer).empty());
    // A list of another size (a peer confused about the file) is never compared.
    hints.update(3_peer, holding(99, 0, 99), std::nullopt);
    CHECK(hints.hint(1_peer).empty());
}

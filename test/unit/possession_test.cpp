#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "chunkswarm/core/possession.hpp"
#include "test_ids.hpp"

using namespace chunkswarm;

namespace {

std::vector<std::vector<std::uint8_t>> make_chunks(std::uint32_t count)
{
    std::vector<std::vector<std::uint8_t>> chunks;
    for (std::uint32_t i = 0; i < count; ++i)
        chunks.emplace_back(1000, static_cast<std::uint8_t>(i * 7 + 1));
    return chunks;
}

Digest prove(const Nonce& nonce, std::uint32_t peer_id, const std::vector<std::vector<std::uint8_t>>& chunks)
{
    PossessionProof proof(nonce, PeerId(peer_id));
    for (ChunkId id : challenge_chunks(nonce, static_cast<std::uint32_t>(chunks.size())))
        proof.add(chunks[id.value()]);
    return proof.finish();
}

}  // namespace

TEST_CASE("a challenge picks distinct chunks in range, the same on both sides")
{
    const Nonce nonce = random_nonce();
    const auto ids = challenge_chunks(nonce, 1000);
    CHECK(ids.size() == kChallengeChunks);
    CHECK(std::set<ChunkId>(ids.begin(), ids.end()).size() == ids.size());
    CHECK(std::all_of(ids.begin(), ids.end(), [](ChunkId id) { return id < 1000_c; }));
    CHECK(challenge_chunks(nonce, 1000) == ids);

    // A file of fewer chunks than a challenge covers: every chunk, once.
    auto small = challenge_chunks(nonce, 3);
    std::sort(small.begin(), small.end());
    CHECK(small == test::chunk_ids({0, 1, 2}));
    CHECK(challenge_chunks(nonce, 1) == test::chunk_ids({0}));
}

TEST_CASE("fresh nonces pick chunks across the whole file")
{
    std::set<ChunkId> seen;
    for (int i = 0; i < 200; ++i) {
        for (ChunkId id : challenge_chunks(random_nonce(), 64))
            seen.insert(id);
    }
    CHECK(seen.size() == 64);
}

TEST_CASE("only the holder of the picked chunks gives the proof, for its own id and this nonce")
{
    const auto chunks = make_chunks(50);
    const Nonce nonce = random_nonce();
    const Digest right = prove(nonce, 3, chunks);
    CHECK(prove(nonce, 3, chunks) == right);
    CHECK(prove(nonce, 4, chunks) != right);
    CHECK(prove(random_nonce(), 3, chunks) != right);

    // One byte wrong in a picked chunk changes the proof.
    auto damaged = chunks;
    damaged[challenge_chunks(nonce, 50).back().value()][999] ^= 1;
    CHECK(prove(nonce, 3, damaged) != right);
}

#include "chunkswarm/core/possession.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace chunkswarm {
namespace {

constexpr std::string_view kLabel = "chunkswarm possession v1";

std::span<const std::uint8_t> as_bytes(std::string_view text)
{
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::array<std::uint8_t, 4> big_endian(std::uint32_t value)
{
    return {static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
            static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)};
}

}  // namespace

std::vector<ChunkId> challenge_chunks(const Nonce& nonce, std::uint32_t chunk_count)
{
    std::vector<ChunkId> ids;
    const std::size_t wanted = std::min<std::size_t>(kChallengeChunks, chunk_count);
    // Each draw hashes the nonce with a counter: as unpredictable as the nonce, and the same on
    // both sides without sending the ids. A repeat is drawn again.
    for (std::uint32_t draw = 0; ids.size() < wanted; ++draw) {
        Sha256 hash;
        hash.update(nonce);
        hash.update(big_endian(draw));
        const Digest digest = hash.finish();
        std::uint64_t value = 0;
        for (std::size_t i = 0; i < 8; ++i)
            value = value << 8 | digest[i];
        const auto id = static_cast<ChunkId>(value % chunk_count);
        if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    }
    return ids;
}

PossessionProof::PossessionProof(const Nonce& nonce, PeerId peer_id)
{
    hash_.update(as_bytes(kLabel));
    hash_.update(nonce);
    hash_.update(big_endian(peer_id.value()));
}

void PossessionProof::add(std::span<const std::uint8_t> chunk) { hash_.update(chunk); }

Digest PossessionProof::finish() { return hash_.finish(); }

}  // namespace chunkswarm

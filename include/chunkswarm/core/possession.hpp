// Proof that a peer holds the file it claims: the owner believes "I hold the whole file" only with
// one. It sends a fresh nonce; the nonce picks a few chunks, and the peer answers with
// SHA-256(label | nonce | peer id | those chunks' bytes). Without a swarm secret anyone may connect
// and claim to be any peer, so this keeps an outsider who lacks the file from ending the swarm;
// and a complete peer that was restarted proves it the same way as one that just finished.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "chunkswarm/core/auth.hpp"
#include "chunkswarm/core/chunk_set.hpp"
#include "chunkswarm/core/sha256.hpp"

namespace chunkswarm {

// Chunks one challenge covers. A claimant that holds a fraction f of the file passes with chance
// about f^4: to pass half the time it must hold 84% of it. Reading them costs each side 400 KiB.
inline constexpr std::size_t kChallengeChunks = 4;

// The distinct chunks `nonce` names, in the order they are hashed (all of them for a small file).
std::vector<ChunkId> challenge_chunks(const Nonce& nonce, std::uint32_t chunk_count);

class PossessionProof {
public:
    PossessionProof(const Nonce& nonce, PeerId peer_id);
    // Each of challenge_chunks(), in that order.
    void add(std::span<const std::uint8_t> chunk);
    Digest finish();

private:
    Sha256 hash_;
};

}  // namespace chunkswarm

#include "chunkswarm/disk/prove_possession.hpp"

#include "chunkswarm/core/possession.hpp"

namespace chunkswarm::disk {

Result<Digest> prove_possession(const ChunkStore& store, const Manifest& manifest, const Nonce& nonce, PeerId peer_id)
{
    PossessionProof proof(nonce, peer_id);
    for (ChunkId id : challenge_chunks(nonce, manifest.chunk_count)) {
        auto bytes = store.read(id, manifest.chunk_length(id));
        if (!bytes) return bytes.error();
        proof.add(bytes.value());
    }
    return proof.finish();
}

}  // namespace chunkswarm::disk

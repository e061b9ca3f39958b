// The disk side of a possession proof (possession.hpp): reads the chunks a challenge picks from a
// store and hashes them. Blocking: the owner runs it on a pool thread; a peer, once, at its end.
#pragma once

#include <cstdint>

#include "chunkswarm/core/auth.hpp"
#include "chunkswarm/core/manifest.hpp"
#include "chunkswarm/core/result.hpp"
#include "chunkswarm/disk/chunk_store.hpp"

namespace chunkswarm::disk {

Result<Digest> prove_possession(const ChunkStore& store, const Manifest& manifest, const Nonce& nonce, PeerId peer_id);

}  // namespace chunkswarm::disk

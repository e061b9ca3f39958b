// Test helpers over the disk layer's chunk store, built from what the owner and the peers use: the
// owner's split (hash, then write the chunk files) run whole on the calling thread, and a file put
// back together from the chunk files a store holds.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>

#include "chunkswarm/core/manifest.hpp"
#include "chunkswarm/core/result.hpp"
#include "chunkswarm/disk/chunk_store.hpp"

namespace chunkswarm::test {

// Chunks [first, last) hashed, then written, as the owner's threads do it.
inline Result<void> split_range(Splitter& splitter, ChunkId first, ChunkId last)
{
    CS_TRY(splitter.hash_range(first, last));
    return splitter.write_range(first, last);
}

struct SplitStats {
    std::uint32_t reused = 0;  // chunk files an earlier split left that already matched
};

inline Result<Manifest> split_file(const std::filesystem::path& source, std::uint32_t chunk_size,
                                   const ChunkStore& store, SplitStats* stats = nullptr)
{
    auto splitter = Splitter::open(source, chunk_size, store);
    if (!splitter) return splitter.error();
    CS_TRY(split_range(splitter.value(), ChunkId(0), ChunkId(splitter->chunk_count())));
    if (stats) stats->reused = splitter->reused();
    return splitter->manifest();
}

// Every chunk of `manifest` read from `store`, in order, into `destination`.
inline Result<void> join_chunks(const ChunkStore& store, const Manifest& manifest,
                                const std::filesystem::path& destination)
{
    std::ofstream out(destination, std::ios::binary | std::ios::trunc);
    for (ChunkId id : ids_below<ChunkId>(manifest.chunk_count)) {
        auto bytes = store.read(id, manifest.chunk_length(id));
        if (!bytes) return bytes.error();
        out.write(reinterpret_cast<const char*>(bytes->data()), static_cast<std::streamsize>(bytes->size()));
    }
    out.close();
    if (!out) return make_error("cannot write " + destination.string());
    return {};
}

}  // namespace chunkswarm::test

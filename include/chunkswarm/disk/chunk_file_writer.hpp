// Writes a peer's chunk files on threads of their own (two by default), behind the chunks' arrival. A chunk counts as
// held once it is in the joined file's .part, which is what the peer serves from; its chunk file
// follows through a short queue. Where the file system shares blocks between files (XFS, btrfs),
// a chunk file is a clone of its range of the .part: the bytes are on disk once and nothing is
// copied. Elsewhere nobody reads chunk files while the swarm runs, so they bypass the page cache
// (CacheMode::direct): no copy into it, and no dirty pages that would throttle the joined file's
// writes. The queue is bounded, so a slow disk slows the receiving, not memory.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "chunkswarm/core/result.hpp"
#include "chunkswarm/disk/chunk_store.hpp"
#include "chunkswarm/disk/file_util.hpp"

namespace chunkswarm::disk {

class ChunkFileWriter {
public:
    // At most `depth` chunks of up to `chunk_size` bytes wait to be written, by `writers` threads:
    // a direct write waits for the disk, so a few in flight keep up with the network.
    ChunkFileWriter(const ChunkStore& store, std::uint32_t chunk_size, std::size_t depth, std::size_t writers = 2);
    // Writes what is queued, then stops.
    ~ChunkFileWriter();
    ChunkFileWriter(const ChunkFileWriter&) = delete;
    ChunkFileWriter& operator=(const ChunkFileWriter&) = delete;

    // Queues the chunk, waiting while the queue is full: a clone of its range of the file the store
    // serves from, or else a copy of `bytes`. Safe from any thread. Fails with the error of an
    // earlier write (after which nothing more is written).
    Result<void> write(ChunkId id, std::span<const std::uint8_t> bytes);
    // Waits until every queued chunk file is written; the first error if one was not.
    Result<void> drain();

private:
    struct Job {
        ChunkId id;
        std::size_t length = 0;
        std::optional<ChunkStore::FileSpan> clone_of;  // else the bytes are in `buffer`
        AlignedBuffer buffer;
    };
    void run(std::stop_token stop);
    Result<void> write(Job& job);
    AlignedBuffer take_buffer();  // with mutex_ held

    const ChunkStore& store_;
    const std::uint32_t chunk_size_;
    const std::size_t depth_;
    std::mutex mutex_;
    std::condition_variable_any changed_;
    std::deque<Job> queue_;              // guarded by mutex_
    std::vector<AlignedBuffer> spare_;   // guarded by mutex_: written buffers, reused
    std::size_t writing_ = 0;            // guarded by mutex_: jobs out of the queue, not done
    std::optional<Error> failure_;       // guarded by mutex_
    std::vector<std::jthread> threads_;  // last: they start once everything above exists
};

}  // namespace chunkswarm::disk

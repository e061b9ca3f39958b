// One file per chunk under <data dir>/chunks; safe to use from several threads at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "chunkswarm/core/chunk_set.hpp"
#include "chunkswarm/core/manifest.hpp"
#include "chunkswarm/core/result.hpp"
#include "chunkswarm/disk/file_util.hpp"

namespace chunkswarm {

class ChunkStore {
public:
    explicit ChunkStore(std::filesystem::path data_dir);

    Result<void> prepare() const;
    std::filesystem::path chunk_path(ChunkId id) const;
    // Written under a temporary name and renamed, so a chunk file either is whole or does not exist.
    Result<void> write(ChunkId id, std::span<const std::uint8_t> bytes, CacheMode mode = CacheMode::buffered) const;
    // Makes chunk `id`'s file share `length` bytes at `offset` of the open file `source` instead of
    // a copy (clone_file_atomically). False where the file system cannot: then the caller writes
    // the bytes, and once a whole-block chunk was refused, may_clone() says not to try again.
    Result<bool> clone(ChunkId id, int source, off_t offset, std::size_t length) const;
    bool may_clone() const { return !clone_refused_.load(std::memory_order_relaxed); }
    std::uint32_t clones() const { return clones_.load(std::memory_order_relaxed); }
    Result<std::vector<std::uint8_t>> read(ChunkId id, std::uint32_t expected_length) const;
    // The same into `buffer`, which must hold expected_length + 1 bytes (the extra one detects a
    // file that is too long); returns the chunk's bytes within it.
    Result<std::span<const std::uint8_t>> read_into(ChunkId id, std::uint32_t expected_length,
                                                    std::span<std::uint8_t> buffer) const;
    // read_into() from the chunk file itself, even while chunks are served from a joined file.
    Result<std::span<const std::uint8_t>> read_chunk_file(ChunkId id, std::uint32_t expected_length,
                                                          std::span<std::uint8_t> buffer) const;
    // Which chunks on disk match the manifest. Files that do not (damaged, wrong length, or left
    // half-written as *.tmp by a crash) are deleted, so they are fetched again.
    struct ScanResult {
        ChunkSet held;
        std::uint32_t dropped = 0;
    };
    // `on_verified` sees each good chunk's bytes, so a caller can use them without reading again.
    using ChunkVisitor = std::function<void(ChunkId, std::span<const std::uint8_t>)>;
    ScanResult scan(const Manifest& manifest, const ChunkVisitor& on_verified = {}) const;
    // Removes every chunk file (and leftover temporary file); returns how many were removed.
    std::uint32_t clear() const;
    // From now on chunks are read from this whole file (a peer's joined file or .part, the owner's
    // source), so the chunk files may go.
    Result<void> serve_from_joined(const std::filesystem::path& joined, std::uint32_t chunk_size);
    bool serving_from_joined() const;
    void stop_serving_from_joined();
    // Where a chunk lies in the whole file chunks are served from, so that a server can hand it
    // to a socket from there (sendfile) instead of reading it first; nullopt while chunks are
    // read from chunk files. The file stays open while the span is held.
    struct FileSpan {
        std::shared_ptr<Fd> file;
        off_t offset = 0;
    };
    std::optional<FileSpan> joined_span(ChunkId id) const;
    const std::filesystem::path& dir() const { return dir_; }

private:
    struct JoinedSource {
        std::shared_ptr<Fd> fd;
        std::uint32_t chunk_size = 0;
    };
    std::optional<JoinedSource> joined_source() const;
    Result<std::span<const std::uint8_t>> read_joined(const JoinedSource& joined, ChunkId id,
                                                      std::uint32_t expected_length,
                                                      std::span<std::uint8_t> buffer) const;

    std::filesystem::path dir_;
    mutable std::atomic<bool> clone_refused_{false};
    mutable std::atomic<std::uint32_t> clones_{0};
    // Set once by the download thread, read by the upload thread's disk reads.
    mutable std::mutex joined_mutex_;
    std::optional<JoinedSource> joined_;  // guarded by joined_mutex_
};

// Splits a file into chunk files in pieces, so that the owner can run the pieces on several
// threads: hash_range() on disjoint ranges may all run at once, and so may write_range() on
// disjoint ranges once their hashes are known. A chunk file that already holds
// exactly the right bytes (an earlier split of the same file) is kept.
class Splitter {
public:
    static Result<Splitter> open(const std::filesystem::path& source, std::uint32_t chunk_size,
                                 const ChunkStore& store);
    std::uint32_t chunk_count() const { return manifest_.chunk_count; }
    // Records the hashes of chunks [first, last).
    Result<void> hash_range(ChunkId first, ChunkId last);
    // Writes the chunk files of [first, last), hashed already, past the page cache where it can
    // (nobody reads them soon).
    Result<void> write_range(ChunkId first, ChunkId last);
    // The manifest, once every range is hashed.
    const Manifest& manifest() const { return manifest_; }
    const std::filesystem::path& source() const { return source_; }
    std::uint32_t reused() const { return *reused_; }

private:
    Splitter() = default;
    Result<void> read_chunk(ChunkId id, std::span<std::uint8_t> out) const;

    std::filesystem::path source_;
    Fd fd_;
    const ChunkStore* store_ = nullptr;
    Manifest manifest_;
    std::unique_ptr<std::atomic<std::uint32_t>> reused_;
};

}  // namespace chunkswarm

// Builds the joined file while its chunks arrive, so that holding the last chunk leaves only a
// rename: every verified chunk is written at its offset into "<file>.part". Every byte is already
// covered by its chunk's hash; on request the whole .part is read back and every chunk checked
// again before the rename.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "chunkswarm/core/chunk_set.hpp"
#include "chunkswarm/core/manifest.hpp"
#include "chunkswarm/core/result.hpp"
#include "chunkswarm/core/sha256.hpp"
#include "chunkswarm/disk/file_util.hpp"

namespace chunkswarm {

// Where a file is assembled before it is renamed into place: "<destination>.part".
std::filesystem::path part_path_for(const std::filesystem::path& destination);

// Whether the joined file is read back and checked once more, chunk by chunk (each byte hashed twice).
enum class ReadBackCheck { skip, check };

// Checks every chunk of `file` against the manifest; the error names the first one that differs.
Result<void> check_file_chunks(const std::filesystem::path& file, const Manifest& manifest);

class FileAssembler {
public:
    // Creates (or empties) "<destination>.part" and reserves the file's size, so a full disk is
    // reported now rather than halfway.
    static Result<std::unique_ptr<FileAssembler>> create(const Manifest& manifest,
                                                         const std::filesystem::path& destination,
                                                         ReadBackCheck read_back_check);
    struct Key {
        explicit Key() = default;
    };
    FileAssembler(Key, const Manifest& manifest, std::filesystem::path destination, Fd fd,
                  ReadBackCheck read_back_check);
    ~FileAssembler();
    FileAssembler(const FileAssembler&) = delete;
    FileAssembler& operator=(const FileAssembler&) = delete;

    // Picks up a "<destination>.part" left by an earlier run: every chunk in it that matches the
    // manifest's hash counts as written (returned in `held`); anything else is fetched again. With
    // no usable .part (missing, or another size), the same as create().
    static Result<std::unique_ptr<FileAssembler>> resume(const Manifest& manifest,
                                                         const std::filesystem::path& destination,
                                                         ReadBackCheck read_back_check, ChunkSet& held);
    // Writes one chunk, already checked against the manifest. Safe from several threads at once;
    // a chunk already written is not written again, so a late second copy never touches the file,
    // not even after finish().
    Result<void> write(ChunkId id, std::span<const std::uint8_t> bytes);
    // Once every chunk is in: waits for writes still going on (a second copy of some chunk), checks
    // the .part chunk by chunk if asked to, and renames it over the destination. On a mismatch the
    // .part is removed.
    Result<void> finish();
    // For a manifest that was not whole at create(): the hashes finish() checks with. Call before
    // the assembler is shared between threads.
    void set_read_back_hashes(const std::vector<Digest>& hashes)
    {
        if (read_back_check_ == ReadBackCheck::check) layout_.chunk_sha256 = hashes;
    }
    // Removes the .part (the swarm moved on to another file).
    void abandon();
    const std::filesystem::path& part_path() const { return part_; }

private:
    Result<std::span<const std::uint8_t>> read_back(ChunkId id);

    // The manifest; its chunk hashes only when the .part is checked at the end.
    Manifest layout_;
    std::filesystem::path destination_;
    std::filesystem::path part_;
    Fd fd_;
    const ReadBackCheck read_back_check_;

    std::mutex mutex_;
    ChunkSet written_;           // guarded by mutex_
    std::uint32_t writing_ = 0;  // guarded by mutex_: write() calls between their check and write
    // Signalled when the last write in progress ends, for finish().
    std::condition_variable idle_;
    // Used by resume() only, before the assembler is shared.
    std::vector<std::uint8_t> buffer_;
};

}  // namespace chunkswarm

// Small file helpers shared by every role: atomic replace, errno text, reserved names.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "chunkswarm/core/data_dir_names.hpp"
#include "chunkswarm/core/ids.hpp"
#include "chunkswarm/core/result.hpp"

namespace chunkswarm {

// Where chunk `id` starts in the whole file, whose chunks are `chunk_size` bytes (in 64 bits: a
// file may hold more than 4 GiB).
inline off_t chunk_offset(ChunkId id, std::uint32_t chunk_size)
{
    return static_cast<off_t>(std::uint64_t{id.value()} * chunk_size);
}

// How a file's bytes go to the disk. `direct` bypasses the page cache (O_DIRECT) when the bytes
// allow it (a buffer from AlignedBuffer, a length in whole 4 KiB blocks) and the file system does:
// a file nobody reads soon then costs no page-cache copy and no dirty pages that hold up the other
// writers. Otherwise, and always with `buffered`, the page cache takes them.
enum class CacheMode { buffered, direct };

// Writes to "<path>.<thread>.tmp" and renames over `path`, so readers see the old or the new file,
// never half.
Result<void> write_file_atomically(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                                   CacheMode mode = CacheMode::buffered);
// The same, but the new file shares `length` bytes at `offset` of the open file `source` instead
// of holding a copy (FICLONERANGE), where the file system can: XFS, btrfs. The bytes are then on
// disk once, and nothing is copied. False, with nothing left behind, where it cannot (ext4, tmpfs,
// another file system, a range that is not in whole blocks): the caller writes the bytes instead.
Result<bool> clone_file_atomically(const std::filesystem::path& path, int source, off_t offset, std::size_t length);
Result<void> ensure_directory(const std::filesystem::path& dir);

// Read until `out` is full or end of file; return the bytes read, or -errno.
ssize_t read_fully(int fd, std::span<std::uint8_t> out);
ssize_t pread_fully(int fd, std::span<std::uint8_t> out, off_t offset);
// Writes every byte; returns 0 or the errno of the write that failed.
int write_fully(int fd, std::span<const std::uint8_t> bytes);
int pwrite_fully(int fd, std::span<const std::uint8_t> bytes, off_t offset);

// Heap memory aligned for O_DIRECT, not zeroed (every user fills it before reading it).
class AlignedBuffer {
public:
    static constexpr std::size_t kAlignment = 4096;
    AlignedBuffer() = default;
    explicit AlignedBuffer(std::size_t size);
    std::uint8_t* data() const { return bytes_.get(); }
    std::size_t size() const { return size_; }
    std::span<std::uint8_t> span() const { return {bytes_.get(), size_}; }

private:
    struct Free {
        void operator()(std::uint8_t* bytes) const { std::free(bytes); }
    };
    std::unique_ptr<std::uint8_t[], Free> bytes_;
    std::size_t size_ = 0;
};

// Owns one file descriptor. Writers close() explicitly and check the result, because closing can
// report a deferred write error.
class Fd {
public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept
    {
        std::swap(fd_, other.fd_);
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd();
    int get() const { return fd_; }
    bool valid() const { return fd_ >= 0; }
    int close();

private:
    int fd_;
};

// An exclusive lock on a data directory for the life of the process, so that two processes
// never write into the same one. The kernel drops it if the process dies.
class DirectoryLock {
public:
    static Result<DirectoryLock> acquire(const std::filesystem::path& dir);
    DirectoryLock(DirectoryLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    DirectoryLock& operator=(DirectoryLock&&) = delete;
    DirectoryLock(const DirectoryLock&) = delete;
    ~DirectoryLock();

private:
    explicit DirectoryLock(int fd) : fd_(fd) {}
    int fd_;
};
std::string errno_text(int err);

// What a path given as input is (links followed), or one line naming the path and why it cannot
// be looked at (missing, a loop of links, a name too long, no permission). Never throws.
Result<std::filesystem::file_type> input_file_type(const std::filesystem::path& path);
// "a directory", "a named pipe (FIFO)", "a socket", ... for messages that refuse one.
std::string describe_file_type(std::filesystem::file_type type);

}  // namespace chunkswarm

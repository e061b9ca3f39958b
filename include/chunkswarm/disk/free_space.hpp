// Room on disk, checked before a process writes what it will need: a full disk found halfway
// through a large file costs the time spent until then, and leaves a half-written data directory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "chunkswarm/core/result.hpp"

namespace chunkswarm::disk {

// Bytes the files under `dir` take on disk (allocated blocks, so a preallocated file counts
// whole); 0 for a directory that does not exist.
std::uint64_t bytes_in(const std::filesystem::path& dir);

// An error unless the file system of `dir` (or of its nearest existing parent) has `needed` bytes
// free for an unprivileged writer. `what` says what they are for ("the joined file and the chunk
// files").
Result<void> check_room(const std::filesystem::path& dir, std::uint64_t needed, std::string_view what);

}  // namespace chunkswarm::disk

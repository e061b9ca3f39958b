// The summary file the original brief asks for: the chunk IDs a peer holds, one per line.
//
//   # chunkswarm summary: <file name>, <held> of <count> chunks
//   0
//   5
//   ...
#pragma once

#include <filesystem>
#include <string>

#include "chunkswarm/core/chunk_set.hpp"
#include "chunkswarm/core/result.hpp"

namespace chunkswarm {

std::string format_summary(const std::string& file_name, const ChunkSet& have);
// Atomic: a reader sees the previous summary or this one, never a mix.
Result<void> write_summary(const std::filesystem::path& path, const std::string& file_name, const ChunkSet& have);

}  // namespace chunkswarm

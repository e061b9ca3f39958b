// Small file helpers shared by every role: atomic replace, errno text, reserved names.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "chunkswarm/result.hpp"

namespace chunkswarm {

// Names chunkswarm itself uses inside a data directory; a distributed file may not take them.
inline constexpr std::string_view kManifestFileName = "manifest.json";
inline constexpr std::string_view kSummaryFileName = "summary.txt";
inline constexpr std::string_view kChunkDirName = "chunks";

bool is_reserved_name(std::string_view name);

// Writes to "<path>.tmp" and renames over `path`, so readers see the old or the new file, never half.
Result<void> write_file_atomically(const std::filesystem::path& path, std::span<const std::uint8_t> bytes);
Result<void> ensure_directory(const std::filesystem::path& dir);
std::string errno_text(int err);

}  // namespace chunkswarm

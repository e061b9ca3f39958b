// The names chunkswarm itself uses inside a data directory, which a distributed file may not take.
#pragma once

#include <string_view>

namespace chunkswarm {

inline constexpr std::string_view kManifestFileName = "manifest.json";
inline constexpr std::string_view kSummaryFileName = "summary.txt";
inline constexpr std::string_view kChunkDirName = "chunks";
inline constexpr std::string_view kLockFileName = ".lock";

bool is_reserved_name(std::string_view name);

}  // namespace chunkswarm

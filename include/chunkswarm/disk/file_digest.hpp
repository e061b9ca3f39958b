// The SHA-256 of a file on disk, streamed through the hash a megabyte at a time.
#pragma once

#include <filesystem>
#include <optional>

#include "chunkswarm/core/sha256.hpp"

namespace chunkswarm {

// nullopt if it cannot be read.
std::optional<Digest> sha256_of_file(const std::filesystem::path& path);

}  // namespace chunkswarm

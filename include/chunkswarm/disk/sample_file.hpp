// Sizes as users write them ("5MiB", "1G") and the random files that demos and benchmarks send.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace chunkswarm {

// Digits with an optional unit: B, K/KiB, M/MiB, G/GiB (powers of 1024).
std::optional<std::uint64_t> parse_size(const std::string& text);
// Pseudo-random bytes, different on every call, so that no chunk hashes like another.
bool write_random_file(const std::filesystem::path& path, std::uint64_t size);

}  // namespace chunkswarm

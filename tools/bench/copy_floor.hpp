// The copy floor: the bytes every peer must end up with, moved by plain TCP copies and nothing else.
// One sender serves N receivers at once over loopback; each receiver writes what it gets to a file.
// No framing, hashing, chunk files or joining: whatever the swarm spends beyond this is overhead.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace chunkswarm::bench {

struct FloorResult {
    double wall_s = 0;
    std::string error;  // empty on success (every copy arrived whole)
};

FloorResult run_copy_floor(const std::filesystem::path& source, std::uint64_t size,
                           const std::vector<std::filesystem::path>& destinations);

}  // namespace chunkswarm::bench

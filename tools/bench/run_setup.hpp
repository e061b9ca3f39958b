// What every timed run takes, whichever tool it times: the input, a directory of its own, the
// number of peers and a time limit.
#pragma once

#include <cstdint>
#include <filesystem>

namespace chunkswarm::bench {

struct RunSetup {
    std::filesystem::path input;
    std::filesystem::path dir;  // emptied first; holds the run's config or torrent, its data and its logs
    std::uint32_t peers = 5;
    std::uint32_t timeout_s = 900;
};

}  // namespace chunkswarm::bench

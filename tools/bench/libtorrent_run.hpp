// One timed libtorrent swarm (tools/libtorrent_swarm.py): the same input and number of peers as
// the swarm, one seed and N peers on 127.0.0.1, each its own process, for a side-by-side figure.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "run_setup.hpp"

namespace chunkswarm::bench {

struct LibtorrentSetup : RunSetup {
    std::filesystem::path python;  // Debian's, where python3-libtorrent lives
    std::filesystem::path script;
    std::string kind = "v1";  // torrent format: v1, v2 or hybrid
    bool ready_seed = false;  // the peers start once the seed listens with its torrent made
};

struct LibtorrentResult {
    double wall_s = 0;  // from the torrent's creation until every peer held the whole file
    double create_torrent_s = 0;
    double listening_s = 0;  // from the start until every process listened (interpreters, sessions)
    double ready_s = 0;      // with ready_seed: from the start until the seed listened
    double seed_cpu_s = 0;
    double peers_cpu_s = 0;  // all peers together
    double seed_peak_rss_mib = 0;
    double peer_peak_rss_mib = 0;  // the largest
    std::uint32_t piece_bytes = 0;
    std::string version;
    std::vector<std::filesystem::path> outputs;
    std::string error;  // empty when the run finished
};

// Empty when `python` can import libtorrent, else what to install.
std::string libtorrent_missing(const std::filesystem::path& python);

LibtorrentResult run_libtorrent(const LibtorrentSetup& setup);

}  // namespace chunkswarm::bench

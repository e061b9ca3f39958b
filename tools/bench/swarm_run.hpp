// One timed swarm: an owner and N peers in a ring on 127.0.0.1, all started at once, at the default
// log level as a user would run them, each writing its event stream (--log-format json) to a file.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "chunkswarm/core/manifest.hpp"
#include "chunkswarm/core/settings.hpp"
#include "run_setup.hpp"

namespace chunkswarm::bench {

struct SwarmSetup : RunSetup {
    std::filesystem::path owner_bin;
    std::filesystem::path peer_bin;
    std::uint32_t chunk_size = kDefaultChunkSize;
    std::uint32_t window = Settings{}.request_window;
    bool keep_chunk_files = Settings{}.keep_chunk_files;
    bool helpers = Settings{}.helpers;
    std::optional<bool> early_trading;  // unset: the build's default
    // Every process capped at this many bytes per second both ways (one host's link); 0: none.
    std::uint64_t link_rate = 0;
    // Peers (1-based ids) started with this --max-upload-rate, --max-download-rate or both (slow
    // machines), as slow_flags says.
    std::map<std::uint32_t, std::uint64_t> slow_peers;
    std::vector<std::string> slow_flags = {"--max-upload-rate"};
    // Peers killed for good this long after the owner started (machines that die).
    std::vector<std::uint32_t> killed;
    std::chrono::milliseconds kill_after{0};
    // The peers start only once the owner has hashed its whole file (its `split` line), as
    // libtorrent's peers meet a seed whose torrent is made; the kills count from then.
    bool ready_owner = false;
    // Written to the config: every connection TLS with a key from it. Empty: the plain protocol.
    std::string secret;
};

// What a process's log says about it.
struct LogFacts {
    std::optional<double> split_s;        // owner: the file hashed (and split), the manifest ready
    std::optional<double> first_chunk_s;  // peer: its first chunk stored
    std::optional<double> bootstrap_s;    // peer: its share from the owner held
    std::optional<double> joined_s;       // peer: the file joined and verified
    std::optional<double> peak_rss_mib;   // its own peak (VmHWM), from its last line
};

struct SwarmResult {
    double wall_s = 0;   // owner start until the last process exited
    double ready_s = 0;  // owner start until the peers started: 0, or the owner's hashing with ready_owner
    ChildResult owner;
    std::vector<ChildResult> peers;
    LogFacts owner_facts;
    std::vector<LogFacts> peer_facts;
    std::string error;  // empty when every process exited 0
};

SwarmResult run_swarm(const SwarmSetup& setup);

// Where peer `id` (1-based) of a run leaves its joined file.
std::filesystem::path peer_output(const SwarmSetup& setup, std::uint32_t id);

}  // namespace chunkswarm::bench

// Runs a whole swarm: the owner, then the peers of the config, on this machine or through each
// host's command (the config's "launch": ssh, ip netns exec), each program's output into its log
// file and into the model; shows progress, stops everything on Ctrl-C or a failure, and checks
// every copy at the end (on its host, through the same command).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "chunkswarm/core/config.hpp"
#include "chunkswarm/net/metrics_server.hpp"

namespace chunkswarm::swarm {

// live: redrawn in place; plain: a progress line every interval; lines: every line of every
// program as it comes (the original brief's console lines); quiet: only the verdict.
enum class Display { live, plain, lines, quiet };

struct LaunchOptions {
    std::filesystem::path config_path;
    std::string config_text;  // the config file's bytes, for processes that read it on stdin
    SwarmConfig config;
    std::filesystem::path file;     // on the owner's host
    std::filesystem::path work;     // logs, and the data of every process without a launch.work_dir
    std::filesystem::path bin_dir;  // where the owner and peer programs are
    bool subcommands = false;       // they are `chunkswarm owner` and `chunkswarm peer` (PlanInputs)
    bool together = false;          // start every peer at once instead of one at a time
    bool resume = false;            // --resume: the logs go on after the earlier run's
    Display display = Display::plain;
    double interval_s = 2.0;  // between plain progress lines
    double timeout_s = 0;     // 0: no limit
    std::optional<std::filesystem::path> report;
    // --kill PEER@SECONDS: SIGKILL that peer this long after it started, to watch the swarm repair.
    struct Kill {
        PeerId peer_id;
        double at_s = 0;
    };
    std::vector<Kill> kills;
    std::string expect;           // --expect: the content id every peer is told to insist on (parsed)
    std::string output;           // --output: where each peer puts its copy, on its host ("{id}": its id)
    net::MetricsOptions metrics;  // --metrics: the whole swarm's figures (swarm_metrics.hpp)
};

// "3@2.5" -> peer 3 at 2.5 s; the peer must be in the config.
Result<LaunchOptions::Kill> parse_kill(const std::string& text, const SwarmConfig& config);

// Returns the process's exit code: 0 every copy verified, 1 a failure, 128+signal if stopped.
int launch(const LaunchOptions& options);

}  // namespace chunkswarm::swarm

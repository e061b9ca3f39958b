// The swarm's topology and settings from configs/*.json, validated with field-level messages.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "chunkswarm/core/ids.hpp"
#include "chunkswarm/core/result.hpp"
#include "chunkswarm/core/settings.hpp"

namespace chunkswarm {

// The most peers one swarm may have, in a config or with the owner's --peers: ten times the
// largest swarms such tools are run with, and far below what would exhaust the owner's memory.
inline constexpr std::uint32_t kMaxPeers = 100'000;
// The owner's port when the config gives none; a peer's is this plus its id.
inline constexpr std::uint32_t kDefaultOwnerPort = 7100;

struct Endpoint {
    std::string host;
    std::uint16_t port = 0;
    std::string to_string() const { return host + ":" + std::to_string(port); }
};

struct PeerConfig {
    PeerId id;
    Endpoint endpoint;
    PeerId download_neighbor;
    std::string data_dir;  // empty: <data_dir>/peer-<id>
};

// How the swarm launcher starts the processes of one host (owner and peer ignore it). With a
// command (`ssh {host}`, `ip netns exec {name}`), a process runs through it as a shell command
// line (swarm/launch_plan.hpp), reading the config on its standard input and ending when that
// closes.
struct HostLaunch {
    // Empty: run directly on this machine. {host} becomes the process's host, {name} "owner" or
    // "peer-<id>".
    std::vector<std::string> command;
    std::string bin_dir;            // where owner and peer are there (empty: the launcher's --bin-dir)
    std::string work_dir;           // where data directories go there (empty: the launcher's --work)
    std::vector<std::string> args;  // more arguments for the programs there
};

struct LaunchConfig {
    HostLaunch all;
    // By host as the config names it; each field given replaces the one in `all`.
    std::map<std::string, HostLaunch> hosts;
    HostLaunch for_host(const std::string& host) const;
};

struct SwarmConfig {
    Endpoint owner;
    std::string owner_data_dir;  // empty: <data_dir>/owner
    std::uint32_t chunk_size = 0;
    bool chunk_size_given = false;  // false: the owner may pick larger chunks for a large file
    std::string data_dir = "data";
    std::vector<PeerConfig> peers;
    Settings settings;
    // Optional swarm secret; CHUNKSWARM_SECRET in the environment takes its place (auth.hpp).
    std::string secret;
    // Optional: the content id every peer must get (parse_content_id), else it refuses the
    // manifest; empty: whatever the owner distributes.
    std::string content_id;
    // Optional: certificates for TLS (PEM files), for sites that run a PKI: all three or none.
    struct Tls {
        std::string cert, key, ca;
    } tls;
    LaunchConfig launch;

    const PeerConfig* find_peer(PeerId id) const;
    // The peer that downloads from `id`, if any.
    const PeerConfig* upload_neighbor_of(PeerId id) const;
    std::string peer_data_dir(const PeerConfig& peer) const;
    std::string resolved_owner_data_dir() const;
};

Result<SwarmConfig> parse_config(const nlohmann::json& json);
// Every peer must receive, through its chain of download neighbours, the chunks that start at every other peer.
Result<void> check_topology(const std::vector<PeerConfig>& peers);
// A numeric IPv4 or IPv6 address, or a host name (the programs resolve names at start).
Result<void> check_host(const std::string& host);
// "HOST:PORT" as a person types it: "127.0.0.1:9100", "[::1]:9100", "localhost:9100", or ":9100"
// for every interface; port 0 lets the system pick one.
Result<Endpoint> parse_endpoint(std::string_view text);

}  // namespace chunkswarm

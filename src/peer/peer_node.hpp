// A peer: takes its share from the owner, then runs an upload loop and a download loop on two
// threads until it holds the whole file and its upload neighbour says it does too.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "chunkswarm/config.hpp"

namespace chunkswarm::peer {

struct PeerOptions {
    std::uint32_t id = 0;
    Endpoint owner;
    Endpoint listen;
    Endpoint download_neighbor;
    std::string download_label;  // "peer 2"
    // The peer whose "complete" lets this one exit; unknown in the plain form, where any will do.
    std::optional<std::uint32_t> upload_neighbor;
    std::filesystem::path data_dir;
    Settings settings;
    std::string secret;  // empty: no swarm secret
};

// Returns the process exit code; errors are reported before returning.
int run_peer(const PeerOptions& options);

}  // namespace chunkswarm::peer

// A peer: takes its share from the owner, then runs an upload loop and a download loop on two
// threads until it holds the whole file and its upload neighbour says it does too.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chunkswarm/core/config.hpp"
#include "chunkswarm/core/upstream_route.hpp"
#include "chunkswarm/net/metrics_server.hpp"
#include "chunkswarm/net/tls_channel.hpp"

namespace chunkswarm::peer {

struct PeerOptions {
    PeerId id;
    Endpoint owner;
    Endpoint listen;
    // The download neighbour first, then its own download neighbour and so on round the ring, as
    // far as known (the whole ring from a config; in the plain form only the first, and the
    // rest is learnt from the peers themselves).
    std::vector<PeerRef> upstream;
    // The peer whose "complete" lets this one exit; unknown in the plain form, where any will do.
    std::optional<PeerId> upload_neighbor;
    std::filesystem::path data_dir;
    // Where the joined file (or tree) goes; empty: data_dir/<its name>. Chunk files, summary and
    // manifest stay in data_dir.
    std::filesystem::path output;
    Settings settings;
    std::string secret;                          // empty: no swarm secret
    std::shared_ptr<const net::TlsContext> tls;  // empty: the plain protocol
    // Pinned content (parse_content_id): any other manifest is refused; empty: none pinned.
    std::string expected_content_id;
    net::MetricsOptions metrics;
};

// Runs until this peer holds the file and may leave; an error says what stopped it (its code
// bad_input for a setting the user gave), for main to report.
Result<void> run_peer(const PeerOptions& options);

}  // namespace chunkswarm::peer

// The file owner: splits the file, serves each peer its share, and stays, serving what only it can
// (the chunks of peers that are gone), until every peer is complete or given up on.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "chunkswarm/core/config.hpp"
#include "chunkswarm/net/metrics_server.hpp"
#include "chunkswarm/net/tls_channel.hpp"

namespace chunkswarm::owner {

struct OwnerOptions {
    std::filesystem::path file;
    std::filesystem::path data_dir;
    Endpoint bind;
    std::uint32_t chunk_size = 0;
    // Given by the user (flag or config): kept, however many chunks the file makes. Otherwise a
    // file larger than settings.max_chunks chunks of it gets larger chunks.
    bool chunk_size_given = false;
    // Config mode: these ids, in config order, hold the share slots. Empty: slots go by join order.
    std::vector<PeerId> peer_ids;
    std::uint32_t peer_count = 5;
    // Keep serving after every peer is complete or given up on (for late or restarted peers).
    bool linger = false;
    Settings settings;
    std::string secret;                          // empty: no swarm secret
    std::shared_ptr<const net::TlsContext> tls;  // empty: the plain protocol
    net::MetricsOptions metrics;
};

// Runs until every peer holds the file or is given up on; an error says what stopped it (its
// code bad_input for a setting the user gave), for main to report.
Result<void> run_owner(const OwnerOptions& options);

}  // namespace chunkswarm::owner

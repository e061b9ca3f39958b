// The whole swarm as Prometheus metrics (`swarm --metrics HOST:PORT`), free of I/O: the launcher's
// model, copied into a registry that its metrics server renders. Per-peer series carry the peer's
// id (`peer="2"`), as each peer's own metrics name their senders.
#pragma once

#include "chunkswarm/core/metrics.hpp"
#include "swarm_model.hpp"

namespace chunkswarm::swarm {

namespace family {
inline constexpr metrics::Family peers{"chunkswarm_swarm_peers", "Peers in the swarm's config.", metrics::Kind::gauge};
inline constexpr metrics::Family peers_done{
    "chunkswarm_swarm_peers_done", "Peers that hold the whole file, joined and checked.", metrics::Kind::gauge};
inline constexpr metrics::Family peers_failed{"chunkswarm_swarm_peers_failed",
                                              "Peers that exited with an error or were killed.", metrics::Kind::gauge};
inline constexpr metrics::Family chunks_in_file{"chunkswarm_swarm_chunks_in_file",
                                                "Chunks the file has (0 until a process knows the manifest).",
                                                metrics::Kind::gauge};
inline constexpr metrics::Family chunks_held{
    "chunkswarm_swarm_chunks_held", "Chunks each peer holds, verified, from any source.", metrics::Kind::gauge};
inline constexpr metrics::Family received_bytes{
    "chunkswarm_swarm_received_bytes_total",
    "Chunk bytes each peer received and verified, by source (owner or neighbor).", metrics::Kind::counter};
inline constexpr metrics::Family uploaded_bytes{"chunkswarm_swarm_uploaded_bytes_total",
                                                "Chunk bytes each peer sent to other peers.", metrics::Kind::counter};
}  // namespace family

// Sets every series from the model's figures now (call it on the model's thread).
void publish_metrics(const SwarmModel& model, metrics::Registry& registry);

}  // namespace chunkswarm::swarm

// Whom a peer downloads from: its download neighbour while it lives, then the next live peer
// upstream round the ring (the gone peer's own download neighbour, and so on), and the owner once
// no peer upstream is known. Plain state, fed by what the config says and what servers tell.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "chunkswarm/core/config.hpp"

namespace chunkswarm {

// A peer as another peer can reach it.
struct PeerRef {
    PeerId id;
    Endpoint endpoint;
    std::string label() const { return "peer " + to_string(id); }
    bool operator==(const PeerRef& other) const
    {
        return id == other.id && endpoint.host == other.endpoint.host && endpoint.port == other.endpoint.port;
    }
};

class UpstreamRoute {
public:
    // `known[0]` is the download neighbour, `known[1]` its download neighbour, and so on (the whole
    // ring from a config; only the first in the original brief's plain form).
    UpstreamRoute(PeerId self_id, std::vector<PeerRef> known);

    // The peer downloaded from now; nullptr once every known peer upstream is gone (the owner).
    const PeerRef* current() const;
    // `from` said it downloads from `next`; extends the route when `from` is the last one known.
    // Returns whether the route learnt a peer.
    bool learn(PeerId from, const PeerRef& next);
    // The `n`th peer after the current one, as far as known (nullptr: none known), which a peer
    // can also download from while the current one is slow.
    const PeerRef* after_current(std::size_t n = 1) const;
    // The peer with this id if it lies beyond the current one (nullptr: not known, or routed around).
    const PeerRef* beyond_current(PeerId id) const;
    // The current peer is gone: returns the next one (nullptr: the owner).
    const PeerRef* skip();
    // Back to the download neighbour (it may have come back); everything learnt is kept.
    void restart() { current_ = 0; }
    // The gone peers routed around so far, nearest first.
    std::vector<PeerId> skipped() const;
    // Whether the current peer is the download neighbour the peer started with.
    bool at_first() const { return current_ == 0; }
    // Whether any peer has been skipped since the start, even if the route has restarted since.
    bool ever_skipped() const { return ever_skipped_; }

private:
    bool knows(PeerId id) const;

    PeerId self_id_;
    std::vector<PeerRef> known_;
    std::size_t current_ = 0;
    bool ever_skipped_ = false;
};

// The ring of a config as seen from `self_id`: its download neighbour first, then upstream.
std::vector<PeerRef> upstream_ring(const SwarmConfig& config, PeerId self_id);

}  // namespace chunkswarm

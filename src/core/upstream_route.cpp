#include "chunkswarm/core/upstream_route.hpp"

#include <algorithm>

namespace chunkswarm {

UpstreamRoute::UpstreamRoute(PeerId self_id, std::vector<PeerRef> known) : self_id_(self_id), known_(std::move(known))
{
}

const PeerRef* UpstreamRoute::current() const { return current_ < known_.size() ? &known_[current_] : nullptr; }

const PeerRef* UpstreamRoute::after_current(std::size_t n) const
{
    return current_ + n < known_.size() ? &known_[current_ + n] : nullptr;
}

const PeerRef* UpstreamRoute::beyond_current(PeerId id) const
{
    for (std::size_t i = current_ + 1; i < known_.size(); ++i)
        if (known_[i].id == id) return &known_[i];
    return nullptr;
}

bool UpstreamRoute::knows(PeerId id) const
{
    return std::any_of(known_.begin(), known_.end(), [id](const PeerRef& p) { return p.id == id; });
}

bool UpstreamRoute::learn(PeerId from, const PeerRef& next)
{
    // Only the end of the route grows: what a config says, or what was learnt first, stands.
    if (known_.empty() || known_.back().id != from) return false;
    if (next.id == self_id_ || knows(next.id)) return false;
    known_.push_back(next);
    return true;
}

const PeerRef* UpstreamRoute::skip()
{
    if (current_ < known_.size()) ++current_;
    ever_skipped_ = true;
    return current();
}

std::vector<PeerId> UpstreamRoute::skipped() const
{
    std::vector<PeerId> ids;
    for (std::size_t i = 0; i < current_ && i < known_.size(); ++i)
        ids.push_back(known_[i].id);
    return ids;
}

std::vector<PeerRef> upstream_ring(const SwarmConfig& config, PeerId self_id)
{
    std::vector<PeerRef> ring;
    const PeerConfig* self = config.find_peer(self_id);
    if (!self) return ring;
    // Config validation guarantees one ring, so this walk ends back at self.
    for (const PeerConfig* p = config.find_peer(self->download_neighbor); p && p->id != self_id;
         p = config.find_peer(p->download_neighbor)) {
        if (ring.size() >= config.peers.size()) break;
        ring.push_back(PeerRef{p->id, p->endpoint});
    }
    return ring;
}

}  // namespace chunkswarm

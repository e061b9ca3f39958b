#include "chunkswarm/core/helper_hints.hpp"

#include <algorithm>

namespace chunkswarm {

void HelperHints::update(PeerId peer, const std::optional<ChunkSet>& have, std::optional<std::uint32_t> spare_permille)
{
    Known& known = known_[peer];
    if (have) known.have = *have;
    if (spare_permille) known.spare_permille = std::min<std::uint32_t>(*spare_permille, 1000);
}

void HelperHints::forget(PeerId peer)
{
    known_.erase(peer);
    hinted_.erase(peer);
}

std::uint32_t HelperHints::times_hinted_elsewhere(PeerId peer, PeerId head) const
{
    std::uint32_t times = 0;
    for (const auto& [other, hint] : hinted_)
        if (other != head && std::find(hint.begin(), hint.end(), peer) != hint.end()) ++times;
    return times;
}

std::vector<PeerId> HelperHints::hint(PeerId head)
{
    auto self = known_.find(head);
    if (self == known_.end() || !self->second.have) return {};
    const ChunkSet& lacking_from = *self->second.have;
    struct Candidate {
        double score;
        PeerId peer;
    };
    std::vector<Candidate> candidates;
    for (const auto& [peer, known] : known_) {
        if (peer == head || !known.have || known.have->size() != lacking_from.size()) continue;
        const std::uint32_t lacking = known.have->count_minus(lacking_from);
        if (lacking < tuning_.min_lacking) continue;
        // What it can give is what it holds that the head lacks, at the upload it has to spare,
        // shared with the other heads it was named to.
        const double spare = std::max(known.spare_permille, tuning_.spare_floor_permille) / 1000.0;
        candidates.push_back({lacking * spare / (1 + times_hinted_elsewhere(peer, head)), peer});
    }
    std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
        return a.score != b.score ? a.score > b.score : a.peer < b.peer;
    });
    std::vector<PeerId> best;
    for (std::size_t i = 0; i < candidates.size() && i < tuning_.max_hints; ++i)
        best.push_back(candidates[i].peer);
    hinted_[head] = best;
    return best;
}

}  // namespace chunkswarm

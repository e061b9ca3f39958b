// Where a chain's head can find what it lacks. A head (a peer whose download neighbour is slow to
// send what it owes) can take helpers only from peers further up the ring, and those hold little
// more than it does: the chunks it lacks are further away, in other chains. The owner hears from
// every peer what it holds and how much of its upload it leaves unused, and names for each head the
// peers that hold most of what the head lacks, weighed by their spare upload and shared out among
// the heads that ask. Plain state, no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "chunkswarm/core/chunk_set.hpp"

namespace chunkswarm {

class HelperHints {
public:
    struct Tuning {
        std::size_t max_hints = 6;
        // A peer holding fewer chunks than this that the head lacks is not worth a connection.
        std::uint32_t min_lacking = 8;
        // A peer reported with no spare upload still counts a little (the report is a second old).
        std::uint32_t spare_floor_permille = 50;
    };

    HelperHints() = default;
    explicit HelperHints(Tuning tuning) : tuning_(tuning) {}

    // What a peer's report says: what it holds (when it sent its list) and its unused upload share.
    void update(PeerId peer, const std::optional<ChunkSet>& have, std::optional<std::uint32_t> spare_permille);
    // The peer stopped reporting (left, complete, or gone): it is named to nobody.
    void forget(PeerId peer);
    // The peers for `head` to take helpers from, the best first; remembered, so the next head asking
    // is steered to others. Empty while the head's own list is unknown.
    std::vector<PeerId> hint(PeerId head);
    // The peer no longer heads a chain: its helpers are free for the others.
    void not_heading(PeerId peer) { hinted_.erase(peer); }

private:
    struct Known {
        std::optional<ChunkSet> have;
        std::uint32_t spare_permille = 1000;
    };
    std::uint32_t times_hinted_elsewhere(PeerId peer, PeerId head) const;

    Tuning tuning_;
    std::map<PeerId, Known> known_;
    std::map<PeerId, std::vector<PeerId>> hinted_;  // by head: its last hint
};

}  // namespace chunkswarm

// How the owner divides the file: chunk i belongs to share slot i mod N, so no peer gets it all
// (N > 1) and the peers together hold every chunk. The dealer hands each slot's chunks out as its
// peer draws them, so a peer whose link is fast can take over what a slow one has not drawn yet.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "chunkswarm/core/chunk_set.hpp"
#include "chunkswarm/core/result.hpp"

namespace chunkswarm {

// Which slot each peer id holds: fixed by the config's order, or handed out in join order.
class SlotTable {
public:
    static SlotTable by_join_order(std::uint32_t slots);
    static SlotTable fixed(const std::vector<PeerId>& peer_ids);

    // A peer that joins again keeps its slot.
    Result<Slot> slot_for(PeerId peer);
    // The slot of a peer that has joined (or that the config names), without taking one.
    std::optional<Slot> known_slot(PeerId peer) const;
    std::uint32_t slots() const { return slots_; }
    // The peer holding `slot`, if one has joined (or the config names it).
    std::optional<PeerId> peer_in(Slot slot) const;
    // Returns true the first time this peer reports its share received.
    bool mark_served(PeerId peer);
    bool all_served() const { return served_.size() == slots_; }
    std::uint32_t served_count() const { return static_cast<std::uint32_t>(served_.size()); }

private:
    enum class Assign { join_order, fixed };
    SlotTable(std::uint32_t slots, Assign assign) : slots_(slots), join_order_(assign == Assign::join_order) {}

    std::uint32_t slots_;
    bool join_order_;
    std::map<PeerId, Slot> slot_of_;
    std::set<PeerId> served_;
};

// Which shares a deal may draw from: the slot's own only, or others' too once its own is all dealt.
enum class DealFrom { own_share, any_share };

// Deals every chunk exactly once, a few at a time, to the slots whose peers draw them. A slot draws
// its own share first, in order; once that is all dealt, it takes the undealt end of the share with
// the most left among slots that have a session open (the slowest draw). A slot with no session
// open keeps its share for its peer, so peers joining one at a time each get their own, until that
// peer is given up on (release).
class ShareDealer {
public:
    ShareDealer(std::uint32_t slots, std::uint32_t chunk_count);

    void session_opened(Slot slot);
    void session_closed(Slot slot);
    // Only chunks below `limit` are dealt from now on (the owner deals a chunk once it is hashed).
    void set_dealable(std::uint32_t limit) { dealable_ = limit; }
    // Up to `count` chunks never dealt before, now dealt to `slot`; fewer (or none) when no share
    // it may draw from has any left (or any dealable yet). A slot draws from others (with
    // DealFrom::any_share) only once its own share is all dealt.
    std::vector<ChunkId> deal(Slot slot, std::uint32_t count, DealFrom from = DealFrom::any_share);
    // The slot's peer is given up on: what it has not drawn may be drawn by any slot from now on.
    void release(Slot slot);
    // Its peer is gone: deals everything `from` has not drawn to `to` at once, and returns that.
    std::vector<ChunkId> take_over(Slot from, Slot to);
    // Every chunk dealt to `slot` so far (a peer that joins again is offered them again).
    const ChunkSet& dealt(Slot slot) const { return dealt_[slot.value()]; }
    // The slot whose share a chunk belongs to.
    Slot home_slot(ChunkId id) const { return Slot(id.value() % slots()); }
    std::uint32_t slots() const { return static_cast<std::uint32_t>(undealt_.size()); }

private:
    std::optional<Slot> slowest_open_slot(Slot except) const;

    std::vector<std::deque<ChunkId>> undealt_;  // per slot, in chunk order
    std::vector<ChunkSet> dealt_;
    std::vector<std::uint32_t> open_sessions_;
    std::vector<bool> released_;
    std::uint32_t dealable_;
};

}  // namespace chunkswarm

#include "chunkswarm/core/shares.hpp"

namespace chunkswarm {

SlotTable SlotTable::by_join_order(std::uint32_t slots) { return SlotTable(slots, Assign::join_order); }

SlotTable SlotTable::fixed(const std::vector<PeerId>& peer_ids)
{
    SlotTable table(static_cast<std::uint32_t>(peer_ids.size()), Assign::fixed);
    for (std::uint32_t i = 0; i < peer_ids.size(); ++i) {
        table.slot_of_[peer_ids[i]] = Slot(i);
    }
    return table;
}

Result<Slot> SlotTable::slot_for(PeerId peer)
{
    if (auto it = slot_of_.find(peer); it != slot_of_.end()) {
        return it->second;
    }
    if (!join_order_) {
        return make_error("peer id " + to_string(peer) + " is not in the owner's config");
    }
    if (slot_of_.size() >= slots_) {
        return make_error("the swarm is full: all " + std::to_string(slots_) +
                          " peer slots are taken (start the owner with a larger --peers)");
    }
    const Slot slot(static_cast<std::uint32_t>(slot_of_.size()));
    slot_of_[peer] = slot;
    return slot;
}

std::optional<Slot> SlotTable::known_slot(PeerId peer) const
{
    if (auto it = slot_of_.find(peer); it != slot_of_.end()) return it->second;
    return std::nullopt;
}

std::optional<PeerId> SlotTable::peer_in(Slot slot) const
{
    for (const auto& [peer, s] : slot_of_)
        if (s == slot) return peer;
    return std::nullopt;
}

bool SlotTable::mark_served(PeerId peer) { return slot_of_.count(peer) != 0 && served_.insert(peer).second; }

ShareDealer::ShareDealer(std::uint32_t slots, std::uint32_t chunk_count)
    : undealt_(slots),
      dealt_(slots, ChunkSet(chunk_count)),
      open_sessions_(slots, 0),
      released_(slots, false),
      dealable_(chunk_count)
{
    for (ChunkId id : ids_below<ChunkId>(slots > 0 ? chunk_count : 0))
        undealt_[id.value() % slots].push_back(id);
}

void ShareDealer::session_opened(Slot slot) { ++open_sessions_.at(slot.value()); }

void ShareDealer::session_closed(Slot slot)
{
    if (open_sessions_.at(slot.value()) > 0) --open_sessions_[slot.value()];
}

void ShareDealer::release(Slot slot) { released_.at(slot.value()) = true; }

std::vector<ChunkId> ShareDealer::take_over(Slot from, Slot to)
{
    std::deque<ChunkId>& rest = undealt_.at(from.value());
    std::vector<ChunkId> ids(rest.begin(), rest.end());
    rest.clear();
    for (ChunkId id : ids)
        dealt_.at(to.value()).insert(id);
    return ids;
}

std::vector<ChunkId> ShareDealer::deal(Slot slot, std::uint32_t count, DealFrom from)
{
    std::vector<ChunkId> ids;
    std::deque<ChunkId>& own = undealt_.at(slot.value());
    while (ids.size() < count && !own.empty() && own.front().value() < dealable_) {
        ids.push_back(own.front());
        own.pop_front();
    }
    // Taken from the far end, so the slow peer's next draw is not among them.
    while (ids.size() < count && own.empty() && from == DealFrom::any_share) {
        auto victim = slowest_open_slot(slot);
        if (!victim) break;
        std::deque<ChunkId>& theirs = undealt_[victim->value()];
        ids.push_back(theirs.back());
        theirs.pop_back();
    }
    for (ChunkId id : ids)
        dealt_[slot.value()].insert(id);
    return ids;
}

std::optional<Slot> ShareDealer::slowest_open_slot(Slot except) const
{
    std::optional<Slot> slowest;
    for (Slot slot : ids_below<Slot>(slots())) {
        const std::uint32_t s = slot.value();
        if (slot == except || (open_sessions_[s] == 0 && !released_[s]) || undealt_[s].empty() ||
            undealt_[s].back().value() >= dealable_) {
            continue;
        }
        if (!slowest || undealt_[s].size() > undealt_[slowest->value()].size()) slowest = slot;
    }
    return slowest;
}

}  // namespace chunkswarm

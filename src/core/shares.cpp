#include "chunkswarm/core/shares.hpp"

namespace chunkswarm {

SlotTable SlotTable::by_join_order(std::uint32_t slots) { return SlotTable(slots, true); }

SlotTable SlotTable::fixed(const std::vector<std::uint32_t>& peer_ids)
{
    SlotTable table(static_cast<std::uint32_t>(peer_ids.size()), false);
    for (std::uint32_t i = 0; i < peer_ids.size(); ++i) {
        table.slot_of_[peer_ids[i]] = i;
    }
    return table;
}

Result<std::uint32_t> SlotTable::slot_for(std::uint32_t peer_id)
{
    if (auto it = slot_of_.find(peer_id); it != slot_of_.end()) {
        return it->second;
    }
    if (!join_order_) {
        return make_error("peer id " + std::to_string(peer_id) + " is not in the owner's config");
    }
    if (slot_of_.size() >= slots_) {
        return make_error("the swarm is full: all " + std::to_string(slots_) +
                          " peer slots are taken (start the owner with a larger --peers)");
    }
    auto slot = static_cast<std::uint32_t>(slot_of_.size());
    slot_of_[peer_id] = slot;
    return slot;
}

std::optional<std::uint32_t> SlotTable::known_slot(std::uint32_t peer_id) const
{
    if (auto it = slot_of_.find(peer_id); it != slot_of_.end()) return it->second;
    return std::nullopt;
}

std::optional<std::uint32_t> SlotTable::peer_in(std::uint32_t slot) const
{
    for (const auto& [peer, s] : slot_of_)
        if (s == slot) return peer;
    return std::nullopt;
}

bool SlotTable::mark_served(std::uint32_t peer_id)
{
    return slot_of_.count(peer_id) != 0 && served_.insert(peer_id).second;
}

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

void ShareDealer::session_opened(std::uint32_t slot) { ++open_sessions_.at(slot); }

void ShareDealer::session_closed(std::uint32_t slot)
{
    if (open_sessions_.at(slot) > 0) --open_sessions_[slot];
}

void ShareDealer::release(std::uint32_t slot) { released_.at(slot) = true; }

std::vector<ChunkId> ShareDealer::take_over(std::uint32_t from, std::uint32_t to)
{
    std::deque<ChunkId>& rest = undealt_.at(from);
    std::vector<ChunkId> ids(rest.begin(), rest.end());
    rest.clear();
    for (ChunkId id : ids)
        dealt_.at(to).insert(id);
    return ids;
}

std::vector<ChunkId> ShareDealer::deal(std::uint32_t slot, std::uint32_t count, DealFrom from)
{
    std::vector<ChunkId> ids;
    std::deque<ChunkId>& own = undealt_.at(slot);
    while (ids.size() < count && !own.empty() && own.front().value() < dealable_) {
        ids.push_back(own.front());
        own.pop_front();
    }
    // Taken from the far end, so the slow peer's next draw is not among them.
    while (ids.size() < count && own.empty() && from == DealFrom::any_share) {
        auto victim = slowest_open_slot(slot);
        if (!victim) break;
        ids.push_back(undealt_[*victim].back());
        undealt_[*victim].pop_back();
    }
    for (ChunkId id : ids)
        dealt_[slot].insert(id);
    return ids;
}

std::optional<std::uint32_t> ShareDealer::slowest_open_slot(std::uint32_t except) const
{
    std::optional<std::uint32_t> slowest;
    for (std::uint32_t s = 0; s < slots(); ++s) {
        if (s == except || (open_sessions_[s] == 0 && !released_[s]) || undealt_[s].empty() ||
            undealt_[s].back().value() >= dealable_) {
            continue;
        }
        if (!slowest || undealt_[s].size() > undealt_[*slowest].size()) slowest = s;
    }
    return slowest;
}

}  // namespace chunkswarm

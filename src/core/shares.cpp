#include "chunkswarm/shares.hpp"

namespace chunkswarm {

ChunkSet share_for(std::uint32_t slot, std::uint32_t slots, std::uint32_t chunk_count)
{
    ChunkSet share(chunk_count);
    for (ChunkId id = slot; slots > 0 && id < chunk_count; id += slots) {
        share.insert(id);
    }
    return share;
}

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

bool SlotTable::mark_served(std::uint32_t peer_id)
{
    return slot_of_.count(peer_id) != 0 && served_.insert(peer_id).second;
}

}  // namespace chunkswarm

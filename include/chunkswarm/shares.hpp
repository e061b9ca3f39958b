// How the owner divides the file: chunk i goes to share slot i mod N, so no peer gets it all (N > 1)
// and the peers together hold every chunk.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "chunkswarm/chunk_set.hpp"
#include "chunkswarm/result.hpp"

namespace chunkswarm {

ChunkSet share_for(std::uint32_t slot, std::uint32_t slots, std::uint32_t chunk_count);

// Which slot each peer id holds: fixed by the config's order, or handed out in join order.
class SlotTable {
public:
    static SlotTable by_join_order(std::uint32_t slots);
    static SlotTable fixed(const std::vector<std::uint32_t>& peer_ids);

    // A peer that joins again keeps its slot.
    Result<std::uint32_t> slot_for(std::uint32_t peer_id);
    std::uint32_t slots() const { return slots_; }
    // Returns true the first time this peer reports its share received.
    bool mark_served(std::uint32_t peer_id);
    bool all_served() const { return served_.size() == slots_; }
    std::uint32_t served_count() const { return static_cast<std::uint32_t>(served_.size()); }

private:
    explicit SlotTable(std::uint32_t slots, bool join_order) : slots_(slots), join_order_(join_order) {}

    std::uint32_t slots_;
    bool join_order_;
    std::map<std::uint32_t, std::uint32_t> slot_of_;
    std::set<std::uint32_t> served_;
};

}  // namespace chunkswarm

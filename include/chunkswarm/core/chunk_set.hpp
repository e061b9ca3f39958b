// The set of chunk IDs a side holds, as a fixed-size bitfield (MSB first, as BitTorrent does).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "chunkswarm/core/ids.hpp"
#include "chunkswarm/core/result.hpp"

namespace chunkswarm {

class ChunkSet {
public:
    ChunkSet() = default;
    explicit ChunkSet(std::uint32_t size);

    // Rebuilds a set from its wire form; spare bits past `size` must be zero.
    static Result<ChunkSet> from_bytes(std::span<const std::uint8_t> bytes, std::uint32_t size);
    static ChunkSet all(std::uint32_t size);

    std::uint32_t size() const { return size_; }
    std::uint32_t count() const { return count_; }
    bool empty() const { return count_ == 0; }
    bool full() const { return count_ == size_; }
    bool contains(ChunkId id) const;
    // Returns true if the ID was newly added.
    bool insert(ChunkId id);
    bool erase(ChunkId id);

    std::vector<ChunkId> ids() const;
    // IDs in this set that `other` lacks.
    std::vector<ChunkId> minus(const ChunkSet& other) const;
    // How many IDs this set holds that `other` (of the same size) lacks.
    std::uint32_t count_minus(const ChunkSet& other) const;
    bool is_subset_of(const ChunkSet& other) const;
    const std::vector<std::uint8_t>& bytes() const { return bits_; }

    bool operator==(const ChunkSet& other) const = default;

private:
    std::vector<std::uint8_t> bits_;
    std::uint32_t size_ = 0;
    std::uint32_t count_ = 0;
};

// Human-readable form for logs: "0-4, 7, 9-12", cut after `max_items` runs.
std::string format_ids(const std::vector<ChunkId>& sorted_ids, std::size_t max_items = 16);

}  // namespace chunkswarm

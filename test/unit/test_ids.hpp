// Ids written as numbers in tests: 3_c is chunk 3, 2_slot slot 2, 7_peer peer 7; chunk_ids({1, 2})
// is chunks 1 and 2 (std::vector<ChunkId>{3} would be three chunk 0s).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "chunkswarm/core/ids.hpp"

constexpr chunkswarm::ChunkId operator""_c(unsigned long long id)
{
    return chunkswarm::ChunkId(static_cast<std::uint32_t>(id));
}

constexpr chunkswarm::Slot operator""_slot(unsigned long long slot)
{
    return chunkswarm::Slot(static_cast<std::uint32_t>(slot));
}

constexpr chunkswarm::PeerId operator""_peer(unsigned long long peer)
{
    return chunkswarm::PeerId(static_cast<std::uint32_t>(peer));
}

namespace chunkswarm::test {

template <typename IdType>
std::vector<IdType> id_list(std::initializer_list<std::uint32_t> numbers)
{
    std::vector<IdType> out;
    out.reserve(numbers.size());
    for (std::uint32_t number : numbers)
        out.emplace_back(number);
    return out;
}

inline std::vector<ChunkId> chunk_ids(std::initializer_list<std::uint32_t> ids) { return id_list<ChunkId>(ids); }
inline std::vector<Slot> slots(std::initializer_list<std::uint32_t> slots) { return id_list<Slot>(slots); }
inline std::vector<PeerId> peer_ids(std::initializer_list<std::uint32_t> ids) { return id_list<PeerId>(ids); }

}  // namespace chunkswarm::test

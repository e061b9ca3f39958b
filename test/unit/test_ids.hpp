// Ids written as numbers in tests: 3_c is chunk 3, chunk_ids({1, 2}) chunks 1 and 2.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "chunkswarm/core/ids.hpp"

constexpr chunkswarm::ChunkId operator""_c(unsigned long long id)
{
    return chunkswarm::ChunkId(static_cast<std::uint32_t>(id));
}

namespace chunkswarm::test {

inline std::vector<ChunkId> chunk_ids(std::initializer_list<std::uint32_t> ids)
{
    std::vector<ChunkId> out;
    out.reserve(ids.size());
    for (std::uint32_t id : ids)
        out.emplace_back(id);
    return out;
}

}  // namespace chunkswarm::test

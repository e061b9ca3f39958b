// Numbers that name things: a chunk (its index in the file), a peer (its id in the config) and a
// share slot at the owner (the share a peer draws). Each is a type of its own, so a peer id cannot
// be passed where a slot or a chunk is meant; value() is the number, for arithmetic, indexing and
// the wire.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <ranges>
#include <string>

namespace chunkswarm {

template <typename Tag>
class Id {
public:
    using difference_type = std::int64_t;  // for std::views::iota (ids_below)

    constexpr Id() = default;
    constexpr explicit Id(std::uint32_t value) : value_(value) {}

    constexpr std::uint32_t value() const { return value_; }
    constexpr auto operator<=>(const Id&) const = default;
    // Chunks and slots are numbered from 0 without gaps: the next one.
    constexpr Id& operator++()
    {
        ++value_;
        return *this;
    }
    constexpr Id operator++(int)
    {
        Id before = *this;
        ++value_;
        return before;
    }

private:
    std::uint32_t value_ = 0;
};

struct ChunkTag;
struct PeerTag;
struct SlotTag;
using ChunkId = Id<ChunkTag>;
using PeerId = Id<PeerTag>;
using Slot = Id<SlotTag>;

// Every id from 0 to count - 1: for (ChunkId id : ids_below<ChunkId>(count)).
template <typename IdType>
auto ids_below(std::uint32_t count)
{
    return std::views::iota(IdType{0}, IdType{count});
}

template <typename Tag>
std::string to_string(Id<Tag> id)
{
    return std::to_string(id.value());
}

// nlohmann::json reads and writes an id as its number (found by argument-dependent lookup).
template <typename Json, typename Tag>
void to_json(Json& json, Id<Tag> id)
{
    json = id.value();
}
template <typename Json, typename Tag>
void from_json(const Json& json, Id<Tag>& id)
{
    id = Id<Tag>(json.template get<std::uint32_t>());
}

}  // namespace chunkswarm

template <typename Tag>
struct std::hash<chunkswarm::Id<Tag>> {
    std::size_t operator()(chunkswarm::Id<Tag> id) const noexcept { return std::hash<std::uint32_t>{}(id.value()); }
};

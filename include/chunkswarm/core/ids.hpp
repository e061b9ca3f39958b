// Numbers that name things: a chunk (its index in the file), a peer (its id in the config) and a
// share slot at the owner (the share a peer draws). Each is a type of its own, so a peer id cannot
// be passed where a slot or a chunk is meant; value() is the number, for arithmetic, indexing and
// the wire.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace chunkswarm {

template <typename Tag>
class Id {
public:
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

private:
    std::uint32_t value_ = 0;
};

struct ChunkTag;
struct PeerTag;
struct SlotTag;
using ChunkId = Id<ChunkTag>;
using PeerId = Id<PeerTag>;
using Slot = Id<SlotTag>;

// Every id from 0 to count - 1: for (ChunkId id : ids_below<ChunkId>(count)). (Not std::views::iota,
// which clang 14, the fuzz build's compiler, cannot use with libstdc++ 12.)
template <typename IdType>
class IdsBelow {
public:
    class Iterator {
    public:
        constexpr explicit Iterator(std::uint32_t at) : at_(at) {}
        constexpr IdType operator*() const { return IdType(at_); }
        constexpr Iterator& operator++()
        {
            ++at_;
            return *this;
        }
        constexpr bool operator==(const Iterator&) const = default;

    private:
        std::uint32_t at_;
    };

    constexpr explicit IdsBelow(std::uint32_t count) : count_(count) {}
    constexpr Iterator begin() const { return Iterator(0); }
    constexpr Iterator end() const { return Iterator(count_); }

private:
    std::uint32_t count_;
};

template <typename IdType>
constexpr IdsBelow<IdType> ids_below(std::uint32_t count)
{
    return IdsBelow<IdType>(count);
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

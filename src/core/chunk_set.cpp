#include "chunkswarm/core/chunk_set.hpp"

#include <algorithm>
#include <bit>

namespace chunkswarm {
namespace {

constexpr std::uint8_t bit_mask(ChunkId id) { return static_cast<std::uint8_t>(0x80u >> (id.value() % 8)); }
constexpr std::size_t byte_of(ChunkId id) { return id.value() / 8; }
constexpr std::size_t byte_count(std::uint32_t size) { return (static_cast<std::size_t>(size) + 7) / 8; }

// Appends the IDs whose bits are set in `byte`, the set's byte number `index`, in ascending order.
void append_ids(std::uint8_t byte, std::size_t index, std::vector<ChunkId>& out)
{
    while (byte != 0) {
        const int bit = std::countl_zero(byte);
        out.push_back(ChunkId(static_cast<std::uint32_t>(index * 8 + static_cast<std::size_t>(bit))));
        byte = static_cast<std::uint8_t>(byte & ~(0x80u >> bit));
    }
}

}  // namespace

ChunkSet::ChunkSet(std::uint32_t size) : bits_(byte_count(size), 0), size_(size) {}

Result<ChunkSet> ChunkSet::from_bytes(std::span<const std::uint8_t> bytes, std::uint32_t size)
{
    if (bytes.size() != byte_count(size)) {
        return make_error("chunk list is " + std::to_string(bytes.size()) + " bytes, expected " +
                          std::to_string(byte_count(size)) + " for " + std::to_string(size) + " chunks");
    }
    ChunkSet set(size);
    std::copy(bytes.begin(), bytes.end(), set.bits_.begin());
    if (size % 8 != 0 && (set.bits_.back() & (0xFFu >> (size % 8))) != 0) {
        return make_error("chunk list sets bits past the last chunk");
    }
    for (std::uint8_t byte : set.bits_) {
        set.count_ += static_cast<std::uint32_t>(__builtin_popcount(byte));
    }
    return set;
}

ChunkSet ChunkSet::all(std::uint32_t size)
{
    ChunkSet set(size);
    for (ChunkId id : ids_below<ChunkId>(size)) {
        set.insert(id);
    }
    return set;
}

bool ChunkSet::contains(ChunkId id) const { return id.value() < size_ && (bits_[byte_of(id)] & bit_mask(id)) != 0; }

bool ChunkSet::insert(ChunkId id)
{
    if (id.value() >= size_ || contains(id)) {
        return false;
    }
    bits_[byte_of(id)] |= bit_mask(id);
    ++count_;
    return true;
}

bool ChunkSet::erase(ChunkId id)
{
    if (!contains(id)) {
        return false;
    }
    bits_[byte_of(id)] &= static_cast<std::uint8_t>(~bit_mask(id));
    --count_;
    return true;
}

std::vector<ChunkId> ChunkSet::ids() const
{
    std::vector<ChunkId> out;
    out.reserve(count_);
    // A byte at a time, so that a server announcing what is new pays for the bytes, not the bits.
    for (std::size_t i = 0; i < bits_.size(); ++i)
        append_ids(bits_[i], i, out);
    return out;
}

std::vector<ChunkId> ChunkSet::minus(const ChunkSet& other) const
{
    std::vector<ChunkId> out;
    for (std::size_t i = 0; i < bits_.size(); ++i) {
        const std::uint8_t theirs = i < other.bits_.size() ? other.bits_[i] : 0;
        append_ids(static_cast<std::uint8_t>(bits_[i] & ~theirs), i, out);
    }
    return out;
}

std::uint32_t ChunkSet::count_minus(const ChunkSet& other) const
{
    std::uint32_t count = 0;
    for (std::size_t i = 0; i < bits_.size(); ++i) {
        const std::uint8_t theirs = i < other.bits_.size() ? other.bits_[i] : 0;
        count += static_cast<std::uint32_t>(std::popcount(static_cast<unsigned>(bits_[i] & ~theirs & 0xffu)));
    }
    return count;
}

bool ChunkSet::is_subset_of(const ChunkSet& other) const { return count_minus(other) == 0; }

std::string format_ids(const std::vector<ChunkId>& ids, std::size_t max_items)
{
    std::string out;
    std::size_t runs = 0;
    for (std::size_t i = 0; i < ids.size();) {
        std::size_t j = i;
        while (j + 1 < ids.size() && ids[j + 1].value() == ids[j].value() + 1) {
            ++j;
        }
        if (runs == max_items) {
            out += ", ... (" + std::to_string(ids.size() - i) + " more)";
            break;
        }
        if (!out.empty()) {
            out += ", ";
        }
        out += to_string(ids[i]);
        if (j > i) {
            out += "-" + to_string(ids[j]);
        }
        ++runs;
        i = j + 1;
    }
    return out;
}

}  // namespace chunkswarm

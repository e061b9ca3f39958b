// What a swarm distributes: the file's name, size, chunking and a SHA-256 per chunk. The chunk
// hashes cover every byte, so there is no whole-file hash to wait for: the owner hashes the chunks
// on every core at once and serves as soon as they are done (as a torrent's piece hashes).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "chunkswarm/core/chunk_set.hpp"
#include "chunkswarm/core/result.hpp"
#include "chunkswarm/core/sha256.hpp"

namespace chunkswarm {

inline constexpr std::uint32_t kDefaultChunkSize = 100 * 1024;
inline constexpr std::uint32_t kMinChunkSize = 1024;
inline constexpr std::uint32_t kMaxChunkSize = 16 * 1024 * 1024;
inline constexpr std::uint32_t kMinChunkCount = 5;
// 40 GB at 100 KiB chunks; the manifest's hashes then take 12.8 MB on the wire (32 bytes each).
inline constexpr std::uint32_t kMaxChunkCount = 400000;

// One entry of a distributed directory tree: a regular file (its bytes follow the previous file's
// in the chunked stream) or a directory (listed so that empty ones, and every directory's mode
// and time, travel too).
struct TreeEntry {
    std::string path;  // relative, '/'-separated, checked by check_tree()
    bool directory = false;
    std::uint64_t size = 0;     // files only
    std::uint32_t mode = 0;     // permission bits, 0..0777
    std::int64_t mtime_ns = 0;  // nanoseconds since 1970
    // A symbolic link's target, relative and inside the tree (check_tree); empty: not a link. A
    // link has no bytes in the stream.
    std::string link;
    bool is_link() const { return !link.empty(); }
    bool operator==(const TreeEntry&) const = default;
};

struct Manifest {
    // The file's name, or the directory's with a tree.
    std::string file_name;
    // Every byte of the file, or of the tree's files one after another.
    std::uint64_t file_size = 0;
    std::uint32_t chunk_size = 0;
    std::uint32_t chunk_count = 0;
    // In chunk order. The owner sends them as it computes them (docs/protocol.md, "Streamed
    // hashes"), so a client may hold only the first ones for a while: whole() once all are here.
    std::vector<Digest> chunk_sha256;
    // Empty for one file; for a directory, its entries in order.
    std::vector<TreeEntry> tree;

    bool is_tree() const { return !tree.empty(); }
    std::uint32_t hashed() const { return static_cast<std::uint32_t>(chunk_sha256.size()); }
    bool whole() const { return hashed() == chunk_count; }
    std::uint32_t chunk_length(ChunkId id) const;
    // The hash chunk `id` must match; only for a chunk below hashed().
    const Digest& chunk_hash(ChunkId id) const { return chunk_sha256[id.value()]; }
    // Names the content in logs and messages: the SHA-256 of the size, the chunking, every chunk
    // hash and the tree's listing, so two manifests with the same id describe the same bytes.
    Digest content_id() const;
    bool operator==(const Manifest&) const = default;
};

// A content id to pin (--expect, the config's content_id): 16 to 64 hex digits, a prefix of the
// full id in hex; returned in lower case.
Result<std::string> parse_content_id(std::string_view text);
// Whether the manifest's content id starts with `pinned` (from parse_content_id).
bool has_content_id(const Manifest& manifest, std::string_view pinned);

// How many chunks a file of this size makes, or why it cannot be distributed.
// `preferred`, or for a file that would make more than `max_chunks` of it, the smallest multiple of
// 4 KiB that makes at most that many (at most kMaxChunkSize; plan_chunk_count then refuses what
// even that cannot hold).
std::uint32_t fit_chunk_size(std::uint64_t file_size, std::uint32_t preferred, std::uint32_t max_chunks);
Result<std::uint32_t> plan_chunk_count(std::uint64_t file_size, std::uint32_t chunk_size);
Result<void> check_chunk_size(std::uint64_t chunk_size);
// A file name from the wire or a path: one plain component, nothing that leaves a directory.
Result<void> check_file_name(std::string_view name);
// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
bool is_valid_utf8(std::string_view text);
// For messages and logs: control characters as \xNN, and bytes past ASCII too unless the name is
// UTF-8.
std::string printable_name(std::string_view name);

// A tree from the wire or from disk, before anything is written: every path relative, without
// "." or ".." or empty components, at most 4096 bytes; no duplicates; no entry under a file; file
// sizes adding up to `file_size`; modes within 0777.
Result<void> check_tree(const std::vector<TreeEntry>& tree, std::uint64_t file_size);
// How much a tree holds, for the lines that describe it.
struct TreeCounts {
    std::size_t files = 0;  // regular files
    std::size_t directories = 0;
    std::size_t links = 0;
    std::uint64_t bytes = 0;  // its files' sizes together
};
TreeCounts count_tree(const std::vector<TreeEntry>& tree);
// A link at tree path `path` may point only inside the tree: a relative target whose ".." never
// climbs above the root (a link to a link is fine; each is checked the same way).
Result<void> check_link_target(const std::string& path, const std::string& target);
// Limits on a tree: entries, and its listing's bytes on the wire.
inline constexpr std::size_t kMaxTreeEntries = 1'000'000;
inline constexpr std::size_t kMaxTreeListingBytes = 256u << 20;

// Whether two manifests describe the same content as far as both hold chunk hashes: the same
// name, size, chunking and tree, and the same hash for every chunk hashed in both.
bool agrees_so_far(const Manifest& a, const Manifest& b);
// Whether `count` hashes starting at chunk `first` follow on exactly from those the manifest holds.
Result<void> check_hashes_follow(const Manifest& manifest, std::uint64_t first, std::uint64_t count);
// Appends the hashes of chunks `first`.. to a manifest that holds exactly `first` of them.
Result<void> append_hashes(Manifest& manifest, std::uint32_t first, std::span<const Digest> hashes);

nlohmann::json manifest_to_json(const Manifest& manifest);
// The tree alone, as manifest_to_json writes it (for a manifest file written piece by piece).
nlohmann::json tree_to_json(const std::vector<TreeEntry>& tree);
Result<Manifest> manifest_from_json(const nlohmann::json& json);
// Everything but the chunk hashes and the tree, which travel as a binary payload: 32 bytes per
// chunk hashed so far, then the tree's listing as JSON text (the frame's "hashed", when not every
// chunk is, and "tree_bytes" say how long each part is).
nlohmann::json manifest_head_to_json(const Manifest& manifest);
std::vector<std::uint8_t> manifest_payload(const Manifest& manifest);
Result<Manifest> manifest_from_wire(const nlohmann::json& head, std::span<const std::uint8_t> payload);

}  // namespace chunkswarm

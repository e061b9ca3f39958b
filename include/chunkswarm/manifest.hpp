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

#include "chunkswarm/chunk_set.hpp"
#include "chunkswarm/result.hpp"
#include "chunkswarm/sha256.hpp"

namespace chunkswarm {

inline constexpr std::uint32_t kDefaultChunkSize = 100 * 1024;
inline constexpr std::uint32_t kMinChunkSize = 1024;
inline constexpr std::uint32_t kMaxChunkSize = 16 * 1024 * 1024;
inline constexpr std::uint32_t kMinChunkCount = 5;
// 40 GB at 100 KiB chunks; the manifest's hashes then take 12.8 MB on the wire (32 bytes each).
inline constexpr std::uint32_t kMaxChunkCount = 400000;

struct Manifest {
    std::string file_name;
    std::uint64_t file_size = 0;
    std::uint32_t chunk_size = 0;
    std::uint32_t chunk_count = 0;
    std::vector<Digest> chunk_sha256;

    std::uint32_t chunk_length(ChunkId id) const;
    // Names the content in logs and messages: the SHA-256 of the size, the chunking and every
    // chunk hash, so two manifests with the same id describe the same bytes.
    Digest content_id() const;
    bool operator==(const Manifest&) const = default;
};

// How many chunks a file of this size makes, or why it cannot be distributed.
Result<std::uint32_t> plan_chunk_count(std::uint64_t file_size, std::uint32_t chunk_size);
Result<void> check_chunk_size(std::uint64_t chunk_size);
// A file name from the wire or a path: one plain component, nothing that leaves a directory.
Result<void> check_file_name(std::string_view name);
// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
bool is_valid_utf8(std::string_view text);
// For messages and logs: control characters as \xNN, and bytes past ASCII too unless the name is
// UTF-8.
std::string printable_name(std::string_view name);

nlohmann::json manifest_to_json(const Manifest& manifest);
Result<Manifest> manifest_from_json(const nlohmann::json& json);
// Everything but the chunk hashes, which travel as a binary payload (32 bytes per chunk).
nlohmann::json manifest_head_to_json(const Manifest& manifest);
Result<Manifest> manifest_from_wire(const nlohmann::json& head, std::span<const std::uint8_t> chunk_hashes);
Result<Manifest> load_manifest(const std::filesystem::path& path);
Result<void> save_manifest(const Manifest& manifest, const std::filesystem::path& path);

}  // namespace chunkswarm

#include "peer_core.hpp"

#include <unistd.h>

#include <chrono>

#include "chunkswarm/disk/file_util.hpp"
#include "chunkswarm/disk/free_space.hpp"
#include "chunkswarm/disk/manifest_file.hpp"
#include "chunkswarm/disk/summary_file.hpp"
#include "chunkswarm/disk/tree_files.hpp"
#include "chunkswarm/log.hpp"

namespace chunkswarm::peer {
namespace {

// Chunk files waiting for the disk (100 KiB each by default): enough to ride out a slow write.
constexpr std::size_t kChunkFilesQueued = 32;

// What is still to be written, when `present` bytes of `needed` are there from an earlier run.
std::uint64_t still_needed(std::uint64_t needed, std::uint64_t present)
{
    return needed > present ? needed - present : 0;
}

}  // namespace

PeerCore::PeerCore(const PeerOptions& options)
    : options_(options),
      name_("peer " + to_string(options.id)),
      store_(options.data_dir),
      download_cap_(options.settings.max_download_rate)
{
}

// After a crash or restart: the chunks that still verify count, everything else is fetched again.
Result<void> PeerCore::resume_from_disk()
{
    std::filesystem::path path = options_.data_dir / kManifestFileName;
    if (std::error_code ec; !std::filesystem::exists(path, ec)) return {};
    auto saved = load_manifest(path);
    if (!saved) {
        log::warn("ignoring {}: {}; starting from nothing", path.string(), saved.error().message);
        return {};
    }
    if (auto pinned = check_pinned(saved.value(), path.string()); !pinned) {
        return make_error(pinned.error().message + "; remove " + options_.data_dir.string() +
                          " or give this peer another --data-dir");
    }
    if (!options_.settings.keep_chunk_files && resume_from_joined_file(saved.value())) return {};
    if (saved->is_tree()) recover_stream(saved.value());
    ChunkSet in_part(saved->chunk_count);
    CS_TRY(start_assembly(saved.value(), options_.settings.keep_chunk_files ? nullptr : &in_part));
    std::optional<Error> unplaced;
    ChunkStore::ScanResult scan = store_.scan(saved.value(), [&](ChunkId id, std::span<const std::uint8_t> bytes) {
        if (auto placed = assembler_->write(id, bytes); !placed && !unplaced) unplaced = placed.error();
    });
    if (unplaced) return *unplaced;
    for (ChunkId id : in_part.ids())
        scan.held.insert(id);
    manifest_ = std::move(saved).value();
    manifest_from_disk_ = true;
    log::event("resumed",
               {{"from", options_.settings.keep_chunk_files ? "chunk_files" : "part"},
                {"held", scan.held.count()},
                {"total", manifest_->chunk_count},
                {"dropped", scan.dropped}},
               "resuming {}: {} of {} chunks verified on disk{}", manifest_->file_name, scan.held.count(),
               manifest_->chunk_count,
               scan.dropped ? fmt::format(", {} damaged or half-written one(s) dropped", scan.dropped) : "");
    inventory_.reset(std::move(scan.held));
    return {};
}

std::filesystem::path PeerCore::assembly_target(const Manifest& manifest) const
{
    if (!manifest.is_tree()) return destination_of(manifest);
    return options_.data_dir / ("." + manifest.file_name + ".stream");
}

// A crash after the whole stream was joined and before the tree was unpacked leaves the stream
// under its final name: it goes back to being the .part, whose chunks are checked as usual.
void PeerCore::recover_stream(const Manifest& manifest)
{
    const std::filesystem::path stream = assembly_target(manifest);
    const std::filesystem::path part = stream.string() + ".part";
    std::error_code ec;
    if (std::filesystem::exists(stream, ec) && !std::filesystem::exists(part, ec)) {
        std::filesystem::rename(stream, part, ec);
    }
}

// Before a byte of a file is written: the joined file (for a tree, its stream and then the tree
// beside it, until the stream goes) and the chunk files, less what an earlier run left here.
Result<void> PeerCore::check_room(const Manifest& manifest) const
{
    const bool chunk_files = options_.settings.keep_chunk_files;
    const bool tree = manifest.is_tree();
    const std::uint64_t size = manifest.file_size;
    const std::uint64_t here = disk::bytes_in(options_.data_dir);
    if (!options_.output.empty()) {
        // The joined file (or the tree) where the user said; the rest in the data directory.
        std::error_code ec;
        const std::uint64_t part = tree ? 0 : std::filesystem::file_size(part_path_for(destination_of(manifest)), ec);
        CS_TRY(disk::check_room(options_.output.parent_path(), still_needed(size, ec ? 0 : part),
                                tree ? "the tree (--output)" : "the joined file (--output)"));
        return disk::check_room(options_.data_dir, still_needed(size * ((tree ? 1 : 0) + (chunk_files ? 1 : 0)), here),
                                tree ? "the tree's stream and the chunk files" : "the chunk files");
    }
    const std::uint64_t copies = 1 + (tree ? 1 : 0) + (chunk_files ? 1 : 0);
    return disk::check_room(options_.data_dir, still_needed(size * copies, here),
                            chunk_files ? "the joined file and the chunk files (keep_chunk_files false writes only "
                                          "the joined file)"
                                        : "the joined file");
}

Result<void> PeerCore::start_assembly(const Manifest& manifest, ChunkSet* resumed_from_part)
{
    if (assembler_) assembler_->abandon();
    CS_TRY(check_room(manifest));
    const std::filesystem::path destination = assembly_target(manifest);
    const auto check = options_.settings.verify_joined_file ? ReadBackCheck::check : ReadBackCheck::skip;
    auto assembler = resumed_from_part ? FileAssembler::resume(manifest, destination, check, *resumed_from_part)
                                       : FileAssembler::create(manifest, destination, check);
    if (!assembler) return assembler.error();
    assembler_ = std::move(assembler).value();
    chunk_files_.reset();  // a new manifest may have another chunk size; the old queue is written first
    if (options_.settings.keep_chunk_files) {
        chunk_files_ = std::make_unique<disk::ChunkFileWriter>(store_, manifest.chunk_size, kChunkFilesQueued);
    }
    // The upload server reads chunks from the .part (the same file once it is renamed): one open
    // file instead of an open per chunk served, and the only store when there are no chunk files.
    // Only chunks already written there are ever offered.
    CS_TRY(store_.serve_from_joined(assembler_->part_path(), manifest.chunk_size));
    if (!options_.settings.keep_chunk_files) {
        log::event("no_chunk_files", {{"part", assembler_->part_path().string()}},
                   "keep_chunk_files is false: chunks go only into {} and are served from it",
                   assembler_->part_path().string());
    }
    return {};
}

// A peer that drops its chunk files after the join has only the joined file to resume from.
bool PeerCore::resume_from_joined_file(const Manifest& saved)
{
    // A tree's stream is gone once it is unpacked: its chunks come from the chunk files or anew.
    if (saved.is_tree()) return false;
    std::filesystem::path joined = destination_of(saved);
    std::error_code ec;
    if (std::filesystem::file_size(joined, ec) != saved.file_size || ec) return false;
    if (auto checked = check_file_chunks(joined, saved); !checked) {
        log::warn("{}; fetching the chunks again", checked.error().message);
        return false;
    }
    if (!store_.serve_from_joined(joined, saved.chunk_size)) return false;
    manifest_ = saved;
    manifest_from_disk_ = true;
    inventory_.reset(ChunkSet::all(saved.chunk_count));
    log::event("resumed", {{"from", "joined_file"}, {"held", saved.chunk_count}, {"total", saved.chunk_count}},
               "resuming {}: the joined file is whole and verified; serving from it", saved.file_name);
    return true;
}

Result<void> PeerCore::accept_manifest(const Manifest& manifest, ManifestFrom sender)
{
    const bool from_owner = sender == ManifestFrom::owner;
    // After freeze every server must send the very manifest held (a peer's is always whole).
    if (manifest_ && (frozen_ ? manifest == *manifest_ : agrees_so_far(manifest, *manifest_))) {
        if (manifest.hashed() > manifest_->hashed()) return accept_hashes(manifest, manifest_->hashed());
        if (from_owner && !frozen_ && manifest.whole()) manifest_from_disk_ = false;
        return {};
    }
    if (manifest_ && (frozen_ || !from_owner || !manifest_from_disk_)) {
        return make_error("the other side distributes " + describe(manifest) + ", but " +
                          (options_.data_dir / kManifestFileName).string() + " is for " + describe(*manifest_) +
                          "; check the configs, or give this peer another --data-dir");
    }
    if (frozen_) return make_error("a manifest arrived after trading started with none");
    return adopt(manifest);
}

// Before freeze, from the owner's session only.
Result<void> PeerCore::accept_hashes(const Manifest& grown, std::uint32_t first)
{
    if (frozen_ || !manifest_) return make_error("chunk hashes arrived outside the owner's first session");
    if (manifest_from_disk_) {
        // Resumed from disk: the owner's hashes must confirm the ones the chunks were checked with.
        for (ChunkId id(first); id.value() < grown.hashed(); ++id)
            if (grown.chunk_hash(id) != manifest_->chunk_hash(id)) return start_over_changed(grown, id);
        if (grown.whole()) manifest_from_disk_ = false;
        return {};
    }
    if (grown.hashed() <= manifest_->hashed()) return {};
    const auto from = grown.chunk_sha256.begin() + manifest_->hashed();
    manifest_->chunk_sha256.insert(manifest_->chunk_sha256.end(), from, grown.chunk_sha256.end());
    if (!manifest_->whole()) return {};
    CS_TRY(check_pinned(*manifest_, "the owner's manifest"));
    CS_TRY(save_manifest(*manifest_, options_.data_dir / kManifestFileName));
    assembler_->set_read_back_hashes(manifest_->chunk_sha256);
    log::event("manifest_whole", {{"total", manifest_->chunk_count}},
               "received all {} chunk hashes (content id {}); saved to {}", manifest_->chunk_count,
               to_hex(manifest_->content_id()).substr(0, 16), (options_.data_dir / kManifestFileName).string());
    return {};
}

// The owner's file changed since this directory was filled (the same name and size, other
// bytes): what the directory holds is dropped, and the owner's session starts again.
Error PeerCore::start_over_changed(const Manifest& grown, ChunkId id)
{
    log::warn_event("hash_changed", {{"chunk", id}},
                    "the owner's hash of chunk {} differs from the one in {}: {} changed since this peer's last run",
                    id, (options_.data_dir / kManifestFileName).string(), printable_name(grown.file_name));
    if (auto adopted = adopt(grown); !adopted) return adopted.error();
    return make_error("the owner's content changed; asking it again", ErrorCode::content_changed);
}

// With a pinned content id, any other content is refused: a different file, or a manifest swapped
// on the way.
Result<void> PeerCore::check_pinned(const Manifest& manifest, const std::string& source) const
{
    const std::string& pinned = options_.expected_content_id;
    if (pinned.empty() || has_content_id(manifest, pinned)) return {};
    const std::string what = describe(manifest);
    log::event("content_refused", {{"expected", pinned}, {"got", to_hex(manifest.content_id())}},
               "refusing {}: it is for {}, not the expected content id {}", source, what, pinned);
    return make_error(source + " is for " + what + ", not the expected content id " + pinned +
                      "; refusing it (another file, or a manifest replaced on the way; check --expect or the "
                      "config's content_id)");
}

std::string PeerCore::describe(const Manifest& manifest)
{
    std::string text = printable_name(manifest.file_name);
    if (!manifest.whole()) return text + " (" + std::to_string(manifest.chunk_count) + " chunks, still being hashed)";
    return text + " (content id " + to_hex(manifest.content_id()).substr(0, 16) + ")";
}

Result<void> PeerCore::adopt(const Manifest& manifest)
{
    if (manifest_) {
        chunk_files_.reset();  // its queue is written before the old chunk files go
        // The owner is the authority: what this directory held belongs to an earlier swarm.
        const std::uint32_t removed = store_.clear();
        log::warn_event("started_over", {{"held_file", manifest_->file_name}, {"file", manifest.file_name}},
                        "{} held chunks of {}, but the owner now distributes {}; starting over ({} old chunk file(s) "
                        "removed, other files kept)",
                        options_.data_dir.string(), manifest_->file_name, manifest.file_name, removed);
        store_.stop_serving_from_joined();
    }
    if (manifest.whole()) CS_TRY(check_pinned(manifest, "the owner's manifest"));
    // Saved once every hash is here (accept_hashes): a manifest on disk is trusted on resume.
    std::error_code ec;
    std::filesystem::remove(options_.data_dir / kManifestFileName, ec);
    if (manifest.whole()) CS_TRY(save_manifest(manifest, options_.data_dir / kManifestFileName));
    CS_TRY(start_assembly(manifest));
    manifest_ = manifest;
    manifest_from_disk_ = false;
    inventory_.reset(ChunkSet(manifest.chunk_count));
    const std::string hashes = manifest.whole() ? "content id " + to_hex(manifest.content_id()).substr(0, 16)
                                                : fmt::format(
                                                      "{} of the chunk hashes so far; the owner sends the "
                                                      "rest as it computes them",
                                                      manifest.hashed());
    log::event("manifest",
               {{"file", manifest.file_name}, {"bytes", manifest.file_size}, {"total", manifest.chunk_count}},
               "received manifest: {} ({} bytes, {} chunks of {} bytes, {})", manifest.file_name, manifest.file_size,
               manifest.chunk_count, manifest.chunk_size, hashes);
    log::flush();  // the launcher starts the next peer on this line
    return {};
}

Result<void> PeerCore::store_chunk(ChunkId id, std::span<const std::uint8_t> bytes)
{
    if (!assembler_) return make_error("chunk " + to_string(id) + " arrived with no file to join it into");
    CS_TRY(assembler_->write(id, bytes));
    if (chunk_files_) CS_TRY(chunk_files_->write(id, bytes));
    return {};
}

Result<void> PeerCore::write_summary_now()
{
    return write_summary(summary_path(), manifest_->file_name, inventory_.snapshot());
}

Result<void> PeerCore::finish_file()
{
    if (chunk_files_) {
        CS_TRY(chunk_files_->drain());
        if (store_.clones() > 0) {
            log::event("chunk_files_cloned", {{"clones", store_.clones()}, {"dir", store_.dir().string()}},
                       "{} of the chunk files in {} share their blocks with {} (clones: the bytes are on disk once)",
                       store_.clones(), store_.dir().string(), destination().string());
        }
    }
    CS_TRY(write_summary_now());
    // Only a peer that resumed from a whole, verified joined file has nothing to assemble.
    if (!assembler_) {
        log::info("all {} chunks held; {} was already joined and verified", manifest_->chunk_count,
                  destination().string());
        return {};
    }
    // Every chunk is already in place and checked; what is left is the rename (after the
    // whole-file hash, if the settings ask for it).
    log::event("joining", {}, "all {} chunks held; {} {} to {}", manifest_->chunk_count,
               manifest_->is_tree() ? "unpacking" : "moving", assembler_->part_path().string(), destination().string());
    auto started = std::chrono::steady_clock::now();
    CS_TRY(assembler_->finish());
    if (manifest_->is_tree()) CS_TRY(unpack_stream());
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    const bool read_back = options_.settings.verify_joined_file;
    log::event("joined", {{"ms", ms}, {"checked", read_back ? "read_back" : "chunk_hashes"}},
               "joined {} chunks into {} ({} bytes, {}, {} ms)", manifest_->chunk_count, destination().string(),
               manifest_->file_size,
               read_back ? "every chunk's SHA-256 ok, read back and checked again" : "every chunk's SHA-256 ok", ms);
    if (!options_.settings.keep_chunk_files) {
        // Left by an earlier run that kept them; this one wrote none.
        if (std::uint32_t dropped = store_.clear(); dropped > 0) {
            log::info("dropped {} chunk file(s) left from an earlier run (keep_chunk_files is false)", dropped);
        }
    }
    return {};
}

// The joined stream becomes the tree, in place at once; the upload server goes on reading chunks
// from the stream's open file, which outlives its name.
Result<void> PeerCore::unpack_stream()
{
    const std::filesystem::path stream = assembly_target(*manifest_);
    CS_TRY(unpack_tree(manifest_->tree, stream, destination()));
    ::unlink(stream.c_str());
    const TreeCounts counts = count_tree(manifest_->tree);
    log::info("unpacked {} file(s) and {} director(ies) into {}", counts.files, counts.directories,
              destination().string());
    return {};
}

void PeerCore::record_failure(const Error& error)
{
    std::lock_guard lock(failure_mutex_);
    if (!failure_) failure_ = error;
}

std::optional<Error> PeerCore::failure() const
{
    std::lock_guard lock(failure_mutex_);
    return failure_;
}

void PeerCore::log_share_held(std::size_t from_owner)
{
    const std::size_t held = inventory_.held_count();
    log::event("share_held", {{"share", from_owner}, {"held", held}, {"total", manifest_->chunk_count}},
               "holds its share from the owner: {} chunk(s) from it, {}/{} held in all; summary written to {}",
               from_owner, held, manifest_->chunk_count, summary_path().string());
}

net::ClientOptions PeerCore::client_options_for(const Endpoint& remote, const std::string& label,
                                                std::uint32_t connect_timeout_s) const
{
    net::ClientOptions client;
    client.self_id = options_.id;
    client.remote = remote;
    client.remote_label = label;
    client.connect_timeout_s = connect_timeout_s;
    client.settings = options_.settings;
    // Different peers spread their first requests differently.
    client.seed = std::uint64_t{options_.id.value()} * 7919 + remote.port;
    client.secret = options_.secret;
    client.tls = options_.tls;
    if (download_cap_.capped()) client.download_cap = &download_cap_;
    client.metrics = &metrics_;
    client.held_count = [] { return SharedInventory::held_after_my_last_add(); };
    return client;
}

net::ClientOptions PeerCore::owner_client_options(std::uint32_t connect_timeout_s) const
{
    net::ClientOptions client = client_options_for(options_.owner, "owner", connect_timeout_s);
    client.settings.request_window = options_.settings.owner_request_window;
    return client;
}

}  // namespace chunkswarm::peer

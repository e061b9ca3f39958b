// What a peer's three parts share (the bootstrap on the main thread, the upload loop, the
// download loop): its options, data directory and file, and the small guarded state both loops
// touch. The bootstrap settles the manifest and the file it is joined into; once trading starts
// (freeze) they never change, and every later client only compares the manifest it is sent.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "chunkswarm/core/manifest.hpp"
#include "chunkswarm/core/metrics.hpp"
#include "chunkswarm/disk/chunk_file_writer.hpp"
#include "chunkswarm/disk/chunk_store.hpp"
#include "chunkswarm/disk/file_assembler.hpp"
#include "chunkswarm/disk/file_util.hpp"
#include "chunkswarm/net/chunk_client.hpp"
#include "peer_node.hpp"
#include "shared_inventory.hpp"

namespace chunkswarm::peer {

// A resumed peer, or one reaching the owner only for a rescue or a report, waits this long.
inline constexpr std::uint32_t kBriefOwnerWaitS = 5;

// Who sent a manifest: before freeze(), only the owner's may replace the one held.
enum class ManifestFrom { owner, peer };

class PeerCore {
public:
    explicit PeerCore(const PeerOptions& options);

    const PeerOptions& options() const { return options_; }
    const Settings& settings() const { return options_.settings; }
    const std::string& name() const { return name_; }
    ChunkStore& store() { return store_; }
    SharedInventory& inventory() { return inventory_; }
    // The process's metrics (thread-safe); served only with --metrics.
    metrics::Registry& metrics() const { return metrics_; }
    // Every chunk byte the upload side sent (the upload thread adds, the download side reads it
    // for the owner's reports).
    metrics::Value& sent_total() { return sent_total_; }
    bool has_manifest() const { return manifest_.has_value(); }
    // Only once the bootstrap has one (every caller after it, or a client past its manifest).
    const Manifest& manifest() const { return *manifest_; }
    // The joined file, or the tree's directory.
    std::filesystem::path destination() const { return destination_of(*manifest_); }
    std::filesystem::path destination_of(const Manifest& manifest) const
    {
        return options_.output.empty() ? options_.data_dir / manifest.file_name : options_.output;
    }
    std::filesystem::path summary_path() const { return options_.data_dir / kSummaryFileName; }

    // Main thread, before freeze(): pick up what an earlier run left.
    Result<void> resume_from_disk();
    // A manifest from a server. One that agrees with the one held as far as both hold hashes is
    // the same content (the owner streams its hashes) and adds any hashes it has beyond. Before
    // freeze(), from the owner, another is adopted (and replaces one resumed from disk); otherwise,
    // and always after freeze(), it must be the one held, whole.
    Result<void> accept_manifest(const Manifest& manifest, ManifestFrom sender);
    // The owner's session: its manifest grew by the hashes of chunks `first`.. (saved once whole).
    Result<void> accept_hashes(const Manifest& grown, std::uint32_t first);
    // Every chunk hash is here, and a manifest from disk is confirmed by the owner: early trading
    // waits for that (a peer's server sends only a whole manifest, and it must be the owner's).
    bool manifest_settled() const { return manifest_ && manifest_->whole() && !manifest_from_disk_; }
    // Trading starts: the manifest and the file are settled.
    void freeze() { frozen_ = true; }

    // Any thread: the chunk's place in the joined file, and its chunk file (queued; unless
    // keep_chunk_files is false).
    Result<void> store_chunk(ChunkId id, std::span<const std::uint8_t> bytes);
    // Whoever owns the summary file: the main thread before trading, the download loop after.
    Result<void> write_summary_now();
    // The share from the owner is in (`from_owner` chunks came from it), and the summary written:
    // says so, with what is held from every source.
    void log_share_held(std::size_t from_owner);
    // After the last chunk: the chunk files written, the .part renamed into place (after the
    // whole-file hash, if asked).
    Result<void> finish_file();

    void record_failure(const Error& error);
    std::optional<Error> failure() const;

    net::ClientOptions client_options_for(const Endpoint& remote, const std::string& label,
                                          std::uint32_t connect_timeout_s) const;
    net::ClientOptions owner_client_options(std::uint32_t connect_timeout_s) const;

private:
    bool resume_from_joined_file(const Manifest& saved);
    // Where the chunks are joined: the file itself, or a tree's stream, unpacked at the end.
    std::filesystem::path assembly_target(const Manifest& manifest) const;
    void recover_stream(const Manifest& manifest);
    Result<void> unpack_stream();
    // Creates the .part, or with `resumed_from_part` picks up the one on disk and says what it held.
    Result<void> check_room(const Manifest& manifest) const;
    Result<void> start_assembly(const Manifest& manifest, ChunkSet* resumed_from_part = nullptr);
    Result<void> adopt(const Manifest& manifest);
    Error start_over_changed(const Manifest& grown, ChunkId id);
    static std::string describe(const Manifest& manifest);
    // An error naming `source` unless the manifest has the pinned content id (or none is pinned).
    Result<void> check_pinned(const Manifest& manifest, const std::string& source) const;

    const PeerOptions& options_;
    std::string name_;
    ChunkStore store_;  // thread-safe
    SharedInventory inventory_;
    mutable metrics::Registry metrics_;
    metrics::Value sent_total_;
    // max_download_rate, shared by every client of both threads (thread-safe).
    mutable net::RateCap download_cap_;
    // Set by the bootstrap; read-only once frozen.
    std::optional<Manifest> manifest_;
    // Set with the manifest; write() and finish() are safe from any thread.
    std::unique_ptr<FileAssembler> assembler_;
    // Set with the manifest when chunk files are kept; write() and drain() are safe from any thread.
    std::unique_ptr<disk::ChunkFileWriter> chunk_files_;
    // The manifest came from this directory, not yet confirmed by the owner.
    bool manifest_from_disk_ = false;
    std::atomic<bool> frozen_{false};
    mutable std::mutex failure_mutex_;
    std::optional<Error> failure_;  // guarded by failure_mutex_
};

}  // namespace chunkswarm::peer

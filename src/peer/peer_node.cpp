#include "peer_node.hpp"

#include <uv.h>

#include <atomic>
#include <chrono>
#include <mutex>

#include "chunkswarm/chunk_store.hpp"
#include "chunkswarm/cli_support.hpp"
#include "chunkswarm/file_assembler.hpp"
#include "chunkswarm/file_util.hpp"
#include "chunkswarm/log.hpp"
#include "chunkswarm/net/chunk_client.hpp"
#include "chunkswarm/net/chunk_server.hpp"
#include "chunkswarm/net/loop_thread.hpp"
#include "chunkswarm/summary_file.hpp"
#include "shared_inventory.hpp"

namespace chunkswarm::peer {
namespace {

constexpr std::uint32_t kResumedOwnerWaitS = 5;

class PeerNode {
public:
    explicit PeerNode(const PeerOptions& options)
        : options_(options),
          store_(options.data_dir),
          name_("peer " + std::to_string(options.id))
    {
    }

    int run();

private:
    Result<void> open_upload_port();
    Result<void> resume_from_disk();
    bool resume_from_joined_file(const Manifest& saved);
    Result<void> bootstrap();
    net::ClientOptions client_options_for(const Endpoint& remote, const std::string& label,
                                          std::uint32_t connect_timeout_s) const;
    net::ClientOptions owner_client_options(std::uint32_t connect_timeout_s) const;
    net::ClientHooks bootstrap_hooks();
    Result<void> store_from_owner(ChunkId id, std::span<const std::uint8_t> bytes);
    // The chunk file and its place in the joined file; from the main or the download thread.
    Result<void> keep(ChunkId id, std::span<const std::uint8_t> bytes);
    // Creates the .part, or with `resumed_from_part` picks up the one on disk and says what it held.
    Result<void> start_assembly(const Manifest& manifest, ChunkSet* resumed_from_part = nullptr);
    std::filesystem::path destination() const { return options_.data_dir / manifest_->file_name; }
    void start_trading();
    void trade();
    net::ClientHooks neighbor_hooks();
    net::ServerContext upload_context();

    // Download loop.
    Result<void> store_chunk(ChunkId id, std::span<const std::uint8_t> bytes);
    void expect(const std::vector<ChunkId>& ids);
    void announce_soon();
    void write_summary_soon();
    Result<void> write_summary_now();
    Result<void> finish_file();
    void on_download_end(const Result<void>& result);
    void request_rescue(ChunkId id);
    void start_rescue();
    void on_rescue_end(const Result<void>& result);
    // Upload loop.
    void on_upload_done(std::uint32_t peer_id, bool complete);
    void stop_uploading_if_finished();

    void record_failure(const Error& error);
    // `from_owner`: the owner may replace a manifest resumed from disk; a neighbour may not.
    Result<void> adopt_manifest(const Manifest& manifest, bool from_owner);
    std::filesystem::path summary_path() const { return options_.data_dir / kSummaryFileName; }

    const PeerOptions& options_;
    ChunkStore store_;
    std::string name_;
    SharedInventory inventory_;
    // Set once during bootstrap, read-only once the two threads run.
    std::optional<Manifest> manifest_;
    // Set with the manifest (before the threads run); safe to use from both threads.
    std::unique_ptr<FileAssembler> assembler_;
    // The manifest came from this directory, not yet confirmed by the owner.
    bool manifest_from_disk_ = false;
    // The two threads run (main thread only; with early_trading, set while the share still arrives).
    bool trading_ = false;

    std::atomic<bool> announce_pending_{false};
    std::mutex failure_mutex_;
    std::optional<Error> failure_;  // guarded by failure_mutex_

    // Declared before the objects living on them, so the loops are closed last.
    net::LoopThread upload_thread_{"upload"};
    net::LoopThread download_thread_{"download"};

    // Upload loop only.
    std::unique_ptr<net::ChunkServer> server_;
    bool self_complete_ = false;
    bool neighbor_complete_ = false;
    // Download loop only.
    std::unique_ptr<net::ChunkClient> neighbor_;
    // Chunks the download neighbour kept sending damaged, fetched from the owner instead.
    std::unique_ptr<net::ChunkClient> rescue_;
    ChunkSet rescue_wanted_;
    std::unique_ptr<net::Timer> summary_timer_;
};

int PeerNode::run()
{
    if (auto ready = ensure_directory(options_.data_dir); !ready) return cli::fail(name_, ready.error().message);
    auto data_dir_lock = DirectoryLock::acquire(options_.data_dir);
    if (!data_dir_lock) return cli::fail(name_, data_dir_lock.error().message);
    if (auto ready = store_.prepare(); !ready) return cli::fail(name_, ready.error().message);
    // Bound now, so a port in use is reported before any download; the neighbour's early
    // connection waits in the backlog until the upload thread starts.
    if (auto bound = open_upload_port(); !bound) return cli::fail(name_, bound.error().message);
    if (auto resumed = resume_from_disk(); !resumed) return cli::fail(name_, resumed.error().message);
    // "listening" and "resumed" are out now, not with the next batch: the launcher starts the next
    // peer on "resumed" (or on "manifest", flushed in adopt_manifest).
    log::flush();
    if (auto got = bootstrap(); !got) {
        if (!trading_) return cli::fail(name_, got.error().message);
        log::warn("{}; going on with the neighbours", got.error().message);
    }
    trade();
    std::lock_guard failure_lock(failure_mutex_);
    if (failure_) return cli::fail(name_, failure_->message);
    log::event("finished", {}, "finished: holds {} and its upload neighbour is complete; exiting",
               destination().string());
    return 0;
}

Result<void> PeerNode::open_upload_port()
{
    server_ = std::make_unique<net::ChunkServer>(upload_thread_.loop(), upload_context());
    CS_TRY(server_->listen(options_.listen));
    log::event("listening", {{"port", server_->port()}}, "upload server listening on {}:{}", options_.listen.host,
               server_->port());
    return {};
}

// After a crash or restart: the chunks that still verify count, everything else is fetched again.
Result<void> PeerNode::resume_from_disk()
{
    std::filesystem::path path = options_.data_dir / kManifestFileName;
    if (!std::filesystem::exists(path)) return {};
    auto saved = load_manifest(path);
    if (!saved) {
        log::warn("ignoring {}: {}; starting from nothing", path.string(), saved.error().message);
        return {};
    }
    if (!options_.settings.keep_chunk_files && resume_from_joined_file(saved.value())) return {};
    ChunkSet in_part(saved->chunk_count);
    CS_TRY(start_assembly(saved.value(), options_.settings.keep_chunk_files ? nullptr : &in_part));
    std::optional<Error> unplaced;
    ChunkStore::ScanResult scan = store_.scan(saved.value(), [&](ChunkId id, std::span<const std::uint8_t> bytes) {
        if (auto placed = assembler_->put(id, bytes); !placed && !unplaced) unplaced = placed.error();
    });
    if (unplaced) return *unplaced;
    for (ChunkId id : in_part.ids())
        scan.held.insert(id);
    manifest_ = std::move(saved).value();
    manifest_from_disk_ = true;
    log::event("resumed", {{"held", scan.held.count()}, {"total", manifest_->chunk_count}},
               "resuming {}: {} of {} chunks verified on disk{}", manifest_->file_name, scan.held.count(),
               manifest_->chunk_count,
               scan.dropped ? fmt::format(", {} damaged or half-written one(s) dropped", scan.dropped) : "");
    inventory_.reset(std::move(scan.held));
    return {};
}

Result<void> PeerNode::start_assembly(const Manifest& manifest, ChunkSet* resumed_from_part)
{
    if (assembler_) assembler_->abandon();
    const std::filesystem::path destination = options_.data_dir / manifest.file_name;
    const auto whole = options_.settings.verify_joined_file ? WholeFileHash::check : WholeFileHash::skip;
    auto assembler = resumed_from_part ? FileAssembler::resume(manifest, destination, whole, *resumed_from_part)
                                       : FileAssembler::create(manifest, destination, whole);
    if (!assembler) return assembler.error();
    assembler_ = std::move(assembler).value();
    // The upload server reads chunks from the .part (the same file once it is renamed): one open
    // file instead of an open per chunk served, and the only store when there are no chunk files.
    // Only chunks already written there are ever offered.
    CS_TRY(store_.serve_from_joined(assembler_->part_path(), manifest.chunk_size));
    if (!options_.settings.keep_chunk_files) {
        log::info("keep_chunk_files is false: chunks go only into {} and are served from it",
                  assembler_->part_path().string());
    }
    return {};
}

// A peer that drops its chunk files after the join has only the joined file to resume from.
bool PeerNode::resume_from_joined_file(const Manifest& saved)
{
    std::filesystem::path joined = options_.data_dir / saved.file_name;
    std::error_code ec;
    if (std::filesystem::file_size(joined, ec) != saved.file_size || ec) return false;
    auto digest = sha256_of_file(joined);
    if (!digest || *digest != saved.file_sha256) {
        log::warn("{} does not match its manifest; fetching the chunks again", joined.string());
        return false;
    }
    if (!store_.serve_from_joined(joined, saved.chunk_size)) return false;
    manifest_ = saved;
    manifest_from_disk_ = true;
    inventory_.reset(ChunkSet::all(saved.chunk_count));
    log::event("resumed", {{"held", saved.chunk_count}, {"total", saved.chunk_count}},
               "resuming {}: the joined file is whole and verified; serving from it", saved.file_name);
    return true;
}

void PeerNode::record_failure(const Error& error)
{
    std::lock_guard lock(failure_mutex_);
    if (!failure_) failure_ = error;
}

Result<void> PeerNode::adopt_manifest(const Manifest& manifest, bool from_owner)
{
    if (manifest_ && manifest == *manifest_) {
        manifest_from_disk_ = false;
        return {};
    }
    if (manifest_ && !(from_owner && manifest_from_disk_)) {
        return make_error("the other side distributes " + manifest.file_name + " (SHA-256 " +
                          to_hex(manifest.file_sha256).substr(0, 16) + "...), but " +
                          (options_.data_dir / kManifestFileName).string() + " is for " + manifest_->file_name +
                          " (SHA-256 " + to_hex(manifest_->file_sha256).substr(0, 16) +
                          "...); check the configs, or give this peer another --data-dir");
    }
    if (manifest_) {
        // The owner is the authority: what this directory held belongs to an earlier swarm.
        log::warn(
            "{} held chunks of {}, but the owner now distributes {}; starting over ({} old chunk file(s) "
            "removed, other files kept)",
            options_.data_dir.string(), manifest_->file_name, manifest.file_name, store_.clear());
        store_.stop_serving_from_joined();
    }
    CS_TRY(save_manifest(manifest, options_.data_dir / kManifestFileName));
    CS_TRY(start_assembly(manifest));
    manifest_ = manifest;
    manifest_from_disk_ = false;
    inventory_.reset(ChunkSet(manifest.chunk_count));
    log::event("manifest",
               {{"file", manifest.file_name}, {"bytes", manifest.file_size}, {"total", manifest.chunk_count}},
               "received manifest: {} ({} bytes, {} chunks of {} bytes, SHA-256 {})", manifest.file_name,
               manifest.file_size, manifest.chunk_count, manifest.chunk_size, to_hex(manifest.file_sha256));
    log::flush();  // the launcher starts the next peer on this line
    return {};
}

Result<void> PeerNode::bootstrap()
{
    // A resumed peer waits for the owner only briefly: the owner leaves once every share is
    // delivered, and then the chunks on disk plus the neighbours are all there is.
    const bool resumed = manifest_.has_value();
    std::uint32_t budget_s = options_.settings.owner_connect_timeout_s;
    if (resumed) budget_s = std::min(budget_s, kResumedOwnerWaitS);
    uv_loop_t loop{};
    uv_loop_init(&loop);
    Result<void> outcome = make_error("the owner session ended without a result");
    bool reached_owner = false;
    {
        net::ClientOptions client_options = owner_client_options(budget_s);
        net::ClientHooks hooks = bootstrap_hooks();
        hooks.on_end = [&outcome](const Result<void>& result) { outcome = result; };
        net::ChunkClient owner(&loop, std::move(client_options), std::move(hooks));
        owner.start();
        uv_run(&loop, UV_RUN_DEFAULT);
        reached_owner = owner.ever_connected();
    }
    net::close_loop(&loop);
    if (!outcome && resumed && !reached_owner) {
        log::warn("{}; going on with the {} chunk(s) on disk and the neighbours", outcome.error().message,
                  inventory_.snapshot().count());
        return {};
    }
    return outcome;
}

net::ClientOptions PeerNode::client_options_for(const Endpoint& remote, const std::string& label,
                                                std::uint32_t connect_timeout_s) const
{
    net::ClientOptions client;
    client.self_id = options_.id;
    client.remote = remote;
    client.remote_label = label;
    client.connect_timeout_s = connect_timeout_s;
    client.settings = options_.settings;
    // Different peers spread their first requests differently.
    client.seed = std::uint64_t{options_.id} * 7919 + remote.port;
    client.secret = options_.secret;
    return client;
}

net::ClientOptions PeerNode::owner_client_options(std::uint32_t connect_timeout_s) const
{
    net::ClientOptions client = client_options_for(options_.owner, "owner", connect_timeout_s);
    client.settings.request_window = options_.settings.owner_request_window;
    return client;
}

net::ClientHooks PeerNode::bootstrap_hooks()
{
    net::ClientHooks hooks;
    hooks.accept_manifest = [this](const Manifest& m) -> Result<void> {
        CS_TRY(adopt_manifest(m, /*from_owner=*/true));
        if (options_.settings.early_trading && !trading_) start_trading();
        return {};
    };
    hooks.local_chunks = [this] { return inventory_.snapshot(); };
    hooks.store_chunk = [this](ChunkId id, std::span<const std::uint8_t> bytes) { return store_from_owner(id, bytes); };
    hooks.on_requested = [this](const std::vector<ChunkId>& ids) { expect(ids); };
    hooks.is_finished = [](const RequestPlanner& planner) { return planner.remote_exhausted(); };
    hooks.on_finished = [this](const RequestPlanner& planner) -> Result<void> {
        const std::size_t held = planner.local().count();
        auto report = [this, held]() -> Result<void> {
            CS_TRY(write_summary_now());
            log::event("share_held", {{"held", held}},
                       "holds its share from the owner: {} chunk(s); summary written to {}", held,
                       summary_path().string());
            return {};
        };
        if (!trading_) return report();
        // The download thread owns the summary file once the threads run.
        download_thread_.post([this, report] {
            if (auto written = report(); !written) log::warn("{}", written.error().message);
        });
        return {};
    };
    return hooks;
}

Result<void> PeerNode::keep(ChunkId id, std::span<const std::uint8_t> bytes)
{
    if (options_.settings.keep_chunk_files) CS_TRY(store_.write(id, bytes));
    if (!assembler_) return make_error("chunk " + std::to_string(id) + " arrived with no file to join it into");
    return assembler_->put(id, bytes);
}

Result<void> PeerNode::store_from_owner(ChunkId id, std::span<const std::uint8_t> bytes)
{
    CS_TRY(keep(id, bytes));
    inventory_.add(id);
    if (trading_) {
        announce_soon();
        download_thread_.post([this, id] {
            neighbor_->note_stored_elsewhere(id);
            write_summary_soon();
        });
    }
    return {};
}

// Creates what the two loops run and starts their threads; the owner's session may still be
// delivering the share on this (the main) thread.
void PeerNode::start_trading()
{
    trading_ = true;
    server_->set_manifest(&*manifest_);
    summary_timer_ = std::make_unique<net::Timer>(download_thread_.loop());
    net::ClientOptions client_options = client_options_for(options_.download_neighbor, options_.download_label,
                                                           options_.settings.neighbor_connect_timeout_s);
    neighbor_ =
        std::make_unique<net::ChunkClient>(download_thread_.loop(), std::move(client_options), neighbor_hooks());
    neighbor_->start();
    upload_thread_.start();
    download_thread_.start();
}

void PeerNode::trade()
{
    if (!trading_) start_trading();
    download_thread_.join();
    upload_thread_.join();
}

net::ClientHooks PeerNode::neighbor_hooks()
{
    net::ClientHooks hooks;
    hooks.accept_manifest = [this](const Manifest& m) { return adopt_manifest(m, /*from_owner=*/false); };
    hooks.local_chunks = [this] { return inventory_.snapshot(); };
    hooks.store_chunk = [this](ChunkId id, std::span<const std::uint8_t> bytes) { return store_chunk(id, bytes); };
    hooks.on_requested = [this](const std::vector<ChunkId>& ids) { expect(ids); };
    hooks.requested_elsewhere = [this](ChunkId id) { return inventory_.is_coming(id); };
    hooks.is_finished = [](const RequestPlanner& planner) { return planner.complete(); };
    hooks.on_finished = [this](const RequestPlanner&) { return finish_file(); };
    hooks.on_end = [this](const Result<void>& result) { on_download_end(result); };
    hooks.on_chunk_given_up = [this](ChunkId id) { request_rescue(id); };
    return hooks;
}

net::ServerContext PeerNode::upload_context()
{
    net::ServerContext context;
    // The manifest arrives during bootstrap; no session runs before the upload loop starts after it.
    context.manifest = nullptr;
    context.store = &store_;
    context.settings = options_.settings;
    context.secret = options_.secret;
    context.offered_for = [this](std::uint32_t, bool) -> Result<ChunkSet> { return inventory_.snapshot(); };
    context.coming = [this] { return inventory_.coming(); };
    context.on_done = [this](std::uint32_t peer_id, bool complete) { on_upload_done(peer_id, complete); };
    return context;
}

Result<void> PeerNode::store_chunk(ChunkId id, std::span<const std::uint8_t> bytes)
{
    CS_TRY(keep(id, bytes));
    inventory_.add(id);
    write_summary_soon();
    announce_soon();
    return {};
}

// What was just requested is announced as coming, so the upload neighbour can ask for it now and
// get it the moment it lands (from the owner's session on the main thread, or the download loop).
void PeerNode::expect(const std::vector<ChunkId>& ids)
{
    inventory_.expect(ids);
    if (trading_) announce_soon();
}

void PeerNode::announce_soon()
{
    // One pending announcement covers every chunk stored before it runs.
    if (!announce_pending_.exchange(true)) {
        upload_thread_.post([this] {
            announce_pending_ = false;
            server_->announce_all();
        });
    }
}

void PeerNode::write_summary_soon()
{
    if (summary_timer_->active()) return;
    summary_timer_->start(options_.settings.summary_interval_ms, [this] {
        if (auto written = write_summary_now(); !written) log::warn("{}", written.error().message);
    });
}

Result<void> PeerNode::write_summary_now()
{
    return write_summary(summary_path(), manifest_->file_name, inventory_.snapshot());
}

Result<void> PeerNode::finish_file()
{
    summary_timer_->stop();
    CS_TRY(write_summary_now());
    // Only a peer that resumed from a whole, verified joined file has nothing to assemble.
    if (!assembler_) {
        log::info("all {} chunks held; {} was already joined and verified", manifest_->chunk_count,
                  destination().string());
        return {};
    }
    // Every chunk is already in place and checked; what is left is the rename (after the
    // whole-file hash, if the settings ask for it).
    log::event("joining", {}, "all {} chunks held; moving {} to {}", manifest_->chunk_count,
               assembler_->part_path().string(), destination().string());
    auto started = std::chrono::steady_clock::now();
    CS_TRY(assembler_->finish());
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    log::event("joined", {{"ms", ms}}, "joined {} chunks into {} ({} bytes, {}, {} ms)", manifest_->chunk_count,
               destination().string(), manifest_->file_size,
               options_.settings.verify_joined_file ? "whole-file SHA-256 ok" : "every chunk's SHA-256 ok", ms);
    if (!options_.settings.keep_chunk_files) {
        // Left by an earlier run that kept them; this one wrote none.
        if (std::uint32_t dropped = store_.clear(); dropped > 0) {
            log::info("dropped {} chunk file(s) left from an earlier run (keep_chunk_files is false)", dropped);
        }
    }
    return {};
}

void PeerNode::on_download_end(const Result<void>& result)
{
    summary_timer_->close();
    if (!result) record_failure(result.error());
    bool ok = result.ok();
    upload_thread_.post([this, ok] {
        if (!ok) {
            server_->close();
            return;
        }
        self_complete_ = true;
        stop_uploading_if_finished();
    });
}

void PeerNode::request_rescue(ChunkId id)
{
    if (rescue_wanted_.size() == 0) rescue_wanted_ = ChunkSet(manifest_->chunk_count);
    rescue_wanted_.insert(id);
    if (!rescue_) start_rescue();
}

// A client of the owner that asks for every chunk (hello with "rescue") but holds all the others,
// so it requests exactly the ones given up on.
void PeerNode::start_rescue()
{
    log::info("fetching chunk(s) [{}] from the owner, as {} keeps sending them damaged",
              format_ids(rescue_wanted_.ids()), options_.download_label);
    net::ClientOptions client_options = owner_client_options(kResumedOwnerWaitS);
    client_options.rescue = true;
    net::ClientHooks hooks;
    hooks.accept_manifest = [this](const Manifest& m) { return adopt_manifest(m, /*from_owner=*/true); };
    hooks.local_chunks = [this] {
        ChunkSet pretend_held = ChunkSet::all(manifest_->chunk_count);
        for (ChunkId id : rescue_wanted_.ids())
            pretend_held.erase(id);
        return pretend_held;
    };
    hooks.store_chunk = [this](ChunkId id, std::span<const std::uint8_t> bytes) -> Result<void> {
        CS_TRY(store_chunk(id, bytes));
        rescue_wanted_.erase(id);
        neighbor_->note_stored_elsewhere(id);
        return {};
    };
    hooks.is_finished = [](const RequestPlanner& planner) { return planner.remote_exhausted(); };
    hooks.on_finished = [](const RequestPlanner&) -> Result<void> { return {}; };
    hooks.on_end = [this](const Result<void>& result) { on_rescue_end(result); };
    rescue_ = std::make_unique<net::ChunkClient>(download_thread_.loop(), client_options, std::move(hooks));
    rescue_->start();
}

void PeerNode::on_rescue_end(const Result<void>& result)
{
    // The client is still on the stack here; let it go on the next turn of the loop.
    download_thread_.post([this, result] {
        rescue_.reset();
        if (!result) {
            std::string reason =
                "chunk(s) [" + format_ids(rescue_wanted_.ids()) + "] cannot be had: " + options_.download_label +
                " keeps sending them damaged, and the owner could not help (" + result.error().message + ")";
            neighbor_->abort(reason);
            return;
        }
        if (!rescue_wanted_.empty()) start_rescue();
    });
}

void PeerNode::on_upload_done(std::uint32_t peer_id, bool complete)
{
    if (!complete || (options_.upload_neighbor && *options_.upload_neighbor != peer_id)) return;
    neighbor_complete_ = true;
    stop_uploading_if_finished();
}

void PeerNode::stop_uploading_if_finished()
{
    if (self_complete_ && neighbor_complete_) server_->close();
}

}  // namespace

int run_peer(const PeerOptions& options)
{
    PeerNode node(options);
    return node.run();
}

}  // namespace chunkswarm::peer

#include "peer_node.hpp"

#include <uv.h>

#include <atomic>
#include <cassert>
#include <chrono>
#include <mutex>

#include "chunkswarm/chunk_store.hpp"
#include "chunkswarm/cli_support.hpp"
#include "chunkswarm/downstream_watch.hpp"
#include "chunkswarm/file_assembler.hpp"
#include "chunkswarm/file_util.hpp"
#include "chunkswarm/log.hpp"
#include "chunkswarm/net/chunk_client.hpp"
#include "chunkswarm/net/chunk_server.hpp"
#include "chunkswarm/net/loop_thread.hpp"
#include "chunkswarm/summary_file.hpp"
#include "chunkswarm/upstream_route.hpp"
#include "shared_inventory.hpp"

namespace chunkswarm::peer {
namespace {

constexpr std::uint32_t kResumedOwnerWaitS = 5;

class PeerNode {
public:
    explicit PeerNode(const PeerOptions& options)
        : options_(options),
          store_(options.data_dir),
          name_("peer " + std::to_string(options.id)),
          watch_(options.upload_neighbor, std::uint64_t{options.settings.idle_exit_s} * 1000),
          route_(options.id, options.upstream)
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

    // Download loop: whom it downloads from, and what happens when that peer is gone.
    void start_downloading();
    void connect_upstream();
    void reroute(const std::string& reason);
    void start_gone_rescue(const std::vector<std::uint32_t>& gone);
    void watch_progress();
    void on_complete();
    void report_complete();
    void end_download();
    std::string upstream_label() const { return route_.current() ? route_.current()->label() : "owner"; }
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
    void on_upload_done(const Hello& hello, bool complete);
    void on_self_complete();
    void leave_if_no_one_needs_this();
    std::optional<Upstream> told_upstream() const;

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
    // Written by the upload loop before it ends; read after both threads are joined.
    std::string exit_reason_;
    std::mutex failure_mutex_;
    std::optional<Error> failure_;  // guarded by failure_mutex_

    // Declared before the objects living on them, so the loops are closed last.
    net::LoopThread upload_thread_{"upload"};
    net::LoopThread download_thread_{"download"};

    // Upload loop only.
    std::unique_ptr<net::ChunkServer> server_;
    DownstreamWatch watch_;
    std::unique_ptr<net::Timer> exit_timer_;
    // Download loop only (set up on the main thread before that loop starts).
    UpstreamRoute route_;
    // The owner's address did not answer during bootstrap: do not wait for it again to report.
    bool owner_unreachable_ = false;
    std::unique_ptr<net::ChunkClient> neighbor_;
    // The owner, serving what only the gone peers held (routing around them).
    std::unique_ptr<net::ChunkClient> gone_rescue_;
    // The owner, told this peer holds the whole file.
    std::unique_ptr<net::ChunkClient> report_;
    // No chunk stored for give_up_s: the owner becomes the upstream, or the peer gives up.
    std::unique_ptr<net::Timer> progress_timer_;
    std::uint64_t last_progress_ms_ = 0;
    std::uint32_t last_progress_count_ = 0;
    std::uint32_t stalls_ = 0;
    bool downloading_from_owner_ = false;
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
    // Both loops have ended (joined), so the upload side's reason is settled.
    log::event("finished", {}, "finished: holds {}, and {}; exiting", destination().string(), exit_reason_);
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
        owner_unreachable_ = true;
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
    exit_timer_ = std::make_unique<net::Timer>(upload_thread_.loop());
    summary_timer_ = std::make_unique<net::Timer>(download_thread_.loop());
    progress_timer_ = std::make_unique<net::Timer>(download_thread_.loop());
    // Running before the thread starts, it also keeps the download loop alive for the task below.
    progress_timer_->start(1000, [this] { watch_progress(); }, 1000);
    download_thread_.post([this] { start_downloading(); });
    upload_thread_.start();
    download_thread_.start();
}

void PeerNode::trade()
{
    if (!trading_) start_trading();
    download_thread_.join();
    upload_thread_.join();
}

// What happens when a download neighbour dies, in one place: the client to it ends with
// ErrorCode::peer_gone (unreachable, or silent while it owes chunks, for neighbor_gone_s), and the
// peer downloads from the next peer upstream instead (the gone one's own download neighbour, as
// the config says or that peer told), asking the owner at once for what only the gone peers held.
// With no peer upstream left, the owner is the upstream; without the owner either, the peer exits
// non-zero naming what it lacks.
void PeerNode::start_downloading()
{
    assert(download_thread_.is_current());
    if (inventory_.snapshot().full()) {
        // Resumed whole: nothing to fetch, only the join (if not done yet) and the report.
        if (auto finished = finish_file(); !finished) {
            record_failure(finished.error());
            upload_thread_.post([this] { server_->close(); });
            end_download();
            return;
        }
        on_complete();
        return;
    }
    connect_upstream();
}

void PeerNode::connect_upstream()
{
    assert(download_thread_.is_current());
    const PeerRef* upstream = route_.current();
    net::ClientOptions client_options;
    if (upstream) {
        const Settings& s = options_.settings;
        client_options = client_options_for(upstream->endpoint, upstream->label(), s.neighbor_connect_timeout_s);
        client_options.gone_after_s = s.neighbor_gone_s;
        // Neighbours start one at a time, so the first is waited for longer than a detour.
        client_options.never_up_gone_after_s = route_.at_first() ? s.give_up_s : s.neighbor_gone_s;
        client_options.skipped = route_.skipped();
    } else {
        client_options = owner_client_options(2 * kResumedOwnerWaitS);
        client_options.rescue = true;
        downloading_from_owner_ = true;
    }
    neighbor_ =
        std::make_unique<net::ChunkClient>(download_thread_.loop(), std::move(client_options), neighbor_hooks());
    neighbor_->start();
}

void PeerNode::reroute(const std::string& reason)
{
    assert(download_thread_.is_current());
    neighbor_.reset();
    const PeerRef* next = route_.skip();
    std::vector<std::uint32_t> gone = route_.skipped();
    log::event("rerouted", {{"gone", gone.empty() ? "" : "peer " + std::to_string(gone.back())}, {"to", upstream_label()}},
               "{}; it counts as gone: downloading from {} instead, and asking the owner for what only the gone "
               "peer(s) held",
               reason, next ? next->label() + " (the next peer upstream)" : "the owner (no peer upstream is left)");
    start_gone_rescue(gone);
    connect_upstream();
}

void PeerNode::start_gone_rescue(const std::vector<std::uint32_t>& gone)
{
    net::ClientOptions client_options = owner_client_options(kResumedOwnerWaitS);
    client_options.rescue = true;
    client_options.skipped = gone;
    net::ClientHooks hooks;
    hooks.accept_manifest = [this](const Manifest& m) { return adopt_manifest(m, /*from_owner=*/true); };
    hooks.local_chunks = [this] { return inventory_.snapshot(); };
    hooks.store_chunk = [this](ChunkId id, std::span<const std::uint8_t> bytes) -> Result<void> {
        CS_TRY(store_chunk(id, bytes));
        if (neighbor_) neighbor_->note_stored_elsewhere(id);
        return {};
    };
    hooks.on_requested = [this](const std::vector<ChunkId>& ids) { expect(ids); };
    hooks.is_finished = [](const RequestPlanner& planner) { return planner.remote_exhausted(); };
    hooks.on_finished = [](const RequestPlanner&) -> Result<void> { return {}; };
    hooks.on_end = [this](const Result<void>& result) {
        if (!result) {
            log::warn("the owner cannot give what only the gone peer(s) held ({}); the peer goes on with the "
                      "others, and gives up if those chunks never come",
                      result.error().message);
        }
        download_thread_.post([this] { gone_rescue_.reset(); });
    };
    gone_rescue_ = std::make_unique<net::ChunkClient>(download_thread_.loop(), client_options, std::move(hooks));
    gone_rescue_->start();
}

// Once a second. A peer that has stored nothing for give_up_s while on a detour goes back to its
// download neighbour (it may be back, holding what nobody else has); stalled again, or stalled
// with its own neighbour, it asks the owner for everything it lacks, and gives up (naming what it
// lacks) if the owner cannot help either.
void PeerNode::watch_progress()
{
    const std::uint64_t now = uv_now(download_thread_.loop());
    const std::uint32_t count = inventory_.snapshot().count();
    if (count != last_progress_count_ || last_progress_ms_ == 0) {
        last_progress_count_ = count;
        last_progress_ms_ = now;
        stalls_ = 0;
        return;
    }
    if (!neighbor_ || downloading_from_owner_) return;  // the owner client ends the peer if the owner is gone
    if (now < last_progress_ms_ + std::uint64_t{options_.settings.give_up_s} * 1000) return;
    last_progress_ms_ = now;
    neighbor_.reset();
    if (++stalls_ == 1 && !route_.at_first()) {
        route_.restart();
        log::warn("no chunk has arrived for {} s; trying {} again, as it may be back", options_.settings.give_up_s,
                  upstream_label());
    } else {
        while (route_.current())
            (void)route_.skip();
        log::warn("no chunk has arrived for {} s; fetching what is missing from the owner",
                  options_.settings.give_up_s);
    }
    connect_upstream();
}

void PeerNode::on_complete()
{
    assert(download_thread_.is_current());
    upload_thread_.post([this] { on_self_complete(); });
    // Downloading from the owner, the peer's "done" has already told it.
    if (owner_unreachable_ || downloading_from_owner_) {
        end_download();
        return;
    }
    report_complete();
}

// The owner stays until every peer is complete or given up on; this tells it one more is.
void PeerNode::report_complete()
{
    net::ClientOptions client_options = owner_client_options(kResumedOwnerWaitS);
    client_options.report_complete = true;
    net::ClientHooks hooks;
    hooks.accept_manifest = [this](const Manifest& m) -> Result<void> {
        if (!(m == *manifest_)) return make_error("the owner now distributes another file");
        return {};
    };
    hooks.local_chunks = [this] { return inventory_.snapshot(); };
    hooks.store_chunk = [](ChunkId, std::span<const std::uint8_t>) -> Result<void> { return {}; };
    hooks.is_finished = [](const RequestPlanner&) { return true; };
    hooks.on_finished = [](const RequestPlanner&) -> Result<void> { return {}; };
    hooks.on_end = [this](const Result<void>& result) {
        if (result) {
            log::info("told the owner this peer holds the whole file");
        } else {
            log::info("could not tell the owner this peer is complete ({}); it has probably left",
                      result.error().message);
        }
        download_thread_.post([this] { end_download(); });
    };
    report_ = std::make_unique<net::ChunkClient>(download_thread_.loop(), client_options, std::move(hooks));
    report_->start();
}

// Closes what keeps the download loop running; the loop (and its thread) ends after that.
void PeerNode::end_download()
{
    assert(download_thread_.is_current());
    summary_timer_->close();
    progress_timer_->close();
    neighbor_.reset();
    gone_rescue_.reset();
    rescue_.reset();
    report_.reset();
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
    hooks.on_end = [this](const Result<void>& result) {
        // The client is still on the stack here; what follows replaces or destroys it.
        download_thread_.post([this, result] { on_download_end(result); });
    };
    hooks.on_chunk_given_up = [this](ChunkId id) { request_rescue(id); };
    hooks.on_upstream = [this](const Upstream& next) {
        if (!route_.current()) return;
        // A copy: learning may grow the route and move what current() points at.
        const std::string label = route_.current()->label();
        if (route_.learn(route_.current()->id, PeerRef{next.id, Endpoint{next.host, next.port}})) {
            log::debug("{} downloads from peer {} at {}:{}; that is where this peer goes if {} is gone", label,
                       next.id, next.host, next.port, label);
        }
    };
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
    context.offered_for = [this](const Hello&) -> Result<ChunkSet> { return inventory_.snapshot(); };
    context.coming = [this] { return inventory_.coming(); };
    context.on_done = [this](const Hello& hello, bool complete) { on_upload_done(hello, complete); };
    context.on_activity = [this] { watch_.on_activity(uv_now(upload_thread_.loop())); };
    context.upstream = told_upstream();
    return context;
}

std::optional<Upstream> PeerNode::told_upstream() const
{
    if (options_.upstream.empty()) return std::nullopt;
    const PeerRef& first = options_.upstream.front();
    return Upstream{first.id, first.endpoint.host, first.endpoint.port};
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
    assert(download_thread_.is_current());
    if (!result && result.error().code == ErrorCode::peer_gone) {
        reroute(result.error().message);
        return;
    }
    if (result) {
        on_complete();
        return;
    }
    Error error = result.error();
    if (downloading_from_owner_) {
        ChunkSet missing = ChunkSet::all(manifest_->chunk_count);
        for (ChunkId id : inventory_.snapshot().ids())
            missing.erase(id);
        error.message = "no peer upstream is left and the owner cannot help (" + error.message + "); lacking " +
                        std::to_string(missing.count()) + " chunk(s) [" + format_ids(missing.ids()) + "]";
    }
    record_failure(error);
    upload_thread_.post([this] {
        exit_timer_->close();
        server_->close();
    });
    end_download();
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
              format_ids(rescue_wanted_.ids()), upstream_label());
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
                "chunk(s) [" + format_ids(rescue_wanted_.ids()) + "] cannot be had: " + upstream_label() +
                " keeps sending them damaged, and the owner could not help (" + result.error().message + ")";
            if (neighbor_) neighbor_->abort(reason);
            return;
        }
        if (!rescue_wanted_.empty()) start_rescue();
    });
}

void PeerNode::on_upload_done(const Hello& hello, bool complete)
{
    assert(upload_thread_.is_current());
    if (!complete) return;
    watch_.on_client_complete(hello.peer_id, hello.skipped);
    leave_if_no_one_needs_this();
}

void PeerNode::on_self_complete()
{
    assert(upload_thread_.is_current());
    watch_.on_self_complete(uv_now(upload_thread_.loop()));
    exit_timer_->start(1000, [this] { leave_if_no_one_needs_this(); }, 1000);
    leave_if_no_one_needs_this();
}

// A complete peer stays while a live peer downstream may still need it.
void PeerNode::leave_if_no_one_needs_this()
{
    switch (watch_.verdict(uv_now(upload_thread_.loop()))) {
        case DownstreamWatch::Verdict::stay: return;
        case DownstreamWatch::Verdict::downstream_complete:
            exit_reason_ = "its downstream holds it too";
            break;
        case DownstreamWatch::Verdict::idle:
            exit_reason_ = "no peer downstream has asked it for anything in " +
                           std::to_string(options_.settings.idle_exit_s) + " s";
            break;
    }
    exit_timer_->close();
    server_->close();
}

}  // namespace

int run_peer(const PeerOptions& options)
{
    PeerNode node(options);
    return node.run();
}

}  // namespace chunkswarm::peer

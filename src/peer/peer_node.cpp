#include "peer_node.hpp"

#include <uv.h>

#include <optional>

#include "chunkswarm/disk/file_util.hpp"
#include "chunkswarm/log.hpp"
#include "download_side.hpp"
#include "peer_core.hpp"
#include "upload_side.hpp"

namespace chunkswarm::peer {
namespace {

// A peer's states, as its metrics show them: "share" while only the owner's session runs.
const std::vector<std::string> kStates{"starting", "share", "trading", "finished", "failed"};

// The whole peer: the bootstrap on the main thread (its share from the owner, the original brief's first
// step), then the two sides on their own threads until it may leave. With early_trading the sides
// start once its first chunks from the owner are stored and the summary written, while the rest
// of the share still comes in on the main thread.
class PeerNode {
public:
    explicit PeerNode(const PeerOptions& options) : core_(options), upload_(core_), download_(core_, upload_) {}

    Result<void> run();

private:
    Result<void> run_to_end();
    void set_state(std::string_view state) { core_.metrics().set_state(metrics::family::state, kStates, state); }
    Result<void> bootstrap();
    Result<void> owner_session();
    class OwnerShare;
    Result<void> store_from_owner(ChunkId id, std::span<const std::uint8_t> bytes);
    Result<void> on_share_held(std::size_t from_owner);
    Result<void> trade_early_once_started();
    // Whether the bootstrap holds the peer's whole share when the sides start.
    enum class Share { held, arriving };
    void start_trading(Share share);

    PeerCore core_;
    UploadSide upload_;
    DownloadSide download_;
    // Main thread only: the sides run (with early_trading, set while the share still arrives).
    bool trading_ = false;
    bool owner_unreachable_ = false;
};

// The bootstrap's client: the peer's share from the owner (and the manifest's hashes as the owner
// computes them). With early_trading, the sides start after its first chunk.
class PeerNode::OwnerShare final : public net::ClientKind {
public:
    OwnerShare(PeerNode& node, Result<void>& outcome) : node_(node), outcome_(outcome) {}
    Result<void> accept_manifest(const Manifest& manifest) override
    {
        return node_.core_.accept_manifest(manifest, ManifestFrom::owner);
    }
    bool takes_hashes() const override { return true; }
    Result<void> accept_hashes(const Manifest& grown, std::uint32_t first) override
    {
        CS_TRY(node_.core_.accept_hashes(grown, first));
        return node_.trading_ ? Result<void>{} : node_.trade_early_once_started();
    }
    ChunkSet local_chunks() override { return node_.core_.inventory().snapshot(); }
    Result<void> store_chunk(ChunkId id, std::span<const std::uint8_t> bytes) override
    {
        CS_TRY(node_.store_from_owner(id, bytes));
        ++from_owner_;
        return {};
    }
    // After the receipt is logged, so that the log shows the original brief's order: the chunk, the summary,
    // the threads.
    Result<void> after_stored(ChunkId) override
    {
        return node_.trading_ ? Result<void>{} : node_.trade_early_once_started();
    }
    void on_requested(const std::vector<ChunkId>& ids) override
    {
        if (node_.trading_) {
            node_.download_.expect(ids);
        } else {
            node_.core_.inventory().expect(ids);
        }
    }
    bool is_finished(const RequestPlanner& planner) const override { return planner.remote_exhausted(); }
    Result<void> on_finished(const RequestPlanner&) override { return node_.on_share_held(from_owner_); }
    void on_end(const Result<void>& result) override { outcome_ = result; }

private:
    PeerNode& node_;
    Result<void>& outcome_;
    std::size_t from_owner_ = 0;
};

// The whole run, with the metrics served around it when asked for.
Result<void> PeerNode::run()
{
    set_state("starting");
    const PeerOptions& options = core_.options();
    auto server = net::serve_metrics(options.metrics, core_.metrics(), [this] {
        const ChunkSet held = core_.inventory().snapshot();
        core_.metrics().at(metrics::family::chunks_held).set(held.count());
        core_.metrics().at(metrics::family::chunks_in_file).set(held.size());
    });
    if (!server) return make_error(server.error().message, ErrorCode::bad_input);
    Result<void> done = run_to_end();
    set_state(done ? "finished" : "failed");
    net::linger_and_stop(std::move(server).value(), options.metrics);
    return done;
}

Result<void> PeerNode::run_to_end()
{
    const PeerOptions& options = core_.options();
    if (auto ready = ensure_directory(options.data_dir); !ready) return ready.error();
    auto data_dir_lock = DirectoryLock::acquire(options.data_dir);
    if (!data_dir_lock) return data_dir_lock.error();
    if (auto ready = core_.store().prepare(); !ready) return ready.error();
    if (auto bound = upload_.listen(); !bound) return bound.error();
    if (const std::uint64_t cap = options.settings.max_download_rate; cap > 0) {
        log::event("rate_capped", {{"way", "receive"}, {"bytes_per_s", cap}},
                   "receiving capped at {} bytes per second, from the owner and the neighbours together "
                   "(max_download_rate)",
                   cap);
    }
    if (auto resumed = core_.resume_from_disk(); !resumed) return resumed.error();
    // "listening" and "resumed" are out now, not with the next batch: the launcher starts the next
    // peer on "resumed" (or on "manifest", flushed when it is adopted).
    log::flush();
    set_state("share");
    if (auto got = bootstrap(); !got) {
        if (!trading_) return got.error();
        log::warn_event("owner_lost", {{"error", got.error().message}}, "{}; going on with the neighbours",
                        got.error().message);
    }
    if (!trading_) start_trading(Share::held);
    download_.join();
    upload_.join();
    if (auto failure = core_.failure()) return *failure;
    // Both loops have ended (joined), so the upload side's reason is settled.
    log::event("finished", {}, "finished: holds {}, and {}; exiting", core_.destination().string(),
               upload_.exit_reason());
    return {};
}

// The owner's session; once more if the owner's hashes showed that the content on disk is of an
// older file (the peer dropped it and asks again with nothing held).
Result<void> PeerNode::bootstrap()
{
    Result<void> outcome = owner_session();
    if (!outcome && outcome.error().code == ErrorCode::content_changed) {
        log::info("{}", outcome.error().message);
        outcome = owner_session();
    }
    return outcome;
}

// On a loop of the main thread's own. A resumed peer waits for the owner only briefly: with the
// chunks on disk, its neighbours may be all it needs.
Result<void> PeerNode::owner_session()
{
    const bool resumed = core_.has_manifest();
    std::uint32_t budget_s = core_.settings().owner_connect_timeout_s;
    if (resumed) budget_s = std::min(budget_s, kBriefOwnerWaitS);
    uv_loop_t loop{};
    if (int rc = uv_loop_init(&loop); rc != 0)
        return make_error(std::string("cannot create an event loop: ") + uv_strerror(rc));
    Result<void> outcome = make_error("the owner session ended without a result");
    bool reached_owner = false;
    {
        net::ChunkClient owner(&loop, core_.owner_client_options(budget_s),
                               std::make_unique<OwnerShare>(*this, outcome));
        owner.start();
        uv_run(&loop, UV_RUN_DEFAULT);
        reached_owner = owner.ever_connected();
    }
    net::close_loop(&loop);
    if (!outcome && resumed && !reached_owner) {
        owner_unreachable_ = true;
        const std::size_t held = core_.inventory().snapshot().count();
        log::warn_event("owner_lost", {{"error", outcome.error().message}, {"held", held}},
                        "{}; going on with the {} chunk(s) on disk and the neighbours", outcome.error().message, held);
        return {};
    }
    return outcome;
}

Result<void> PeerNode::store_from_owner(ChunkId id, std::span<const std::uint8_t> bytes)
{
    CS_TRY(core_.store_chunk(id, bytes));
    core_.inventory().add(id);
    if (trading_) download_.stored_from_owner(id);
    return {};
}

// The original brief's order, "one or several chunks": the first chunk stored, then the summary, then the
// two threads, while the rest of the share keeps coming. Waiting for a first window of them (16)
// held a peer out of the ring until the owner had dealt nearly the whole file when many peers
// share its link (100 peers at 2 MB/s: a chunk every 5 s each; trading began 20-54 s into a
// 34 s F/U).
Result<void> PeerNode::trade_early_once_started()
{
    const std::size_t held = core_.inventory().held_count();
    if (!core_.settings().early_trading || held == 0 || !core_.manifest_settled()) {
        return {};
    }
    CS_TRY(core_.write_summary_now());
    log::event("first_chunks_held", {{"held", held}},
               "holds {} chunk(s) from the owner; summary written to {}; starting the upload and download "
               "threads while the rest of its share arrives",
               held, core_.summary_path().string());
    start_trading(Share::arriving);
    return {};
}

// The original brief's order: the share stored, then the summary file, then the two threads.
Result<void> PeerNode::on_share_held(std::size_t from_owner)
{
    // The download side owns the summary file once the threads run.
    if (trading_) {
        download_.share_held(from_owner);
        return {};
    }
    CS_TRY(core_.write_summary_now());
    core_.log_share_held(from_owner);
    return {};
}

void PeerNode::start_trading(Share share)
{
    trading_ = true;
    set_state("trading");
    core_.freeze();
    upload_.start();
    download_.start({.owner_unreachable = owner_unreachable_, .share_held = share == Share::held});
}

}  // namespace

Result<void> run_peer(const PeerOptions& options) { return build_and_run<PeerNode>(options); }

}  // namespace chunkswarm::peer

#include "owner.hpp"

#include <uv.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "chunkswarm/chunk_store.hpp"
#include "chunkswarm/cli_support.hpp"
#include "chunkswarm/file_util.hpp"
#include "chunkswarm/log.hpp"
#include "chunkswarm/net/chunk_server.hpp"
#include "chunkswarm/net/loop_thread.hpp"
#include "chunkswarm/shares.hpp"

namespace chunkswarm::owner {
namespace {

// Peers wait for the manifest, so the split uses every core: one thread hashes the whole file
// while the others write the chunk files, each its own range.
Result<Manifest> split_on_all_cores(Splitter& splitter)
{
    const std::uint32_t count = splitter.chunk_count();
    const std::uint32_t writers = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
    std::vector<Result<void>> outcomes(writers + 1);
    {
        std::vector<std::jthread> threads;
        threads.emplace_back([&] { outcomes[0] = splitter.hash_whole(); });
        for (std::uint32_t w = 0; w < writers; ++w) {
            const auto first = static_cast<ChunkId>(std::uint64_t{count} * w / writers);
            const auto last = static_cast<ChunkId>(std::uint64_t{count} * (w + 1) / writers);
            threads.emplace_back([&, w, first, last] { outcomes[w + 1] = splitter.split_range(first, last); });
        }
    }
    for (auto& outcome : outcomes)
        CS_TRY(outcome);
    if (splitter.reused() > 0) {
        log::info("kept {} of the {} chunk files from an earlier split (their bytes already matched)",
                  splitter.reused(), count);
    }
    return splitter.manifest();
}

Result<Manifest> prepare_chunks(const OwnerOptions& options, const ChunkStore& store, Splitter& splitter)
{
    auto started = std::chrono::steady_clock::now();
    auto manifest = split_on_all_cores(splitter);
    if (!manifest) return manifest.error();
    CS_TRY(save_manifest(manifest.value(), options.data_dir / kManifestFileName));
    const Manifest& m = manifest.value();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    log::event("split", {{"bytes", m.file_size}, {"total", m.chunk_count}, {"ms", ms}},
               "split {} ({} bytes) into {} chunks of {} bytes in {} ({} ms); SHA-256 {}", options.file.string(),
               m.file_size, m.chunk_count, m.chunk_size, store.dir().string(), ms, to_hex(m.file_sha256));
    return manifest;
}

// The listener's loop, its server and the share bookkeeping, alive for one run.
class OwnerNode {
public:
    explicit OwnerNode(const OwnerOptions& options)
        : options_(options),
          store_(options.data_dir),
          slots_(options.peer_ids.empty() ? SlotTable::by_join_order(options.peer_count)
                                          : SlotTable::fixed(options.peer_ids))
    {
        uv_loop_init(&loop_);
    }
    ~OwnerNode()
    {
        server_.reset();
        net::close_loop(&loop_);
    }

    int run()
    {
        // A missing or too small file is reported before anything says "listening".
        auto splitter = Splitter::open(options_.file, options_.chunk_size, store_);
        if (!splitter) return cli::fail("owner", splitter.error().message);
        server_ = std::make_unique<net::ChunkServer>(&loop_, context());
        // Bound before the split, so a port in use is reported at once; peers that connect
        // meanwhile wait in the backlog.
        if (auto listening = server_->listen(options_.bind); !listening) {
            return cli::fail("owner", listening.error().message);
        }
        log::event(
            "listening", {{"port", server_->port()}, {"peers", slots_.slots()}},
            "listening on {}:{} for {} peer(s); chunk i belongs to the share of slot i mod {}, dealt as its peer "
            "draws it",
            options_.bind.host, server_->port(), slots_.slots(), slots_.slots());
        log::flush();  // peers may be started on this line (the swarm launcher does): not in 50 ms
        auto manifest = prepare_chunks(options_, store_, splitter.value());
        if (!manifest) return cli::fail("owner", manifest.error().message);
        manifest_ = std::move(manifest).value();
        dealer_.emplace(slots_.slots(), manifest_->chunk_count);
        server_->set_manifest(&*manifest_);
        uv_run(&loop_, UV_RUN_DEFAULT);
        return 0;
    }

private:
    net::ServerContext context()
    {
        net::ServerContext context;
        context.store = &store_;
        context.settings = options_.settings;
        context.secret = options_.secret;
        context.offered_for = [this](std::uint32_t peer_id, bool rescue) -> Result<ChunkSet> {
            auto slot = slots_.slot_for(peer_id);
            if (!slot) return slot.error();
            if (rescue) {
                log::info("peer {} asks for chunks its neighbour keeps sending damaged; offering it every chunk",
                          peer_id);
                return ChunkSet::all(manifest_->chunk_count);
            }
            return dealer_->dealt(slot.value());
        };
        context.on_done = [this](std::uint32_t peer_id, bool) { on_share_delivered(peer_id); };
        // Sessions are admitted (and so deal) only once the manifest, and with it the dealer, exists.
        context.dealing = net::ServerContext::Dealing{
            .opened = [this](std::uint32_t peer_id) { dealer_->session_opened(slot_of(peer_id)); },
            .deal = [this](std::uint32_t peer_id, std::uint32_t count) { return deal(peer_id, count); },
            .closed = [this](std::uint32_t peer_id) { dealer_->session_closed(slot_of(peer_id)); },
        };
        return context;
    }

    // Only called for peers already admitted, so the slot exists.
    std::uint32_t slot_of(std::uint32_t peer_id) { return slots_.slot_for(peer_id).value(); }

    std::vector<ChunkId> deal(std::uint32_t peer_id, std::uint32_t count)
    {
        const std::uint32_t slot = slot_of(peer_id);
        std::vector<ChunkId> ids = dealer_->deal(slot, count);
        for (ChunkId id : ids) {
            const std::uint32_t home = dealer_->home_slot(id);
            if (home == slot || !takeovers_logged_.insert({slot, home}).second) continue;
            auto behind = slots_.peer_in(home);
            log::info(
                "peer {} has drawn its whole share, so it also draws from what is left of {}'s, the furthest "
                "behind",
                peer_id, behind ? "peer " + std::to_string(*behind) : "slot " + std::to_string(home));
        }
        return ids;
    }

    void on_share_delivered(std::uint32_t peer_id)
    {
        if (!slots_.mark_served(peer_id)) return;
        log::event("peer_served", {{"peer", peer_id}, {"served", slots_.served_count()}},
                   "peer {} holds its share; {} of {} peers served", peer_id, slots_.served_count(), slots_.slots());
        if (slots_.all_served() && !options_.linger) {
            log::info("every share is delivered, so every chunk is in the swarm; the owner exits");
            server_->close();
        }
    }

    const OwnerOptions& options_;
    ChunkStore store_;
    SlotTable slots_;
    std::optional<Manifest> manifest_;
    std::optional<ShareDealer> dealer_;
    // (drawing slot, slot behind): each takeover is logged once.
    std::set<std::pair<std::uint32_t, std::uint32_t>> takeovers_logged_;
    uv_loop_t loop_{};
    std::unique_ptr<net::ChunkServer> server_;
};

}  // namespace

int run_owner(const OwnerOptions& options)
{
    if (auto ready = ensure_directory(options.data_dir); !ready) return cli::fail("owner", ready.error().message);
    auto lock = DirectoryLock::acquire(options.data_dir);
    if (!lock) return cli::fail("owner", lock.error().message);
    OwnerNode node(options);
    return node.run();
}

}  // namespace chunkswarm::owner

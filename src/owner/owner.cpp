#include "owner.hpp"

#include <uv.h>

#include <algorithm>
#include <chrono>
#include <mutex>
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

// Peers wait only for the manifest, so it comes first and uses every core: one thread hashes the
// whole file while the others hash the chunks, each its own range. The chunk files come after.
Result<void> hash_on_all_cores(Splitter& splitter)
{
    const std::uint32_t count = splitter.chunk_count();
    const std::uint32_t workers = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
    std::vector<Result<void>> outcomes(workers + 1);
    {
        std::vector<std::jthread> threads;
        threads.emplace_back([&] { outcomes[0] = splitter.hash_whole(); });
        for (std::uint32_t w = 0; w < workers; ++w) {
            const auto first = static_cast<ChunkId>(std::uint64_t{count} * w / workers);
            const auto last = static_cast<ChunkId>(std::uint64_t{count} * (w + 1) / workers);
            threads.emplace_back([&, w, first, last] { outcomes[w + 1] = splitter.hash_range(first, last); });
        }
    }
    for (auto& outcome : outcomes)
        CS_TRY(outcome);
    return {};
}

std::int64_t ms_since(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
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
        server_ = std::make_unique<net::ChunkServer>(&loop_, context());
        // Bound before the split, so a port in use is reported at once; peers that connect
        // meanwhile wait in the backlog.
        if (auto listening = server_->listen(options_.bind); !listening) {
            return cli::fail("owner", listening.error().message);
        }
        log::event("listening", {{"port", server_->port()}, {"peers", slots_.slots()}},
                   "listening on {}:{} for {} peer(s); chunk i goes to the peer in slot i mod {}", options_.bind.host,
                   server_->port(), slots_.slots(), slots_.slots());
        if (auto serving = hash_and_serve(); !serving) return cli::fail("owner", serving.error().message);
        uv_run(&loop_, UV_RUN_DEFAULT);
        chunk_writer_ = {};  // joins it
        if (write_failure_) return cli::fail("owner", write_failure_->message);
        return 0;
    }

private:
    // The manifest first; then peers are served from the file itself while a background thread
    // writes the chunk files, and from the chunk files once they are all written.
    Result<void> hash_and_serve()
    {
        split_started_ = std::chrono::steady_clock::now();
        auto splitter = Splitter::open(options_.file, options_.chunk_size, store_);
        if (!splitter) return splitter.error();
        CS_TRY(hash_on_all_cores(splitter.value()));
        manifest_ = splitter->manifest();
        CS_TRY(save_manifest(*manifest_, options_.data_dir / kManifestFileName));
        CS_TRY(store_.serve_from_joined(options_.file, manifest_->chunk_size));
        log::event(
            "hashed",
            {{"bytes", manifest_->file_size}, {"total", manifest_->chunk_count}, {"ms", ms_since(split_started_)}},
            "hashed {} ({} bytes, {} chunks of {} bytes) in {} ms; SHA-256 {}; serving from it while the "
            "chunk files are written",
            options_.file.string(), manifest_->file_size, manifest_->chunk_count, manifest_->chunk_size,
            ms_since(split_started_), to_hex(manifest_->file_sha256));
        server_->set_manifest(&*manifest_);
        start_chunk_writer(std::move(splitter).value());
        return {};
    }

    void start_chunk_writer(Splitter splitter)
    {
        chunk_files_written_ = net::UvHandle<uv_async_t>([this](uv_async_t* async) {
            return uv_async_init(&loop_, async,
                                 [](uv_async_t* a) { static_cast<OwnerNode*>(a->data)->on_chunk_files_written(); });
        });
        chunk_files_written_.get()->data = this;
        chunk_writer_ = std::jthread([this, splitter = std::move(splitter)]() mutable {
            Result<void> written = splitter.write_range(0, splitter.chunk_count());
            {
                std::lock_guard lock(writer_mutex_);
                writer_result_ = std::move(written);
                reused_ = splitter.reused();
            }
            uv_async_send(chunk_files_written_.get());
        });
    }

    // On the loop, once the background writer is done.
    void on_chunk_files_written()
    {
        chunk_files_written_.close();  // the loop may end once the shares are delivered too
        std::lock_guard lock(writer_mutex_);
        if (!writer_result_) {
            write_failure_ = writer_result_.error();
            log::error("cannot write the chunk files: {}; stopping", write_failure_->message);
            server_->close();
            return;
        }
        store_.stop_serving_from_joined();
        if (reused_ > 0) {
            log::info("kept {} of the {} chunk files from an earlier split (their bytes already matched)", reused_,
                      manifest_->chunk_count);
        }
        log::event(
            "split",
            {{"bytes", manifest_->file_size}, {"total", manifest_->chunk_count}, {"ms", ms_since(split_started_)}},
            "split {} ({} bytes) into {} chunks of {} bytes in {} ({} ms); serving from the chunk files",
            options_.file.string(), manifest_->file_size, manifest_->chunk_count, manifest_->chunk_size,
            store_.dir().string(), ms_since(split_started_));
    }

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
            return share_for(slot.value(), slots_.slots(), manifest_->chunk_count);
        };
        context.on_done = [this](std::uint32_t peer_id, bool) { on_share_delivered(peer_id); };
        return context;
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
    uv_loop_t loop_{};
    std::unique_ptr<net::ChunkServer> server_;
    std::chrono::steady_clock::time_point split_started_;
    // The background writer of the chunk files and how it ended.
    net::UvHandle<uv_async_t> chunk_files_written_;
    std::mutex writer_mutex_;
    Result<void> writer_result_;          // guarded by writer_mutex_
    std::uint32_t reused_ = 0;            // guarded by writer_mutex_
    std::optional<Error> write_failure_;  // loop thread only
    std::jthread chunk_writer_;           // last, so it is joined before what it uses goes
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

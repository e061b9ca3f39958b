#include "owner.hpp"

#include <sys/resource.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

#include "chunkswarm/core/owner_ledger.hpp"
#include "chunkswarm/core/running_clock.hpp"
#include "chunkswarm/disk/chunk_store.hpp"
#include "chunkswarm/disk/file_util.hpp"
#include "chunkswarm/disk/free_space.hpp"
#include "chunkswarm/disk/manifest_file.hpp"
#include "chunkswarm/disk/tree_files.hpp"
#include "chunkswarm/log.hpp"
#include "chunkswarm/net/chunk_server.hpp"
#include "chunkswarm/net/loop_thread.hpp"
#include "chunkswarm/net/uv_handle.hpp"

namespace chunkswarm::owner {
namespace {

// How often the roster is reviewed, and how late a review may come before the owner counts the
// time as its own stall rather than the peers' silence.
constexpr std::uint64_t kRosterPeriodMs = 1000;
constexpr std::uint64_t kStallSlackMs = 2000;

// Runs `work(first, last)` on `threads` threads at once, each over its own slice of the chunks;
// the first failure, if any.
template <class Work>
Result<void> on_chunk_ranges(std::uint32_t chunk_count, std::uint32_t threads, Work work)
{
    std::vector<Result<void>> outcomes(threads);
    {
        std::vector<std::jthread> running;
        for (std::uint32_t t = 0; t < threads; ++t) {
            const auto first = static_cast<ChunkId>(std::uint64_t{chunk_count} * t / threads);
            const auto last = static_cast<ChunkId>(std::uint64_t{chunk_count} * (t + 1) / threads);
            running.emplace_back([&, t, first, last] { outcomes[t] = work(first, last); });
        }
    }
    for (auto& outcome : outcomes)
        CS_TRY(outcome);
    return {};
}

// The chunk hashes, computed on every core in batches taken in chunk order, so the hashed chunks
// are always a prefix of the file, growing from the first milliseconds: the owner serves that
// prefix while the rest is hashed, and a peer waits for the first batch, not the last.
class StreamedHashing {
public:
    // `on_progress` runs on `loop` whenever the prefix has grown (or the hashing failed).
    StreamedHashing(uv_loop_t* loop, Splitter& splitter, std::function<void()> on_progress)
        : splitter_(splitter),
          batches_((splitter.chunk_count() + kBatch - 1) / kBatch),
          on_progress_(std::move(on_progress)),
          wakeup_([this, loop](uv_async_t* async) {
              async->data = this;
              return uv_async_init(loop, async,
                                   [](uv_async_t* a) { static_cast<StreamedHashing*>(a->data)->on_progress_(); });
          })
    {
        const std::uint32_t hashers = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
        for (std::uint32_t t = 0; wakeup_ && t < hashers; ++t)
            threads_.emplace_back([this] { hash_batches(); });
    }
    StreamedHashing(const StreamedHashing&) = delete;
    StreamedHashing& operator=(const StreamedHashing&) = delete;
    ~StreamedHashing() { stop(); }

    // False if the loop could not take the wake-up (out of descriptors): nothing is hashed then.
    bool running() const { return static_cast<bool>(wakeup_); }
    // Chunks [0, hashed()) have their hash in the splitter's manifest.
    std::uint32_t hashed() const { return hashed_.load(std::memory_order_acquire); }
    std::optional<Error> failure() const
    {
        std::lock_guard lock(mutex_);
        return failure_;
    }
    // Joins the threads (the remaining batches are skipped), then closes the wake-up: no thread
    // may signal a closed handle.
    void stop()
    {
        stopping_ = true;
        threads_.clear();
        wakeup_.close();
    }

private:
    static constexpr std::uint32_t kBatch = 32;

    void hash_batches()
    {
        for (;;) {
            const std::uint32_t batch = next_batch_++;
            if (batch >= batches_ || stopping_) return;
            const ChunkId first(batch * kBatch);
            const ChunkId last(static_cast<std::uint32_t>(
                std::min<std::uint64_t>(std::uint64_t{first.value()} + kBatch, splitter_.chunk_count())));
            auto hashed = splitter_.hash_range(first, last);
            {
                std::lock_guard lock(mutex_);
                if (!hashed) {
                    if (!failure_) failure_ = hashed.error();
                    stopping_ = true;
                } else {
                    done_.insert(batch);
                    while (done_.erase(done_prefix_) != 0)
                        ++done_prefix_;
                    const std::uint64_t chunks = std::uint64_t{done_prefix_} * kBatch;
                    hashed_.store(static_cast<std::uint32_t>(std::min<std::uint64_t>(chunks, splitter_.chunk_count())),
                                  std::memory_order_release);
                }
            }
            uv_async_send(wakeup_.get());
        }
    }

    Splitter& splitter_;
    const std::uint32_t batches_;
    std::function<void()> on_progress_;
    net::UvHandle<uv_async_t> wakeup_;
    std::atomic<std::uint32_t> next_batch_{0};
    std::atomic<std::uint32_t> hashed_{0};
    std::atomic<bool> stopping_{false};
    mutable std::mutex mutex_;
    std::set<std::uint32_t> done_;   // batches hashed past the prefix; guarded by mutex_
    std::uint32_t done_prefix_ = 0;  // guarded by mutex_
    std::optional<Error> failure_;   // guarded by mutex_
    std::vector<std::jthread> threads_;
};

// A directory's files are packed into one stream in the data directory first; the stream is then
// split, hashed and served like a file, and the manifest names the directory and lists the tree.
struct SourceTree {
    std::filesystem::path stream;
    std::vector<TreeEntry> entries;
    std::uint32_t chunk_size = 0;
};

// Before the owner writes: a tree's stream, and the chunk files unless the layout drops them, less
// what an earlier run left in the data directory.
enum class Source { file, tree };

Result<void> check_room(const OwnerOptions& options, std::uint64_t bytes, Source source)
{
    const bool tree = source == Source::tree;
    const bool chunk_files = options.settings.keep_chunk_files;
    const std::uint64_t needed = bytes * ((tree ? 1 : 0) + (chunk_files ? 1 : 0));
    const std::uint64_t here = disk::bytes_in(options.data_dir);
    const char* what = tree ? (chunk_files ? "the tree's stream and the chunk files" : "the tree's stream")
                            : "the chunk files (keep_chunk_files false writes none)";
    return disk::check_room(options.data_dir, needed > here ? needed - here : 0, what);
}

// The chunk size for a source of `bytes`: the user's, or the default grown for a large file.
std::uint32_t chosen_chunk_size(const OwnerOptions& options, std::uint64_t bytes)
{
    if (options.chunk_size_given) return options.chunk_size;
    const std::uint32_t fitted = fit_chunk_size(bytes, options.chunk_size, options.settings.max_chunks);
    if (fitted != options.chunk_size) {
        log::event("chunk_size_chosen", {{"chunk_size", fitted}, {"bytes", bytes}},
                   "{} bytes would make more than {} chunks of {} bytes: using chunks of {} bytes (set chunk_size "
                   "or --chunk-size to choose)",
                   bytes, options.settings.max_chunks, options.chunk_size, fitted);
    }
    return fitted;
}

// The directory's name as the peers will write it ("data/" and "data/." name "data").
std::string source_name(const std::filesystem::path& file)
{
    std::error_code ec;
    std::filesystem::path path = std::filesystem::weakly_canonical(file, ec);
    if (ec) path = std::filesystem::absolute(file).lexically_normal();
    if (path.filename().empty()) path = path.parent_path();
    return path.filename().string();
}

Result<SourceTree> pack_source_tree(const OwnerOptions& options)
{
    std::error_code ec;
    const auto root = std::filesystem::weakly_canonical(options.file, ec);
    const auto data = std::filesystem::weakly_canonical(options.data_dir, ec);
    const auto inside = data.lexically_relative(root);
    if (!inside.empty() && inside.native().rfind("..", 0) != 0) {
        return make_error("the data directory " + options.data_dir.string() + " is inside " + options.file.string() +
                          ", which is distributed; give --data-dir another place");
    }
    CS_TRY(check_file_name(source_name(options.file)));
    auto started = std::chrono::steady_clock::now();
    SourceTree tree;
    CS_TRY_ASSIGN(tree.entries, scan_tree(options.file));
    const TreeCounts counts = count_tree(tree.entries);
    CS_TRY(check_tree(tree.entries, counts.bytes));
    tree.chunk_size = chosen_chunk_size(options, counts.bytes);
    CS_TRY(check_room(options, counts.bytes, Source::tree));
    if (auto planned = plan_chunk_count(counts.bytes, tree.chunk_size); !planned) {
        return make_error("the tree " + options.file.string() + " (its files together): " + planned.error().message);
    }
    tree.stream = options.data_dir / ".tree-stream";
    CS_TRY(pack_tree(options.file, tree.entries, tree.stream));
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    log::event("tree_packed",
               {{"files", counts.files}, {"dirs", counts.directories}, {"bytes", counts.bytes}, {"ms", ms}},
               "read the tree {}: {} file(s) and {} director(ies), {} bytes, packed one after another into {} "
               "({} ms)",
               options.file.string(), counts.files, counts.directories, counts.bytes, tree.stream.string(), ms);
    return tree;
}

// The manifest is whole: saved for a restart, and the split is logged.
Result<void> save_split(const OwnerOptions& options, const ChunkStore& store, const Manifest& m,
                        std::chrono::steady_clock::time_point started)
{
    CS_TRY(save_manifest(m, options.data_dir / kManifestFileName));
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    const std::string files =
        options.settings.keep_chunk_files
            ? "serving them from the file while their chunk files are written to " + store.dir().string()
            : "serving them from the file (keep_chunk_files is false: no chunk files)";
    const std::string content_id = to_hex(m.content_id());  // a hash over every chunk hash: once
    log::event("split",
               {{"bytes", m.file_size},
                {"total", m.chunk_count},
                {"ms", ms},
                {"content_id", content_id},
                {"chunk_files", options.settings.keep_chunk_files ? 1 : 0}},
               "split {} ({} bytes) into {} chunks of {} bytes, hashed in {} ms while serving them (content id {}); {}",
               options.file.string(), m.file_size, m.chunk_count, m.chunk_size, ms, content_id.substr(0, 16), files);
    return {};
}

// Each direct write waits for the disk, so a few threads keep several in flight; they wait, they
// hardly compute.
Result<void> write_on_several_threads(Splitter& splitter)
{
    constexpr std::uint32_t kWriters = 4;
    return on_chunk_ranges(splitter.chunk_count(), kWriters, [&](ChunkId first, ChunkId last) {
        ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 10);  // this thread only, on Linux
        return splitter.write_range(first, last);
    });
}

// The owner's chunk files, written on threads of their own once the hashes are known, at a lower
// priority than serving: the peers are served from the file itself meanwhile, so nobody waits for
// the ten-thousandth chunk file of a large file.
class ChunkFilesBehind {
public:
    ChunkFilesBehind(Splitter& splitter, const ChunkStore& store)
        : thread_([&splitter, &store, this] { write_all(splitter, store); })
    {
    }
    bool done() const { return done_; }
    // Waits for the last chunk file. One that could not be written was logged; the owner served
    // from the file all along, so the swarm did not depend on it.
    void finish()
    {
        if (thread_.joinable()) thread_.join();
    }

private:
    void write_all(Splitter& splitter, const ChunkStore& store)
    {
        auto started = std::chrono::steady_clock::now();
        auto written = write_on_several_threads(splitter);
        auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
        if (!written) {
            log::error("cannot store the chunk files: {}; the peers are still served from {}", written.error().message,
                       splitter.source().string());
        } else {
            log::event("chunk_files",
                       {{"total", splitter.chunk_count()},
                        {"kept", splitter.reused()},
                        {"clones", store.clones()},
                        {"ms", ms}},
                       "stored {} chunk files in {} ({} ms){}", splitter.chunk_count(), store.dir().string(), ms,
                       how_stored(splitter, store));
        }
        done_ = true;
    }

    static std::string how_stored(const Splitter& splitter, const ChunkStore& store)
    {
        std::string how;
        if (splitter.reused() > 0) {
            how += fmt::format("; kept {} of the {} chunk files from an earlier split (their bytes already matched)",
                               splitter.reused(), splitter.chunk_count());
        }
        if (store.clones() > 0) {
            how += fmt::format("; {} of them share their blocks with {} (clones: the bytes are on disk once)",
                               store.clones(), splitter.source().string());
        }
        return how;
    }

    std::atomic<bool> done_{false};
    std::jthread thread_;
};

// The owner's states, as its metrics show them.
const std::vector<std::string> kStates{"splitting", "serving", "done", "failed"};

// The listener's loop, its server, the share bookkeeping and the roster, alive for one run.
class OwnerNode {
public:
    explicit OwnerNode(const OwnerOptions& options) : options_(options), store_(options.data_dir)
    {
        if (uv_loop_init(&loop_) != 0) throw std::runtime_error("cannot create the owner's event loop");
        roster_timer_.emplace(&loop_);
    }
    ~OwnerNode()
    {
        hashing_.reset();
        server_.reset();
        roster_timer_.reset();
        net::close_loop(&loop_);
    }

    // The whole run, with the metrics served around it when asked for.
    Result<void> run()
    {
        set_state("splitting");
        auto metrics_server = net::serve_metrics(options_.metrics, metrics_);
        if (!metrics_server) return make_error(metrics_server.error().message, ErrorCode::bad_input);
        Result<void> done = run_to_end();
        set_state(done ? "done" : "failed");
        net::linger_and_stop(std::move(metrics_server).value(), options_.metrics);
        return done;
    }

private:
    // The roster's time: the loop's, less any stall of this process. The roster timer reads it
    // every kRosterPeriodMs, so a later read means the owner did not run (see RunningClock).
    std::uint64_t now_ms()
    {
        const std::uint64_t stalled_before = clock_->stalled_ms();
        const std::uint64_t now = clock_->read(uv_now(&loop_));
        if (const std::uint64_t stalled = clock_->stalled_ms() - stalled_before; stalled > 0) {
            log::warn_event("owner_stalled", {{"ms", stalled}},
                            "the owner did not run for {:.1f} s (stopped, suspended or starved); that time does "
                            "not count against any peer",
                            static_cast<double>(stalled) / 1000.0);
        }
        return now;
    }
    std::uint32_t peer_slots() const
    {
        return options_.peer_ids.empty() ? options_.peer_count : static_cast<std::uint32_t>(options_.peer_ids.size());
    }
    void set_state(std::string_view state) { metrics_.set_state(metrics::family::state, kStates, state); }

    Result<void> run_to_end()
    {
        // A missing or too small file is reported before anything says "listening".
        std::optional<SourceTree> tree;
        if (std::error_code ec; std::filesystem::is_directory(options_.file, ec)) {
            auto packed = pack_source_tree(options_);
            if (!packed) return packed.error();
            tree = std::move(packed).value();
        }
        std::uint32_t chunk_size = options_.chunk_size;
        std::error_code ec;
        if (tree) {
            chunk_size = tree->chunk_size;
        } else if (const std::uintmax_t bytes = std::filesystem::file_size(options_.file, ec); !ec) {
            chunk_size = chosen_chunk_size(options_, bytes);
            if (auto room = check_room(options_, bytes, Source::file); !room) return room.error();
        }
        auto splitter = Splitter::open(tree ? tree->stream : options_.file, chunk_size, store_);
        if (!splitter) return splitter.error();
        server_ = std::make_unique<net::ChunkServer>(&loop_, context());
        // Bound before anything is hashed, so a port in use is reported at once.
        if (auto listening = server_->listen(options_.bind); !listening) {
            return listening.error();
        }
        log::event(
            "listening", {{"port", server_->port()}, {"peers", peer_slots()}},
            "listening on {}:{} for {} peer(s); chunk i belongs to the share of slot i mod {}, dealt as its peer "
            "draws it",
            options_.bind.host, server_->port(), peer_slots(), peer_slots());
        log::flush();  // peers may be started on this line (the swarm launcher does): not in 50 ms
        if (auto serving = store_.serve_from_joined(splitter->source(), splitter->manifest().chunk_size); !serving) {
            return serving.error();
        }
        if (auto started = start_serving(splitter.value(), tree ? &*tree : nullptr); !started) {
            return started.error();
        }
        uv_run(&loop_, UV_RUN_DEFAULT);
        hashing_.reset();  // done already, unless the run ended early: the splitter goes next
        if (failure_) return *failure_;
        if (!chunk_files_) return {};
        if (!chunk_files_->done()) log::info("waiting for the last chunk files to be written");
        chunk_files_->finish();
        return {};
    }

    // Serving starts with no chunk hashed: sessions get the hashes, and are dealt chunks, as the
    // hashing proceeds (on_hashes).
    Result<void> start_serving(Splitter& splitter, const SourceTree* tree)
    {
        manifest_ = splitter.manifest();  // before any hasher writes into it
        manifest_->chunk_sha256.clear();
        if (tree) {
            manifest_->file_name = source_name(options_.file);
            manifest_->tree = tree->entries;
        }
        splitter_ = &splitter;
        hash_started_ = std::chrono::steady_clock::now();
        clock_.emplace(kRosterPeriodMs, kStallSlackMs, uv_now(&loop_));
        const RosterTiming timing{.give_up_ms = std::uint64_t{options_.settings.give_up_s} * 1000,
                                  .lost_ms = std::uint64_t{options_.settings.neighbor_gone_s} * 1000};
        ledger_.emplace(options_.peer_ids.empty() ? SlotTable::by_join_order(options_.peer_count)
                                                  : SlotTable::fixed(options_.peer_ids),
                        manifest_->chunk_count, timing, options_.settings.owner_request_window, now_ms());
        server_->set_manifest(&*manifest_);
        metrics_.at(metrics::family::chunks_in_file).set(manifest_->chunk_count);
        metrics_.at(metrics::family::chunks_held).set(manifest_->chunk_count);
        set_state("serving");
        log::info("serving {} as its chunks are hashed ({} chunks; each is offered once it and those before it are)",
                  options_.file.string(), manifest_->chunk_count);
        // Checked once a second: an absent peer is given up on in whole seconds anyway.
        roster_timer_->start(
            kRosterPeriodMs, [this] { review_roster(); }, kRosterPeriodMs);
        hashing_.emplace(&loop_, splitter, [this] { on_hashes(); });
        if (!hashing_->running()) return make_error("cannot wake the owner's event loop from its hashing threads");
        return {};
    }

    void on_hashes()
    {
        if (!hashing_) return;
        if (auto failed = hashing_->failure()) {
            stop_with(make_error("cannot hash " + options_.file.string() + ": " + failed->message));
            return;
        }
        const std::uint32_t hashed = hashing_->hashed();
        if (hashed <= manifest_->hashed()) return;
        const auto& all = splitter_->manifest().chunk_sha256;
        manifest_->chunk_sha256.insert(manifest_->chunk_sha256.end(), all.begin() + manifest_->hashed(),
                                       all.begin() + hashed);
        ledger_->set_hashed(hashed, manifest_->whole() ? OwnerLedger::Hashing::done : OwnerLedger::Hashing::ongoing);
        server_->hashes_grew();
        if (manifest_->whole()) on_whole_manifest();
    }

    // The run cannot go on: every client is closed and the owner exits 1 with `error`.
    void stop_with(Error error)
    {
        if (failure_) return;
        failure_ = std::move(error);
        if (hashing_) hashing_->stop();
        roster_timer_->close();
        server_->close();
    }

    void on_whole_manifest()
    {
        hashing_->stop();
        if (auto saved = save_split(options_, store_, *manifest_, hash_started_); !saved) {
            stop_with(saved.error());
            return;
        }
        if (options_.settings.keep_chunk_files) {
            chunk_files_.emplace(*splitter_, store_);
        }
        // Otherwise, the fast layout: the owner serves from the file itself anyway, so chunk files
        // would only be written, never read, and it would stay on to finish them.
    }

    net::ServerContext context()
    {
        net::ServerContext context;
        context.store = &store_;
        context.settings = options_.settings;
        context.max_sessions = session_cap(options_.settings, peer_slots());
        context.secret = options_.secret;
        context.tls = options_.tls;
        context.metrics = &metrics_;
        context.offered_for = [this](const Hello& hello) { return offered_for(hello); };
        // A "done" counts for the share only: a claim of the whole file is believed on the presence
        // connection, once proved (possession.hpp), so nobody who lacks the file can end the swarm.
        context.on_done = [this](const Hello& hello, const Done&) {
            on_progress(hello, ledger_->done(hello, OwnerLedger::Holds::its_share));
        };
        context.on_report = [this](const Hello& hello, const Report& report) {
            on_progress(hello, ledger_->report(hello, report, now_ms()));
            return ledger_->helper_hint(hello, report);
        };
        context.on_session_closed = [this](const Hello& hello) { ledger_->session_closed(hello, now_ms()); };
        context.on_session_opened = [this](const Hello& hello) {
            if (auto back = ledger_->session_opened(hello, now_ms())) {
                log::event("peer_back", {{"peer", hello.peer_id}}, "{}", *back);
                count_peers();
            }
        };
        context.on_heard = [this](const Hello& hello) {
            if (auto back = ledger_->heard_from(hello, now_ms())) {
                log::event("peer_back", {{"peer", hello.peer_id}}, "{}", *back);
                count_peers();
            }
        };
        // A source that cannot be read where the manifest says its chunks are would fail every
        // peer again and again: the owner stops and says why.
        context.on_unreadable = [this](ChunkId id, const std::string& why) {
            log::warn_event("source_unreadable", {{"chunk", id}}, "cannot read chunk {} of {}: {}", id,
                            options_.file.string(), why);
            stop_with(make_error("cannot read chunk " + to_string(id) + " of " + options_.file.string() + " (" + why +
                                 "): it was changed or truncated while being served, or the disk fails; "
                                 "start the owner again to serve it as it is now"));
        };
        // Sessions are admitted (and so deal) only once the manifest, and with it the dealer, exists.
        context.dealing = net::ServerContext::Dealing{
            .opened = [this](PeerId peer) { ledger_->dealing_opened(peer); },
            .deal = [this](PeerId peer, std::uint32_t count, DealFrom from) { return deal(peer, count, from); },
            .closed = [this](PeerId peer) { ledger_->dealing_closed(peer); },
        };
        return context;
    }

    Result<ChunkSet> offered_for(const Hello& hello)
    {
        auto offer = ledger_->offer(hello, now_ms());
        if (!offer) return offer.error();
        if (offer.value().rescue_note) {
            // "around": the gone peers it routes around ("3,2"), empty when no neighbour has what it lacks.
            std::string around;
            for (PeerId id : hello.skipped)
                around += (around.empty() ? "" : ",") + to_string(id);
            log::warn_event("rescue_offered",
                            {{"peer", hello.peer_id}, {"around", around}, {"count", offer.value().chunks.count()}},
                            "{}", *offer.value().rescue_note);
        }
        return std::move(offer.value().chunks);
    }

    std::vector<ChunkId> deal(PeerId peer_id, std::uint32_t count, DealFrom from)
    {
        OwnerLedger::Deal dealt = ledger_->deal(peer_id, count, from);
        for (Slot home : dealt.takeovers) {
            const std::string behind = ledger_->slot_name(home);
            log::event("share_extended", {{"peer", peer_id}, {"behind", behind}},
                       "peer {} has drawn its whole share, so it also draws from what is left of {}'s, the furthest "
                       "behind",
                       peer_id, behind);
        }
        return std::move(dealt.ids);
    }

    void on_progress(const Hello& hello, OwnerLedger::Progress progress)
    {
        if (progress.newly_complete) {
            log::event("peer_complete", {{"peer", hello.peer_id}, {"complete", ledger_->complete_count()}},
                       "peer {} holds the whole file; {} of {} peers complete", hello.peer_id,
                       ledger_->complete_count(), ledger_->slots());
        }
        if (progress.newly_served) {
            log::event("peer_served", {{"peer", hello.peer_id}, {"served", ledger_->served_count()}},
                       "peer {} holds its share; {} of {} peers served", hello.peer_id, ledger_->served_count(),
                       ledger_->slots());
        }
        leave_if_finished();
    }

    void review_roster()
    {
        for (Slot slot : ledger_->review(now_ms())) {
            const std::string name = ledger_->slot_name(slot);
            const bool lost = ledger_->was_lost(slot);
            const std::string why =
                lost ? fmt::format(
                           "gone (its connection dropped, or a neighbour found it gone) and not back within {} s",
                           options_.settings.neighbor_gone_s)
                     : fmt::format("absent or silent for {} s", options_.settings.give_up_s);
            log::event("peer_given_up", {{"peer", name}, {"reason", lost ? "lost" : "absent"}},
                       "gave up on {}: {}; what it had not drawn of its share goes to the others", name, why);
        }
        leave_if_finished();
    }

    void count_peers()
    {
        metrics_.at(metrics::family::peers_complete).set(ledger_->complete_count());
        metrics_.at(metrics::family::peers_given_up).set(ledger_->given_up_count());
    }

    void leave_if_finished()
    {
        count_peers();
        if (!ledger_->finished() || options_.linger || leaving_) return;
        leaving_ = true;
        const std::string given_up = ledger_->given_up_names();
        log::event("swarm_whole", {{"complete", ledger_->complete_count()}, {"given_up", ledger_->given_up_count()}},
                   "{} of {} peers hold the whole file{}; the owner exits", ledger_->complete_count(), ledger_->slots(),
                   given_up.empty() ? "" : "; given up on: " + given_up);
        roster_timer_->close();
        server_->close();
    }

    const OwnerOptions& options_;
    metrics::Registry metrics_;
    ChunkStore store_;
    std::optional<Manifest> manifest_;
    std::optional<RunningClock> clock_;
    // Exists once the manifest does; sessions are admitted only from then on.
    std::optional<OwnerLedger> ledger_;
    bool leaving_ = false;
    std::optional<ChunkFilesBehind> chunk_files_;
    uv_loop_t loop_{};
    // While the chunks are hashed (the splitter lives through run_to_end()).
    Splitter* splitter_ = nullptr;
    std::optional<StreamedHashing> hashing_;
    std::chrono::steady_clock::time_point hash_started_;
    // Set when the run cannot go on (a chunk that cannot be read, a manifest that cannot be saved).
    std::optional<Error> failure_;
    std::optional<net::Timer> roster_timer_;
    std::unique_ptr<net::ChunkServer> server_;
};

}  // namespace

Result<void> run_owner(const OwnerOptions& options)
{
    if (auto ready = ensure_directory(options.data_dir); !ready) return ready.error();
    auto lock = DirectoryLock::acquire(options.data_dir);
    if (!lock) return lock.error();
    return build_and_run<OwnerNode>(options);
}

}  // namespace chunkswarm::owner

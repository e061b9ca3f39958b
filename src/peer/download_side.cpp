#include "download_side.hpp"

#include <algorithm>
#include <cassert>

#include "chunkswarm/disk/prove_possession.hpp"
#include "chunkswarm/log.hpp"
#include "download_kinds.hpp"

namespace chunkswarm::peer {
namespace {

// How often the download neighbour's rate is weighed against the best this peer has taken in.
constexpr std::uint64_t kSourceTickMs = 250;

// A peer with max_download_rate knows what it can take: a neighbour far below it is slow even
// when every source so far has been as slow. Measuring only what it had seen, the downstream of a
// slow upload never found it short (100 peers, 10 of them at 200 kB/s: no such downstream took a
// helper, and the swarm held 800 of 1311 chunks after 400 s).
HelperPolicy::Tuning helper_tuning(const Settings& settings)
{
    HelperPolicy::Tuning tuning;
    tuning.capacity_per_tick = settings.max_download_rate * kSourceTickMs / 1000;
    return tuning;
}

}  // namespace

DownloadSide::DownloadSide(PeerCore& core, UploadSide& upload)
    : core_(core),
      upload_(upload),
      route_(core.options().id, core.options().upstream),
      helper_policy_(helper_tuning(core.settings()))
{
}

void DownloadSide::start(Start start)
{
    owner_unreachable_ = start.owner_unreachable;
    share_held_ = start.share_held || start.owner_unreachable;
    summary_timer_ = std::make_unique<net::Timer>(thread_.loop());
    progress_timer_ = std::make_unique<net::Timer>(thread_.loop());
    source_timer_ = std::make_unique<net::Timer>(thread_.loop());
    source_timer_->start(
        kSourceTickMs, [this] { review_sources(); }, kSourceTickMs);
    // Running before the thread starts, it also keeps the loop alive for the task below.
    progress_timer_->start(
        1000, [this] { watch_progress(); }, 1000);
    thread_.post([this] { start_downloading(); });
    thread_.start();
}

void DownloadSide::join() { thread_.join(); }

void DownloadSide::stored_from_owner(ChunkId id)
{
    upload_.announce_soon();
    thread_.post([this, id] {
        tick_bytes_[static_cast<std::size_t>(Source::other)] += core_.manifest().chunk_length(id);
        note_stored(id, nullptr);
        write_summary_soon();
    });
}

void DownloadSide::share_held(std::size_t from_owner)
{
    thread_.post([this, from_owner] {
        share_held_ = true;
        if (auto written = core_.write_summary_now(); !written) {
            log::warn("{}", written.error().message);
            return;
        }
        core_.log_share_held(from_owner);
    });
}

void DownloadSide::expect(const std::vector<ChunkId>& ids)
{
    core_.inventory().expect(ids);
    upload_.announce_soon();
}

// What happens when a download neighbour dies: the client to it ends with ErrorCode::peer_gone
// (for neighbor_gone_s unreachable, silent without even a ping, or owing chunks it holds; or never
// reached within give_up_s), and the peer downloads from the next peer upstream instead (the gone one's own
// download neighbour, as the config says or that peer told), asking the owner at once for what
// only the gone peers held. With no peer upstream left, the owner is the upstream; without the
// owner either, the peer exits non-zero naming what it lacks.
void DownloadSide::start_downloading()
{
    assert(thread_.is_current());
    start_presence();
    if (!core_.inventory().snapshot().full()) {
        connect_upstream();
        return;
    }
    // Resumed whole: nothing to fetch, only the join (if not done yet) and the report.
    complete_here();
}

// Every chunk is held, and the upstream client cannot finish (resumed whole, or its peer went out
// of reach just as a helper or the owner brought the last chunk): the peer finishes here.
void DownloadSide::complete_here()
{
    assert(thread_.is_current());
    if (completed_) return;
    if (auto finished = finish_file_once(); !finished) {
        fail(finished.error());
        return;
    }
    on_complete();
}

// The first outcome stands: a join that failed is not retried and never reads as success.
Result<void> DownloadSide::finish_file_once()
{
    if (!file_finished_) {
        summary_timer_->stop();
        file_finished_ = core_.finish_file();
    }
    return *file_finished_;
}

void DownloadSide::connect_upstream()
{
    assert(thread_.is_current());
    const PeerRef* upstream = route_.current();
    net::ClientOptions options;
    net::ClientKind::Ask ask;
    if (upstream) {
        const Settings& s = core_.settings();
        options = core_.client_options_for(upstream->endpoint, upstream->label(), s.neighbor_connect_timeout_s);
        options.gone_after_s = s.neighbor_gone_s;
        // Neighbours start one at a time, so the first is waited for longer than a detour, but not
        // when it is tried again after a detour: it was up then.
        options.never_up_gone_after_s = route_.at_first() && !route_.ever_skipped() ? s.give_up_s : s.neighbor_gone_s;
        ask.skipped = route_.skipped();
    } else {
        options = core_.owner_client_options(2 * kBriefOwnerWaitS);
        ask.rescue = true;
    }
    upstream_ = std::make_unique<net::ChunkClient>(thread_.loop(), std::move(options),
                                                   std::make_unique<Neighbour>(*this, std::move(ask)));
    upstream_->start();
}

void DownloadSide::on_upstream_end(const Result<void>& result)
{
    assert(thread_.is_current());
    if (completed_) return;
    if (!result && core_.inventory().snapshot().full()) {
        log::info("{} is out of reach ({}), but every chunk is here already", upstream_label(), result.error().message);
        complete_here();
        return;
    }
    if (!result && result.error().code == ErrorCode::peer_gone) {
        reroute(result.error().message);
        return;
    }
    if (result) {
        on_complete();
        return;
    }
    Error error = result.error();
    if (downloading_from_owner()) {
        ChunkSet missing = ChunkSet::all(core_.manifest().chunk_count);
        for (ChunkId id : core_.inventory().snapshot().ids())
            missing.erase(id);
        error.message = "no peer upstream is left and the owner cannot help (" + error.message + "); lacking " +
                        std::to_string(missing.count()) + " chunk(s) [" + format_ids(missing.ids()) + "]";
    }
    fail(error);
}

void DownloadSide::reroute(const std::string& reason)
{
    assert(thread_.is_current());
    upstream_.reset();
    // Its peer may be the next upstream now: one connection to it is enough.
    drop_helpers("the route changes");
    const PeerRef* next = route_.skip();
    std::vector<PeerId> gone = route_.skipped();
    core_.metrics().at(metrics::family::reroutes).add(1);
    log::event("rerouted", {{"gone", "peer " + to_string(gone.back())}, {"to", upstream_label()}},
               "{}; it counts as gone: downloading from {} instead, and asking the owner for what only the gone "
               "peer(s) held",
               reason, next ? next->label() + " (the next peer upstream)" : "the owner (no peer upstream is left)");
    start_gone_rescue(gone);
    connect_upstream();
}

void DownloadSide::start_gone_rescue(const std::vector<PeerId>& gone)
{
    gone_rescue_ = std::make_unique<net::ChunkClient>(thread_.loop(), core_.owner_client_options(kBriefOwnerWaitS),
                                                      std::make_unique<GoneRescue>(*this, gone));
    gone_rescue_->start();
}

void DownloadSide::request_rescue(ChunkId id)
{
    if (rescue_wanted_.size() == 0) rescue_wanted_ = ChunkSet(core_.manifest().chunk_count);
    rescue_wanted_.insert(id);
    if (!rescue_) start_rescue();
}

// A client of the owner that asks for every chunk (hello with "rescue") but holds all the others,
// so it requests exactly the ones given up on.
void DownloadSide::start_rescue()
{
    log::info("fetching chunk(s) [{}] from the owner, as {} keeps sending them damaged",
              format_ids(rescue_wanted_.ids()), upstream_label());
    rescue_ = std::make_unique<net::ChunkClient>(thread_.loop(), core_.owner_client_options(kBriefOwnerWaitS),
                                                 std::make_unique<DamagedRescue>(*this));
    rescue_->start();
}

void DownloadSide::on_rescue_end(const Result<void>& result)
{
    // The client is still on the stack here; let it go on the next turn of the loop.
    thread_.post([this, result] {
        rescue_.reset();
        if (!result) {
            std::string reason =
                "chunk(s) [" + format_ids(rescue_wanted_.ids()) + "] cannot be had: " + upstream_label() +
                " keeps sending them damaged, and the owner could not help (" + result.error().message + ")";
            if (upstream_) upstream_->abort(reason);
            return;
        }
        if (!rescue_wanted_.empty()) start_rescue();
    });
}

// Once a second. A peer that has stored nothing for a while on a detour goes back to its download
// neighbour: it may be back, holding what nobody else has (the owner deals a returning peer the
// rest of its share, and only its downstream asks it for anything). Stalled again, or with its own
// neighbour, it asks the owner for everything it lacks, and gives up (naming what it lacks) if the
// owner cannot help either. "A while" is give_up_s, as neighbours may start late; once the route
// has changed it is twice neighbor_gone_s (at most give_up_s): peers have been seen to go, and
// the one that came back may leave again once complete (idle_exit_s).
void DownloadSide::watch_progress()
{
    const std::uint64_t now = uv_now(thread_.loop());
    const std::uint32_t count = core_.inventory().snapshot().count();
    if (count != last_progress_count_ || last_progress_ms_ == 0) {
        last_progress_count_ = count;
        last_progress_ms_ = now;
        stalls_ = 0;
        return;
    }
    if (!upstream_ || downloading_from_owner()) return;  // the owner client ends the peer if the owner is gone
    // An upstream that has not answered yet is the route's business (gone after
    // never_up_gone_after_s): going back meanwhile raced the next reroute, past a second dead peer.
    if (!upstream_->ever_answered()) {
        last_progress_ms_ = now;
        return;
    }
    const Settings& s = core_.settings();
    const bool go_back = stalls_ == 0 && !route_.at_first();
    const std::uint32_t stall_s = route_.ever_skipped() ? std::min(s.give_up_s, 2 * s.neighbor_gone_s) : s.give_up_s;
    if (now < last_progress_ms_ + std::uint64_t{stall_s} * 1000) return;
    last_progress_ms_ = now;
    upstream_.reset();
    ++stalls_;
    if (go_back) {
        route_.restart();
        log::warn("no chunk has arrived for {} s; trying {} again, as it may be back", stall_s, upstream_label());
    } else {
        while (route_.current())
            (void)route_.skip();
        log::warn("no chunk has arrived for {} s; fetching what is missing from the owner", stall_s);
    }
    connect_upstream();
}

void DownloadSide::on_complete()
{
    assert(thread_.is_current());
    if (completed_) return;
    completed_ = true;
    upload_.self_complete();
    report_complete();
}

// The owner learns from these reports that this peer is alive, and from the link dropping, within
// seconds, that it is not.
void DownloadSide::start_presence()
{
    const PeerOptions& options = core_.options();
    net::PresenceOptions link{options.id, options.owner, options.secret, options.settings, options.tls};
    presence_ = std::make_unique<net::PresenceLink>(
        thread_.loop(), std::move(link), [this] { return presence_report(); },
        [this](const Nonce& nonce) {
            return disk::prove_possession(core_.store(), core_.manifest(), nonce, core_.options().id);
        },
        [this](std::vector<PeerId> helpers) { hinted_helpers_ = std::move(helpers); });
    presence_->start();
}

Report DownloadSide::presence_report()
{
    assert(thread_.is_current());
    Report report{.deal_first = heads_chain(), .have = core_.inventory().snapshot()};
    report.held = report.have->count();
    const std::uint64_t now = uv_now(thread_.loop());
    const std::uint64_t sent = static_cast<std::uint64_t>(core_.sent_total().get());
    const std::uint64_t cap = core_.settings().max_upload_rate;
    if (cap > 0 && report_ms_ > 0 && now > report_ms_) {
        const std::uint64_t rate = (sent - sent_at_report_) * 1000 / (now - report_ms_);
        report.spare_permille = static_cast<std::uint32_t>(1000 - std::min<std::uint64_t>(1000, rate * 1000 / cap));
    }
    sent_at_report_ = sent;
    report_ms_ = now;
    return report;
}

// The owner stays until every peer is complete or given up on; the last report tells it one more
// is. An owner the bootstrap could not reach is not waited for.
void DownloadSide::report_complete()
{
    // An owner the bootstrap never reached is waited for only if the reports did reach it.
    const bool wait = !owner_unreachable_ || presence_->up();
    const std::uint64_t wait_ms = wait ? std::uint64_t{kBriefOwnerWaitS} * 1000 : 0;
    presence_->finish(wait_ms, [this](bool told) {
        if (told) {
            log::info("told the owner this peer holds the whole file");
        } else if (!owner_unreachable_) {
            log::info("could not tell the owner this peer is complete; it has probably left");
        }
        thread_.post([this] { end(); });
    });
}

void DownloadSide::fail(Error error)
{
    core_.record_failure(error);
    upload_.stop();
    end();
}

// Closes what keeps the loop running; the loop (and its thread) ends after that.
void DownloadSide::end()
{
    assert(thread_.is_current());
    summary_timer_->close();
    progress_timer_->close();
    source_timer_->close();
    helpers_.clear();
    upstream_.reset();
    gone_rescue_.reset();
    rescue_.reset();
    presence_.reset();
}

// Four times a second: whether the download neighbour is slow enough that a helper is worth it,
// or fast again (HelperPolicy). Only a peer neighbour is weighed: the owner is the last resort.
void DownloadSide::review_sources()
{
    assert(thread_.is_current());
    // A quarter of a window asked for by the neighbour and not there yet: a backlog.
    const std::uint32_t backlog = std::max<std::uint32_t>(1, core_.settings().request_window / 4);
    const HelperPolicy::Tick tick{
        .neighbour_bytes = tick_bytes_[0],
        .helper_bytes = tick_bytes_[1],
        .other_bytes = tick_bytes_[2],
        .lacking = core_.inventory().held_count() < core_.manifest().chunk_count,
        .neighbour_owes = upstream_ && upstream_->owes_answers(),
        .neighbour_gained_bytes =
            upstream_ ? std::uint64_t{upstream_->take_remote_gains()} * core_.manifest().chunk_size : 0,
        .neighbour_waits = upstream_ && upstream_->waits_for(backlog),
        .owner_dealing = !share_held_};
    tick_bytes_ = {};
    // A neighbour that has never answered is not slow but absent: routing around it is the
    // route's business (never_up_gone_after_s), and it may still be taking its first chunk.
    if (!core_.settings().helpers || !upstream_ || downloading_from_owner() || !upstream_->ever_answered()) return;
    switch (helper_policy_.tick(tick)) {
        case HelperPolicy::Advice::start: start_helper(tick.neighbour_owes); break;
        case HelperPolicy::Advice::drop:
            drop_helpers(tick.lacking ? upstream_label() + " keeps up again" : "this peer holds every chunk");
            break;
        case HelperPolicy::Advice::keep: break;
    }
}

std::string DownloadSide::why_helper(bool owes, bool owner) const
{
    const HelperPolicy::Tuning tuning;
    const double tick_s = kSourceTickMs / 1000.0;
    const std::string rate_and_window =
        fmt::format("the {:.1f} MB/s this peer has taken in at best, over the last {:.2f} s",
                    helper_policy_.best_tick_bytes() / tick_s / 1e6,
                    tick_s * (helper_policy_.window_ticks() + tuning.slow_ticks - 1));
    const auto percent = [](double share) { return static_cast<int>(share * 100 + 0.5); };
    if (!owes)
        return fmt::format("{} delivers too little (under {} % of {}) and gains chunks slowly itself (a slow download)",
                           upstream_label(), percent(tuning.slow_share), rate_and_window);
    if (helpers_.empty())
        return fmt::format("{} delivers too little (under {} % of {}) and owes chunks it holds (a slow upload)",
                           upstream_label(), percent(tuning.owing_share), rate_and_window);
    // The owner comes on either count (HelperPolicy::tick), a peer only on the second.
    if (owner)
        return fmt::format(
            "{} owes chunks it holds and delivers too little, alone (under {} %) or with the {} helper(s) it has "
            "(under {} % of {})",
            upstream_label(), percent(tuning.owing_share), helpers_.size(), percent(tuning.more_share),
            rate_and_window);
    return fmt::format(
        "{} owes chunks it holds, and it and the {} helper(s) it has deliver too little together "
        "(under {} % of {})",
        upstream_label(), helpers_.size(), percent(tuning.more_share), rate_and_window);
}

void DownloadSide::start_helper(bool owes)
{
    const bool owner = helper_policy_.helper() == HelperPolicy::Helper::owner;
    const PeerRef* next = owner ? nullptr : next_helper_peer();
    if (!owner && !next) {
        helper_policy_.ended(HelperPolicy::Helper::peer, HelperPolicy::End::no_fault);  // no peer further up is known
        return;
    }
    const Settings& s = core_.settings();
    net::ClientOptions options;
    if (next) {
        options = core_.client_options_for(next->endpoint, next->label(), s.neighbor_connect_timeout_s);
        options.gone_after_s = s.neighbor_gone_s;
        options.never_up_gone_after_s = s.neighbor_gone_s;
    } else {
        options = core_.owner_client_options(kBriefOwnerWaitS);
    }
    // A helper on a capped host gets only what its ring leaves, and may get nothing for a while:
    // a short window keeps few chunks waiting there that another source could send.
    options.settings.request_window = std::max<std::uint32_t>(2, s.request_window / 4);
    const std::string label = next ? next->label() : "the owner";
    const bool hinted =
        next && std::find(hinted_helpers_.begin(), hinted_helpers_.end(), next->id) != hinted_helpers_.end();
    log::event("helper_added",
               {{"to", label},
                {"neighbour", upstream_label()},
                {"neighbour_owes", owes},
                {"helpers", helpers_.size() + 1},
                {"hinted", hinted}},
               "{}; also downloading from {}{}, each chunk asked of one source only", why_helper(owes, owner), label,
               hinted ? " (the owner's hint: it holds chunks this peer lacks, and upload to spare)" : "");
    const std::uint64_t generation = ++helper_generation_;
    auto client = std::make_unique<net::ChunkClient>(thread_.loop(), std::move(options),
                                                     std::make_unique<Helper>(*this, owner, generation));
    net::ChunkClient& started = *client;
    helpers_.push_back(HelperSlot{.client = std::move(client),
                                  .which = owner ? HelperPolicy::Helper::owner : HelperPolicy::Helper::peer,
                                  .peer = next ? std::optional(next->id) : std::nullopt,
                                  .label = label,
                                  .generation = generation,
                                  .neighbour_owed = owes});
    started.start();
    // What is requested of the slow neighbour waits there; fewer at once leaves more to the helpers.
    upstream_->set_window(std::max<std::uint32_t>(1, s.request_window / 4));
}

const PeerRef* DownloadSide::next_helper_peer() const
{
    // Not this peer's own upload neighbour, the last one round the ring: it takes what it has from
    // this peer, and helping here would take from the upload it needs to pass the file on.
    const std::optional<PeerId> downstream = core_.options().upload_neighbor;
    for (PeerId id : hinted_helpers_) {
        const PeerRef* peer = route_.beyond_current(id);
        if (peer && peer->id != downstream && !is_helping(id)) return peer;
    }
    for (std::size_t n = 1;; ++n) {
        const PeerRef* peer = route_.after_current(n);
        if (!peer || peer->id == downstream) return nullptr;
        if (!is_helping(peer->id)) return peer;
    }
}

bool DownloadSide::is_helping(PeerId peer) const
{
    return std::any_of(helpers_.begin(), helpers_.end(), [peer](const HelperSlot& slot) { return slot.peer == peer; });
}

// What the helpers had in flight is asked of the neighbour from now on.
void DownloadSide::drop_helpers(const std::string& why)
{
    helper_policy_.stopped();
    hinted_helpers_.clear();  // the owner hints only while this peer heads a chain
    if (helpers_.empty()) return;
    for (const HelperSlot& slot : helpers_)
        log_helper_dropped(slot, why);
    helpers_.clear();
    if (!upstream_) return;
    upstream_->set_window(core_.settings().request_window);
    upstream_->poke();
}

void DownloadSide::on_helper_end(std::uint64_t generation, const Result<void>& result)
{
    auto slot = std::find_if(helpers_.begin(), helpers_.end(),
                             [generation](const HelperSlot& s) { return s.generation == generation; });
    if (slot == helpers_.end()) return;  // dropped already
    if (!result) log_helper_dropped(*slot, result.error().message);
    const HelperPolicy::Helper which = slot->which;
    helpers_.erase(slot);
    helper_policy_.ended(which, result ? HelperPolicy::End::no_fault : HelperPolicy::End::failed);
    if (!helpers_.empty() || !upstream_) return;
    upstream_->set_window(core_.settings().request_window);
    upstream_->poke();
}

void DownloadSide::log_helper_dropped(const HelperSlot& slot, const std::string& why) const
{
    log::event("helper_dropped", {{"from", slot.label}}, "no longer downloading from {} beside {}: {}", slot.label,
               upstream_label(), why);
}

bool DownloadSide::heads_chain() const
{
    return std::any_of(helpers_.begin(), helpers_.end(), [](const HelperSlot& slot) { return slot.neighbour_owed; });
}

bool DownloadSide::helper_requested(ChunkId id, const net::ChunkClient* except) const
{
    return std::any_of(helpers_.begin(), helpers_.end(), [id, except](const HelperSlot& slot) {
        return slot.client.get() != except && slot.client->requested(id);
    });
}

Result<void> DownloadSide::store_chunk(ChunkId id, std::span<const std::uint8_t> bytes, Source source,
                                       const net::ChunkClient* via)
{
    tick_bytes_[static_cast<std::size_t>(source)] += bytes.size();
    CS_TRY(core_.store_chunk(id, bytes));
    core_.inventory().add(id);
    note_stored(id, via);
    write_summary_soon();
    upload_.announce_soon();
    return {};
}

void DownloadSide::note_stored(ChunkId id, const net::ChunkClient* via)
{
    for (net::ChunkClient* client : {upstream_.get(), gone_rescue_.get(), rescue_.get()})
        if (client && client != via) client->note_stored_elsewhere(id);
    for (const HelperSlot& slot : helpers_)
        if (slot.client.get() != via) slot.client->note_stored_elsewhere(id);
}

void DownloadSide::write_summary_soon()
{
    if (summary_timer_->active()) return;
    summary_timer_->start(core_.settings().summary_interval_ms, [this] {
        if (auto written = core_.write_summary_now(); !written) log::warn("{}", written.error().message);
    });
}

}  // namespace chunkswarm::peer

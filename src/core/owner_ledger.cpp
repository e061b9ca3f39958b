#include "chunkswarm/core/owner_ledger.hpp"

#include <algorithm>

namespace chunkswarm {
namespace {

SessionKind kind_of(const Hello& hello) { return hello.presence ? SessionKind::presence : SessionKind::chunks; }

}  // namespace

OwnerLedger::OwnerLedger(SlotTable slots, std::uint32_t chunk_count, RosterTiming timing, std::uint32_t owner_window,
                         std::uint64_t now_ms)
    : slots_(std::move(slots)),
      dealer_(slots_.slots(), chunk_count),
      roster_(slots_.slots(), timing, now_ms),
      chunk_count_(chunk_count),
      owner_window_(owner_window)
{
    dealer_.set_dealable(0);
}

void OwnerLedger::set_hashed(std::uint32_t hashed, Hashing hashing)
{
    dealer_.set_dealable(hashed);
    whole_ = hashing == Hashing::done;
}

Result<OwnerLedger::Offer> OwnerLedger::offer(const Hello& hello, std::uint64_t now_ms)
{
    auto slot = slots_.slot_for(hello.peer_id);
    if (!slot) return slot.error();
    if (hello.presence) return Offer{ChunkSet(chunk_count_), std::nullopt};
    if (hello.rescue && !hello.skipped.empty()) {
        std::string note;
        ChunkSet chunks = rescue_for_gone(slot.value(), hello.skipped, now_ms, note);
        return Offer{std::move(chunks), std::move(note)};
    }
    if (hello.rescue) {
        return Offer{ChunkSet::all(chunk_count_), "peer " + to_string(hello.peer_id) +
                                                      " asks for chunks no neighbour can give it; offering it "
                                                      "every chunk"};
    }
    return Offer{dealer_.dealt(slot.value()), std::nullopt};
}

// Only the gone peers held what they were dealt and had not passed on (each chunk is dealt once
// and travels downstream from there, through the peer that now routes around them), and nobody
// holds what they had not drawn yet: all of it is offered, and the rest dealt, to the peer in
// their place.
ChunkSet OwnerLedger::rescue_for_gone(Slot slot, const std::vector<PeerId>& gone, std::uint64_t now_ms,
                                      std::string& note)
{
    ChunkSet offered(chunk_count_);
    std::string names;
    for (PeerId gone_id : gone) {
        auto gone_slot = slots_.known_slot(gone_id);
        names += (names.empty() ? "" : ", ") + ("peer " + to_string(gone_id));
        if (!gone_slot || *gone_slot == slot) continue;
        roster_.reported_gone(*gone_slot, now_ms);
        for (ChunkId id : dealer_.take_over(*gone_slot, slot))
            offered.insert(id);
        for (ChunkId id : dealer_.dealt(*gone_slot).ids())
            offered.insert(id);
    }
    note = slot_name(slot) + " routes around " + names + " (gone); offering it the " + std::to_string(offered.count()) +
           " chunk(s) dealt to them, which may exist nowhere else";
    return offered;
}

std::optional<std::string> OwnerLedger::session_opened(const Hello& hello, std::uint64_t now_ms)
{
    auto slot = slots_.known_slot(hello.peer_id);
    if (!slot || !roster_.session_opened(*slot, now_ms, kind_of(hello))) return std::nullopt;
    return "peer " + to_string(hello.peer_id) + ", given up on before, is back; it is waited for again";
}

void OwnerLedger::session_closed(const Hello& hello, std::uint64_t now_ms)
{
    auto slot = slots_.known_slot(hello.peer_id);
    if (!slot) return;
    roster_.session_closed(*slot, now_ms, kind_of(hello));
    if (hello.presence) hints_.forget(hello.peer_id);
}

std::optional<std::string> OwnerLedger::heard_from(const Hello& hello, std::uint64_t now_ms)
{
    auto slot = slots_.known_slot(hello.peer_id);
    if (!slot || !roster_.heard_from(*slot, now_ms)) return std::nullopt;
    return "peer " + to_string(hello.peer_id) + ", given up on as silent, talks again; it is waited for again";
}

void OwnerLedger::dealing_opened(PeerId peer)
{
    if (auto slot = slots_.known_slot(peer)) dealer_.session_opened(*slot);
}

void OwnerLedger::dealing_closed(PeerId peer)
{
    if (auto slot = slots_.known_slot(peer)) dealer_.session_closed(*slot);
}

OwnerLedger::Deal OwnerLedger::deal(PeerId peer, std::uint32_t count, DealFrom from)
{
    Deal deal;
    auto slot = slots_.known_slot(peer);
    if (!slot) return deal;
    // While the chunks are hashed, a peer gets its first window and no more: the hashing keeps the
    // cores, and the peers, which trade once every hash is in, start with a window held.
    if (!whole_) count = std::min(count, owner_window_ - std::min(owner_window_, dealer_.dealt(*slot).count()));
    deal.ids = dealer_.deal(*slot, count, from);
    for (ChunkId id : deal.ids) {
        const Slot home = dealer_.home_slot(id);
        if (home != *slot && takeovers_told_.insert({*slot, home}).second) deal.takeovers.push_back(home);
    }
    return deal;
}

OwnerLedger::Progress OwnerLedger::done(const Hello& hello, Holds holds)
{
    Progress progress;
    auto slot = slots_.known_slot(hello.peer_id);
    if (!slot) return progress;
    if (holds == Holds::whole_file && !roster_.is_complete(*slot)) {
        roster_.complete(*slot);
        progress.newly_complete = true;
    }
    if (!hello.rescue && !hello.presence && slots_.mark_served(hello.peer_id)) {
        roster_.share_held(*slot);
        progress.newly_served = true;
    }
    return progress;
}

OwnerLedger::Progress OwnerLedger::report(const Hello& hello, const Report& report, std::uint64_t now_ms)
{
    (void)heard_from(hello, now_ms);  // the server's on_heard has told the owner already
    if (!slots_.known_slot(hello.peer_id)) return {};
    const bool complete = report.complete && report.held == chunk_count_;
    if (complete) {
        hints_.forget(hello.peer_id);  // it leaves once its downstream holds the file
    } else {
        hints_.update(hello.peer_id, report.have, report.spare_permille);
    }
    return complete ? done(hello, Holds::whole_file) : Progress{};
}

std::optional<Hint> OwnerLedger::helper_hint(const Hello& hello, const Report& report)
{
    if (!slots_.known_slot(hello.peer_id) || report.complete) return std::nullopt;
    if (!report.deal_first) {
        hints_.not_heading(hello.peer_id);
        return std::nullopt;
    }
    return Hint{hints_.hint(hello.peer_id)};
}

std::vector<Slot> OwnerLedger::review(std::uint64_t now_ms)
{
    std::vector<Slot> due = roster_.give_up_due(now_ms);
    for (Slot slot : due)
        dealer_.release(slot);
    return due;
}

std::string OwnerLedger::slot_name(Slot slot) const
{
    auto peer = slots_.peer_in(slot);
    return peer ? "peer " + to_string(*peer) : "slot " + to_string(slot) + " (no peer joined)";
}

std::string OwnerLedger::given_up_names() const
{
    std::string names;
    for (Slot slot : ids_below<Slot>(slots_.slots()))
        if (roster_.is_given_up(slot)) names += (names.empty() ? "" : ", ") + slot_name(slot);
    return names;
}

}  // namespace chunkswarm

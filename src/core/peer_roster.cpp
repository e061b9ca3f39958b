#include "chunkswarm/core/peer_roster.hpp"

namespace chunkswarm {

PeerRoster::PeerRoster(std::uint32_t slots, RosterTiming timing, std::uint64_t now_ms) : slots_(slots), timing_(timing)
{
    for (SlotState& slot : slots_)
        slot.absent_since = now_ms;  // until its peer first connects
}

bool PeerRoster::session_opened(Slot slot, std::uint64_t now_ms, SessionKind kind)
{
    const bool presence = kind == SessionKind::presence;
    SlotState& s = slots_.at(slot.value());
    ++(presence ? s.presence : s.open_sessions);
    s.absent_since.reset();
    if (presence) s.lost = false;
    s.last_heard = now_ms;
    const bool taken_back = s.given_up && !s.complete;
    s.given_up = false;
    return taken_back;
}

bool PeerRoster::heard_from(Slot slot, std::uint64_t now_ms)
{
    SlotState& s = slots_.at(slot.value());
    s.last_heard = now_ms;
    // Given up on as silent (paused past give_up_ms) and talking again: it is back.
    const bool taken_back = s.given_up && !s.complete && s.connected();
    if (taken_back) s.given_up = false;
    return taken_back;
}

void PeerRoster::session_closed(Slot slot, std::uint64_t now_ms, SessionKind kind)
{
    const bool presence = kind == SessionKind::presence;
    SlotState& s = slots_.at(slot.value());
    std::uint32_t& open = presence ? s.presence : s.open_sessions;
    if (open > 0) --open;
    if (s.complete) return;
    // A presence drops at once when its process dies (whichever of its sockets the owner reads
    // first); a peer that lives reconnects within seconds.
    if (presence && s.presence == 0) s.lost = true;
    if (s.connected()) return;
    if (!s.absent_since) s.absent_since = now_ms;
}

void PeerRoster::share_held(Slot slot) { slots_.at(slot.value()).share_held = true; }

void PeerRoster::complete(Slot slot)
{
    SlotState& s = slots_.at(slot.value());
    s.complete = true;
    s.share_held = true;
    s.given_up = false;
    s.absent_since.reset();
}

void PeerRoster::reported_gone(Slot slot, std::uint64_t now_ms)
{
    SlotState& s = slots_.at(slot.value());
    if (s.settled() || s.presence > 0) return;  // it reports to the owner: alive, whatever its link
    s.lost = true;
    if (!s.absent_since) s.absent_since = now_ms;
}

std::vector<Slot> PeerRoster::give_up_due(std::uint64_t now_ms)
{
    std::vector<Slot> due;
    for (Slot slot : ids_below<Slot>(slot_count())) {
        SlotState& s = slots_[slot.value()];
        if (s.settled()) continue;
        const bool silent = s.connected() && now_ms >= s.last_heard + timing_.give_up_ms;
        const std::uint64_t wait = s.lost ? timing_.lost_ms : timing_.give_up_ms;
        const bool absent = !s.connected() && s.absent_since && now_ms >= *s.absent_since + wait;
        if (silent || absent) {
            s.given_up = true;
            due.push_back(slot);
        }
    }
    return due;
}

bool PeerRoster::finished() const
{
    for (const SlotState& s : slots_)
        if (!s.settled()) return false;
    return true;
}

std::uint32_t PeerRoster::complete_count() const
{
    std::uint32_t n = 0;
    for (const SlotState& s : slots_)
        n += s.complete ? 1 : 0;
    return n;
}

std::uint32_t PeerRoster::given_up_count() const
{
    std::uint32_t n = 0;
    for (const SlotState& s : slots_)
        n += s.given_up ? 1 : 0;
    return n;
}

}  // namespace chunkswarm

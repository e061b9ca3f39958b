#include "chunkswarm/peer_roster.hpp"

namespace chunkswarm {

PeerRoster::PeerRoster(std::uint32_t slots, std::uint64_t give_up_ms, std::uint64_t now_ms)
    : slots_(slots),
      give_up_ms_(give_up_ms)
{
    for (Slot& slot : slots_)
        slot.absent_since = now_ms;  // until its peer first connects
}

void PeerRoster::session_opened(std::uint32_t slot, std::uint64_t now_ms)
{
    Slot& s = slots_.at(slot);
    ++s.open_sessions;
    s.absent_since.reset();
    s.last_heard = now_ms;
}

void PeerRoster::heard_from(std::uint32_t slot, std::uint64_t now_ms)
{
    Slot& s = slots_.at(slot);
    s.last_heard = now_ms;
    if (s.open_sessions > 0) s.absent_since.reset();
}

void PeerRoster::session_closed(std::uint32_t slot, std::uint64_t now_ms)
{
    Slot& s = slots_.at(slot);
    if (s.open_sessions > 0) --s.open_sessions;
    // After its share a peer trades with its neighbours and has no reason to stay connected here.
    if (s.open_sessions == 0 && !s.share_held && !s.absent_since) s.absent_since = now_ms;
}

void PeerRoster::share_held(std::uint32_t slot) { slots_.at(slot).share_held = true; }

void PeerRoster::complete(std::uint32_t slot)
{
    Slot& s = slots_.at(slot);
    s.complete = true;
    s.share_held = true;
    s.absent_since.reset();
}

void PeerRoster::reported_gone(std::uint32_t slot, std::uint64_t now_ms)
{
    Slot& s = slots_.at(slot);
    if (!s.settled() && !s.absent_since) s.absent_since = now_ms;
}

bool PeerRoster::others_settled(std::uint32_t slot) const
{
    for (std::uint32_t i = 0; i < slots_.size(); ++i)
        if (i != slot && !slots_[i].settled()) return false;
    return true;
}

std::vector<std::uint32_t> PeerRoster::give_up_due(std::uint64_t now_ms)
{
    std::vector<std::uint32_t> due;
    for (std::uint32_t i = 0; i < slots_.size(); ++i) {
        Slot& s = slots_[i];
        if (s.settled()) continue;
        // Nobody else needs anything: a peer that is not connected is waited for give_up_ms more.
        if (!s.absent_since && s.open_sessions == 0 && others_settled(i)) s.absent_since = now_ms;
        const bool silent = s.open_sessions > 0 && now_ms >= s.last_heard + give_up_ms_;
        if (silent || (s.absent_since && now_ms >= *s.absent_since + give_up_ms_)) {
            s.given_up = true;
            due.push_back(i);
        }
    }
    return due;
}

bool PeerRoster::finished() const
{
    for (const Slot& s : slots_)
        if (!s.settled()) return false;
    return true;
}

std::uint32_t PeerRoster::complete_count() const
{
    std::uint32_t n = 0;
    for (const Slot& s : slots_)
        n += s.complete ? 1 : 0;
    return n;
}

}  // namespace chunkswarm

// What the owner knows of each share slot's peer: connected or not, reporting or not, holding its
// share, complete, or given up on. It decides when a peer is given up on, so the owner stays
// exactly as long as a live peer may still need a chunk only it can supply. Plain state, time
// passed in (the owner's running time: its own stalls are left out, see RunningClock).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "chunkswarm/core/ids.hpp"

namespace chunkswarm {

struct RosterTiming {
    // An absent peer (never connected, or not connected and not reporting) is waited for this
    // long, and a connected one that sends nothing at all is given up on after it too.
    std::uint64_t give_up_ms = 60'000;
    // A peer whose presence connection dropped (a process that died closes it at once), or that a
    // neighbour reports gone while it has none open, is waited for this long to come back.
    std::uint64_t lost_ms = 5'000;
};

// A peer's sessions with the owner: for chunks, or the one that carries its reports (presence).
enum class SessionKind { chunks, presence };

class PeerRoster {
public:
    PeerRoster(std::uint32_t slots, RosterTiming timing, std::uint64_t now_ms);

    // A session of the slot's peer opened. Returns true if the peer had been given up on: it is taken back.
    bool session_opened(Slot slot, std::uint64_t now_ms, SessionKind kind = SessionKind::chunks);
    // A frame from the slot's peer. Returns true if it had been given up on (as silent): it is
    // taken back.
    bool heard_from(Slot slot, std::uint64_t now_ms);
    void session_closed(Slot slot, std::uint64_t now_ms, SessionKind kind = SessionKind::chunks);
    void share_held(Slot slot);
    void complete(Slot slot);
    // A neighbour routes around this slot's peer: unless it is reporting, it is lost from now.
    void reported_gone(Slot slot, std::uint64_t now_ms);

    // Slots given up on at `now_ms` (each once): absent for give_up_ms (never connected, or with
    // no session and no presence), lost for lost_ms (its presence dropped, or reported gone), or
    // connected but silent for give_up_ms (a paused process, or one behind a cut link, whose
    // connection stays open).
    std::vector<Slot> give_up_due(std::uint64_t now_ms);
    // Every slot complete or given up on.
    bool finished() const;
    bool is_complete(Slot slot) const { return slots_.at(slot.value()).complete; }
    bool is_given_up(Slot slot) const { return slots_.at(slot.value()).given_up; }
    // Given up on because its presence dropped or it was reported gone (not merely absent).
    bool was_lost(Slot slot) const { return slots_.at(slot.value()).lost; }
    std::uint32_t complete_count() const;
    std::uint32_t given_up_count() const;
    std::uint32_t slot_count() const { return static_cast<std::uint32_t>(slots_.size()); }

private:
    struct SlotState {
        std::uint32_t open_sessions = 0;
        std::uint32_t presence = 0;
        bool share_held = false;
        bool complete = false;
        bool given_up = false;
        // Absent since then: the wait is lost_ms when `lost`, give_up_ms otherwise.
        std::optional<std::uint64_t> absent_since;
        bool lost = false;
        std::uint64_t last_heard = 0;
        bool settled() const { return complete || given_up; }
        bool connected() const { return open_sessions + presence > 0; }
    };

    std::vector<SlotState> slots_;
    RosterTiming timing_;
};

}  // namespace chunkswarm

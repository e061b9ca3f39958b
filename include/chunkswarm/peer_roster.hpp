// What the owner knows of each share slot's peer: connected or not, holding its share, complete,
// or given up on. It decides when an absent peer is given up on and when the swarm is whole, so
// the owner stays exactly as long as someone may still need a chunk only it can supply.
// Plain state, time passed in.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace chunkswarm {

class PeerRoster {
public:
    PeerRoster(std::uint32_t slots, std::uint64_t give_up_ms, std::uint64_t now_ms);

    void session_opened(std::uint32_t slot, std::uint64_t now_ms);
    // A frame from the slot's peer.
    void heard_from(std::uint32_t slot, std::uint64_t now_ms);
    void session_closed(std::uint32_t slot, std::uint64_t now_ms);
    void share_held(std::uint32_t slot);
    void complete(std::uint32_t slot);
    // A neighbour routes around this slot's peer: it is absent from now unless it shows up.
    void reported_gone(std::uint32_t slot, std::uint64_t now_ms);

    // Slots given up on at `now_ms` (each once): absent for give_up_ms, having never connected,
    // having left before holding its share, reported gone, or not connected while all others are
    // done; or connected but silent for give_up_ms (a paused process, or one behind a cut link,
    // whose connection stays open).
    std::vector<std::uint32_t> give_up_due(std::uint64_t now_ms);
    // Every slot complete or given up on.
    bool finished() const;
    bool is_complete(std::uint32_t slot) const { return slots_.at(slot).complete; }
    bool is_given_up(std::uint32_t slot) const { return slots_.at(slot).given_up; }
    std::uint32_t complete_count() const;
    std::uint32_t slot_count() const { return static_cast<std::uint32_t>(slots_.size()); }

private:
    struct Slot {
        std::uint32_t open_sessions = 0;
        bool share_held = false;
        bool complete = false;
        bool given_up = false;
        std::optional<std::uint64_t> absent_since;
        std::uint64_t last_heard = 0;
        bool settled() const { return complete || given_up; }
    };
    bool others_settled(std::uint32_t slot) const;

    std::vector<Slot> slots_;
    std::uint64_t give_up_ms_;
};

}  // namespace chunkswarm

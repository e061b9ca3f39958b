// The owner's policy, sans I/O: which slot each peer holds, what each is offered and dealt, who is
// alive, whom to give up on, and when the owner may leave. Fed what its server sees (hellos,
// sessions, frames, reports, "done") and the owner's running time; it answers with what to offer
// and deal, and with the verdicts for the owner to log. The owner itself only moves bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "chunkswarm/core/chunk_set.hpp"
#include "chunkswarm/core/helper_hints.hpp"
#include "chunkswarm/core/messages.hpp"
#include "chunkswarm/core/peer_roster.hpp"
#include "chunkswarm/core/result.hpp"
#include "chunkswarm/core/shares.hpp"

namespace chunkswarm {

class OwnerLedger {
public:
    // `owner_window`: while the chunks are still being hashed, a peer is dealt this many at most.
    OwnerLedger(SlotTable slots, std::uint32_t chunk_count, RosterTiming timing, std::uint32_t owner_window,
                std::uint64_t now_ms);

    // Chunks [0, hashed) may be dealt; `done` once every hash is known.
    enum class Hashing { ongoing, done };
    void set_hashed(std::uint32_t hashed, Hashing hashing);

    // What a client that said `hello` is offered, or why it is refused (not in the swarm, full).
    // A rescue that routes around gone peers gets what they were dealt, and what they had not
    // drawn yet (the `rescue` note says so).
    struct Offer {
        ChunkSet chunks;
        std::optional<std::string> rescue_note;
    };
    Result<Offer> offer(const Hello& hello, std::uint64_t now_ms);

    // Of admitted clients only (the slot exists). Returns a note when a given-up peer is back.
    std::optional<std::string> session_opened(const Hello& hello, std::uint64_t now_ms);
    void session_closed(const Hello& hello, std::uint64_t now_ms);
    // A frame from an admitted client; a note when a peer given up on as silent talks again.
    std::optional<std::string> heard_from(const Hello& hello, std::uint64_t now_ms);

    // A dealing session (neither a rescue, a report, nor a presence) opened or closed.
    void dealing_opened(PeerId peer);
    void dealing_closed(PeerId peer);
    // Up to `count` chunks more for the peer; `takeovers` names the slots whose share it starts
    // drawing from (each pair once).
    struct Deal {
        std::vector<ChunkId> ids;
        std::vector<Slot> takeovers;
    };
    Deal deal(PeerId peer, std::uint32_t count, DealFrom from);

    // What the peer's news changed: it now holds its share, or the whole file, for the first time.
    struct Progress {
        bool newly_served = false;
        bool newly_complete = false;
    };
    // What a client that says it is done is known to hold: its share (a "done" frame, which the
    // owner does not take as a claim to the whole file), or the whole file (a checked report).
    enum class Holds { its_share, whole_file };
    Progress done(const Hello& hello, Holds holds);
    // A report claims completion only with every chunk held.
    Progress report(const Hello& hello, const Report& report, std::uint64_t now_ms);
    // For a peer whose report says it heads a chain (deal_first): where to find helpers, after
    // report() has taken in what the report says.
    std::optional<Hint> helper_hint(const Hello& hello, const Report& report);

    // The slots given up on now (what they had not drawn is released to the others).
    std::vector<Slot> review(std::uint64_t now_ms);
    // Every peer holds the whole file or has been given up on: nobody needs the owner.
    bool finished() const { return roster_.finished(); }

    std::uint32_t slots() const { return slots_.slots(); }
    std::uint32_t complete_count() const { return roster_.complete_count(); }
    std::uint32_t served_count() const { return slots_.served_count(); }
    std::uint32_t given_up_count() const { return roster_.given_up_count(); }
    bool was_lost(Slot slot) const { return roster_.was_lost(slot); }
    // "peer 4", or "slot 2 (no peer joined)".
    std::string slot_name(Slot slot) const;
    // The given-up slots, named and comma-separated ("" for none).
    std::string given_up_names() const;

private:
    ChunkSet rescue_for_gone(Slot slot, const std::vector<PeerId>& gone, std::uint64_t now_ms, std::string& note);

    SlotTable slots_;
    ShareDealer dealer_;
    PeerRoster roster_;
    std::uint32_t chunk_count_;
    std::uint32_t owner_window_;
    bool whole_ = false;
    // (drawing slot, slot behind): each takeover is told once.
    std::set<std::pair<Slot, Slot>> takeovers_told_;
    HelperHints hints_;
};

}  // namespace chunkswarm

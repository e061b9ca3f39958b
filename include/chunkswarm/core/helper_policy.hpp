// Whether a peer should also download from other sources (helpers) because its download
// neighbour delivers much less than the peer has shown it can take, and when to stop again. The
// first helper is the next peer upstream, which holds what the neighbour relays. If the sources
// together still deliver too little while the neighbour owes chunks it holds (its upload is the
// bottleneck, and what only it holds leaves it no faster), one more is added at a time: the owner
// once it has stopped sending this peer its share (while it deals, its upload, the swarm's
// scarcest when every link is capped alike, is busy already), and as soon as the neighbour alone
// is short, since only the owner also holds what only the neighbour holds; else the next peer
// further upstream, up to max_peer_helpers. A capped server serves a helper only from what its
// own ring leaves (Hello::helper), so each adds what its host can spare, and the ring keeps its
// pace.
// Rates are compared over a window of ticks long enough to hold a couple of megabytes at the best
// rate seen (one tick on fast links, up to two seconds on slow ones): on a link capped at a few
// MB/s a tick holds a handful of chunks, and a ring with equal links, whose neighbours deliver in
// bursts, looked slow tick by tick, and its helpers halved the uploads they shared. Each source
// gets a window of requests of its own, so the requests split by the rate each answers them, and
// no chunk is asked of two at once (RequestPlanner's claimed_elsewhere). With equal links a
// neighbour is not slow, and the ring stays a ring. Plain state, fed once per tick with the bytes
// each source delivered in it.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>

namespace chunkswarm {

class HelperPolicy {
public:
    struct Tuning {
        // The supply is short while it is less than this share of the best rate the peer has taken
        // in, from every source together (owing_share when the neighbour owes answers)...
        double slow_share = 0.25;
        double owing_share = 0.5;
        // With helpers, one more is added while the neighbour owes and the sources together
        // deliver less than this share of the best rate.
        double more_share = 0.75;
        // ...for this many ticks in a row, while the peer still lacks chunks...
        std::uint32_t slow_ticks = 2;
        // ...each rate taken over the last ticks that hold this many bytes at the best rate seen,
        // at most max_window_ticks of them.
        std::uint64_t window_bytes = 2 << 20;
        std::uint32_t max_window_ticks = 8;
        // What the peer can take per tick (its download cap), 0 if unknown: the best rate is at
        // least this, so a neighbour far below it is short even before anything faster was seen.
        std::uint64_t capacity_per_tick = 0;
        // With a helper, the neighbour has recovered once it delivers this share of what the two
        // deliver together, for this many ticks in a row: the helper is dropped.
        double recovered_share = 0.8;
        std::uint32_t recovered_ticks = 8;
        // After a helper fails (gone, refused), none is tried for this many ticks.
        std::uint32_t cooldown_ticks = 40;
        // Peer helpers at once at most (the owner is one more).
        std::uint32_t max_peer_helpers = 6;
    };
    struct Tick {
        std::uint64_t neighbour_bytes = 0;
        std::uint64_t helper_bytes = 0;
        std::uint64_t other_bytes = 0;  // the owner's share, rescues
        bool lacking = true;            // the peer does not hold the whole file yet
        // The neighbour has requests outstanding for chunks it holds: it is slow, not starved.
        bool neighbour_owes = false;
        // What the neighbour itself newly holds (its `have` updates)...
        std::uint64_t neighbour_gained_bytes = 0;
        // ...and whether it waits for a backlog of chunks it has asked for: one that gains chunks
        // slowly with a backlog is starved by its own download, and the peer upstream of it has
        // what it lacks.
        bool neighbour_waits = false;
        // The owner is still dealing this peer its share.
        bool owner_dealing = false;
    };
    enum class Helper { none, peer, owner };
    enum class Advice { keep, start, drop };

    HelperPolicy() : HelperPolicy(Tuning{}) {}
    explicit HelperPolicy(Tuning tuning)
        : tuning_(tuning),
          best_tick_(tuning.capacity_per_tick),
          best_rate_(static_cast<double>(tuning.capacity_per_tick))
    {
    }

    // `start`: add one more helper, of the kind helper() says; `drop`: every helper goes.
    Advice tick(const Tick& tick);
    // Every helper was stopped from outside (the route changed, or the peer holds every chunk).
    void stopped();
    // How a helper ended by itself: `failed`, its peer gone or refusing; `no_fault`, it could not
    // be started (no such peer known).
    enum class End { no_fault, failed };
    // One helper of kind `which` ended; the others go on. After the last one failed, none is
    // advised for cooldown_ticks.
    void ended(Helper which, End end);
    // The kind the last `start` advised; none while no helper runs.
    Helper helper() const { return helping() ? last_ : Helper::none; }
    std::uint32_t peer_helpers() const { return peer_helpers_; }
    bool owner_helps() const { return owner_helps_; }
    // The most the peer has taken in per tick so far, over a window (window_ticks()).
    double best_tick_bytes() const { return best_rate_; }
    // The ticks each rate is taken over now.
    std::uint32_t window_ticks() const;

private:
    // `pick`'s bytes per tick over the window; none until the window has filled.
    template <typename Pick>
    std::optional<double> rate_over_window(Pick pick) const;
    // Whether `pick`'s bytes per tick over the window fall short of `share` of the best rate.
    template <typename Pick>
    bool short_over_window(Pick pick, double share) const;
    // Whether `pick`'s bytes per tick over the window fall short of `share` of what the peer takes
    // in now, from every source together.
    template <typename Pick>
    bool gains_short_of_intake(Pick pick, double share) const;
    Advice drop();
    bool helping() const { return peer_helpers_ > 0 || owner_helps_; }
    Advice start(Helper which);

    Tuning tuning_;
    std::deque<Tick> recent_;  // the last max_window_ticks ticks, the newest last
    std::uint64_t best_tick_ = 0;
    double best_rate_ = 0;
    std::uint32_t short_streak_ = 0;
    std::uint32_t recovered_streak_ = 0;
    std::uint32_t cooldown_ = 0;
    std::uint32_t peer_helpers_ = 0;
    bool owner_helps_ = false;
    Helper last_ = Helper::none;
};

}  // namespace chunkswarm

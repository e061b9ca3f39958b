#include "chunkswarm/core/helper_policy.hpp"

#include <algorithm>

namespace chunkswarm {

namespace {

std::uint64_t all_bytes(const HelperPolicy::Tick& tick)
{
    return tick.neighbour_bytes + tick.helper_bytes + tick.other_bytes;
}

}  // namespace

std::uint32_t HelperPolicy::window_ticks() const
{
    if (best_tick_ == 0) return tuning_.max_window_ticks;
    const std::uint64_t ticks = (tuning_.window_bytes + best_tick_ - 1) / best_tick_;
    return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(ticks, 1, tuning_.max_window_ticks));
}

template <typename Pick>
std::optional<double> HelperPolicy::rate_over_window(Pick pick) const
{
    const std::uint32_t window = window_ticks();
    if (recent_.size() < window) return std::nullopt;
    std::uint64_t bytes = 0;
    for (auto it = recent_.end() - window; it != recent_.end(); ++it)
        bytes += pick(*it);
    return static_cast<double>(bytes) / window;
}

template <typename Pick>
bool HelperPolicy::short_over_window(Pick pick, double share) const
{
    const std::optional<double> rate = best_rate_ > 0 ? rate_over_window(pick) : std::nullopt;
    return rate && *rate < share * best_rate_;
}

template <typename Pick>
bool HelperPolicy::gains_short_of_intake(Pick pick, double share) const
{
    const std::optional<double> rate = rate_over_window(pick);
    const std::optional<double> intake = rate_over_window(all_bytes);
    return rate && intake && *rate < share * *intake;
}

HelperPolicy::Advice HelperPolicy::drop()
{
    peer_helpers_ = 0;
    owner_helps_ = false;
    short_streak_ = 0;
    recovered_streak_ = 0;
    return Advice::drop;
}

HelperPolicy::Advice HelperPolicy::start(Helper which)
{
    short_streak_ = 0;
    recovered_streak_ = 0;
    last_ = which;
    if (which == Helper::owner) {
        owner_helps_ = true;
    } else {
        ++peer_helpers_;
    }
    return Advice::start;
}

HelperPolicy::Advice HelperPolicy::tick(const Tick& tick)
{
    recent_.push_back(tick);
    if (recent_.size() > tuning_.max_window_ticks) recent_.pop_front();
    best_tick_ = std::max(best_tick_, all_bytes(tick));
    if (const std::optional<double> rate = rate_over_window(all_bytes)) best_rate_ = std::max(best_rate_, *rate);
    if (cooldown_ > 0) --cooldown_;
    if (helping()) {
        if (!tick.lacking) return drop();
        const std::uint64_t both = tick.neighbour_bytes + tick.helper_bytes;
        const bool recovered = both > 0 && static_cast<double>(tick.neighbour_bytes) >=
                                               tuning_.recovered_share * static_cast<double>(both);
        recovered_streak_ = recovered ? recovered_streak_ + 1 : 0;
        if (recovered_streak_ >= tuning_.recovered_ticks) return drop();
        // Each helper gives what its host spares: while the neighbour is slow to send what it owes
        // and the sources together fall short, one more. The owner (which holds everything) comes
        // first once it has dealt this peer its share, as soon as the neighbour alone is short,
        // whatever the peer helpers give: what only the neighbour holds, they cannot give, and it
        // would otherwise trickle out at the neighbour's pace once everything else is in.
        const bool owner_can_help = !owner_helps_ && !tick.owner_dealing;
        const auto neighbour = [](const Tick& t) { return t.neighbour_bytes; };
        const auto sources = [](const Tick& t) { return t.neighbour_bytes + t.helper_bytes; };
        const bool still_short =
            tick.neighbour_owes &&
            ((owner_can_help && short_over_window(neighbour, tuning_.owing_share)) ||
             (peer_helpers_ < tuning_.max_peer_helpers && short_over_window(sources, tuning_.more_share)));
        short_streak_ = still_short ? short_streak_ + 1 : 0;
        if (short_streak_ < tuning_.slow_ticks) return Advice::keep;
        return start(owner_can_help ? Helper::owner : Helper::peer);
    }
    // A neighbour that owes answers is slow for sure, so half the best rate is the line: on links
    // shaped below the peers (netns_swarm), the best a peer ever sees is what its slow sources
    // give, and a quarter of it was never reached. A neighbour that owes nothing passes on what it
    // gets. If it gains chunks about as fast as this peer takes them in, or has little asked for
    // (the ring is filling, or draining at the end), a helper further up has no more to give and
    // would only halve the uploads it shares. If it gains them slowly with a backlog, its own
    // download is the bottleneck and the peer upstream of it has more. While the owner deals this
    // peer its share it deals the neighbour too, whose backlog may wait on the owner like this
    // peer's: then the neighbour must also gain far less than this peer takes in meanwhile.
    const auto neighbour = [](const Tick& t) { return t.neighbour_bytes; };
    const auto gained = [](const Tick& t) { return t.neighbour_gained_bytes; };
    const bool owes_short = tick.neighbour_owes && short_over_window(neighbour, tuning_.owing_share);
    const bool starved_short = tick.neighbour_waits && short_over_window(gained, tuning_.slow_share) &&
                               short_over_window(neighbour, tuning_.slow_share) &&
                               (!tick.owner_dealing || gains_short_of_intake(gained, tuning_.slow_share));
    short_streak_ = tick.lacking && (owes_short || starved_short) ? short_streak_ + 1 : 0;
    if (short_streak_ < tuning_.slow_ticks || cooldown_ > 0) return Advice::keep;
    return start(Helper::peer);
}

void HelperPolicy::stopped() { drop(); }

void HelperPolicy::ended(Helper which, End end)
{
    if (which == Helper::owner) {
        owner_helps_ = false;
    } else if (which == Helper::peer && peer_helpers_ > 0) {
        --peer_helpers_;
    }
    if (helping()) return;
    drop();
    if (end == End::failed) cooldown_ = tuning_.cooldown_ticks;
}

}  // namespace chunkswarm

#include "chunkswarm/helper_policy.hpp"

#include <algorithm>

namespace chunkswarm {

bool HelperPolicy::short_of(std::uint64_t bytes) const
{
    return best_ > 0 && static_cast<double>(bytes) < tuning_.slow_share * static_cast<double>(best_);
}

HelperPolicy::Advice HelperPolicy::drop()
{
    helper_ = Helper::none;
    short_streak_ = 0;
    recovered_streak_ = 0;
    return Advice::drop;
}

HelperPolicy::Advice HelperPolicy::tick(const Tick& tick)
{
    best_ = std::max(best_, tick.neighbour_bytes + tick.helper_bytes + tick.other_bytes);
    if (cooldown_ > 0) --cooldown_;
    if (helper_ != Helper::none) {
        if (!tick.lacking) return drop();
        const std::uint64_t both = tick.neighbour_bytes + tick.helper_bytes;
        const bool recovered = both > 0 && static_cast<double>(tick.neighbour_bytes) >=
                                               tuning_.recovered_share * static_cast<double>(both);
        recovered_streak_ = recovered ? recovered_streak_ + 1 : 0;
        if (recovered_streak_ >= tuning_.recovered_ticks) return drop();
        // A peer helper cannot give what only the neighbour holds: if the neighbour is slow to
        // send what it owes, the owner (which holds everything) takes the helper's place.
        const bool still_short =
            helper_ == Helper::peer && tick.neighbour_owes && !tick.owner_dealing && short_of(both);
        short_streak_ = still_short ? short_streak_ + 1 : 0;
        if (short_streak_ < tuning_.slow_ticks) return Advice::keep;
        short_streak_ = 0;
        helper_ = Helper::owner;
        return Advice::start;
    }
    short_streak_ = tick.lacking && short_of(tick.neighbour_bytes) ? short_streak_ + 1 : 0;
    if (short_streak_ < tuning_.slow_ticks || cooldown_ > 0) return Advice::keep;
    short_streak_ = 0;
    recovered_streak_ = 0;
    helper_ = Helper::peer;
    return Advice::start;
}

void HelperPolicy::stopped(bool failed)
{
    helper_ = Helper::none;
    short_streak_ = 0;
    recovered_streak_ = 0;
    if (failed) cooldown_ = tuning_.cooldown_ticks;
}

}  // namespace chunkswarm

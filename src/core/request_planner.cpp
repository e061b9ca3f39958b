#include "chunkswarm/core/request_planner.hpp"

#include <algorithm>

namespace chunkswarm {

RequestPlanner::RequestPlanner(ChunkSet local, std::uint32_t window, std::uint64_t seed)
    : local_(std::move(local)),
      remote_(local_.size()),
      in_flight_(local_.size()),
      coming_(local_.size()),
      ahead_(local_.size()),
      given_up_(local_.size()),
      window_(std::max<std::uint32_t>(window, 1)),
      rng_(seed)
{
}

void RequestPlanner::add_candidate(ChunkId id)
{
    candidates_.push_back(id);
    std::uniform_int_distribution<std::size_t> pick(0, candidates_.size() - 1);
    std::swap(candidates_.back(), candidates_[pick(rng_)]);
}

void RequestPlanner::forget_remote()
{
    remote_ = ChunkSet(local_.size());
    candidates_.clear();
    deferred_.clear();
    coming_ = ChunkSet(local_.size());
    coming_candidates_.clear();
    wanted_from_remote_ = 0;
}

void RequestPlanner::on_remote_list(const ChunkSet& remote)
{
    forget_remote();
    for (ChunkId id : remote.ids()) {
        on_remote_have(id);
    }
}

void RequestPlanner::on_remote_have(ChunkId id)
{
    coming_.erase(id);
    ahead_.erase(id);  // if it was requested ahead, the remote now owes it like any other
    if (!remote_.insert(id) || local_.contains(id)) {
        return;
    }
    ++wanted_from_remote_;
    if (!in_flight_.contains(id)) {
        add_candidate(id);
    }
}

void RequestPlanner::on_remote_coming(ChunkId id)
{
    if (local_.contains(id) || remote_.contains(id) || !coming_.insert(id)) return;
    coming_candidates_.push_back(id);
}

bool RequestPlanner::worth_requesting(ChunkId id) const
{
    return !local_.contains(id) && !in_flight_.contains(id) && !given_up_.contains(id);
}

std::vector<ChunkId> RequestPlanner::next_requests(const std::function<bool(ChunkId)>& claimed_elsewhere)
{
    candidates_.insert(candidates_.end(), deferred_.begin(), deferred_.end());
    deferred_.clear();
    std::vector<ChunkId> out;
    while (answerable_in_flight() < window_ && !candidates_.empty()) {
        ChunkId id = candidates_.back();
        candidates_.pop_back();
        if (!worth_requesting(id) || !remote_.contains(id)) continue;
        if (claimed_elsewhere && claimed_elsewhere(id)) {
            deferred_.push_back(id);
            continue;
        }
        in_flight_.insert(id);
        out.push_back(id);
    }
    // The end game: with nothing in flight here and nothing else to ask for, what waits at the
    // other source is asked for here too, so a chunk stuck at a slow source cannot hold up the end.
    // Its copy from there, when it comes, is dropped.
    if (in_flight_.count() == 0 && candidates_.empty()) {
        for (auto it = deferred_.begin(); it != deferred_.end() && in_flight_.count() < window_;) {
            if (worth_requesting(*it) && remote_.contains(*it)) {
                in_flight_.insert(*it);
                out.push_back(*it);
            }
            it = deferred_.erase(it);
        }
    }
    std::vector<ChunkId> ahead = take_ahead_requests(claimed_elsewhere);
    out.insert(out.end(), ahead.begin(), ahead.end());
    return out;
}

std::vector<ChunkId> RequestPlanner::take_ahead_requests(const std::function<bool(ChunkId)>& claimed_elsewhere)
{
    std::vector<ChunkId> out;
    // Half a window: as fast as a full one in the namespace test, and a window of 1 stays
    // stop-and-wait.
    // And no more than two windows in flight in all: a remote that gains chunks faster than it sends
    // them (a slow upload) would otherwise have every coming chunk requested of it, one by one.
    while (ahead_.count() < window_ / 2 && in_flight_.count() < 2 * window_ && !coming_candidates_.empty()) {
        ChunkId id = coming_candidates_.front();
        coming_candidates_.pop_front();
        // One the remote has meanwhile announced as held is an ordinary candidate now.
        if (!worth_requesting(id) || !coming_.contains(id)) continue;
        if (claimed_elsewhere && claimed_elsewhere(id)) continue;  // a hint only: it may come round again
        in_flight_.insert(id);
        ahead_.insert(id);
        out.push_back(id);
    }
    return out;
}

bool RequestPlanner::take_in_flight(ChunkId id)
{
    ahead_.erase(id);
    return in_flight_.erase(id);
}

void RequestPlanner::on_stored(ChunkId id)
{
    in_flight_.erase(id);
    ahead_.erase(id);
    coming_.erase(id);
    if (local_.insert(id) && remote_.contains(id)) {
        --wanted_from_remote_;
    }
}

void RequestPlanner::on_stored_elsewhere(ChunkId id)
{
    coming_.erase(id);
    if (local_.insert(id) && remote_.contains(id)) {
        --wanted_from_remote_;
    }
}

std::uint32_t RequestPlanner::on_rejected(ChunkId id)
{
    in_flight_.erase(id);
    ahead_.erase(id);
    if (remote_.contains(id) && !local_.contains(id) && !given_up_.contains(id)) {
        add_candidate(id);
    }
    return ++failures_[id];
}

void RequestPlanner::give_up_on(ChunkId id) { given_up_.insert(id); }

void RequestPlanner::on_disconnect()
{
    in_flight_ = ChunkSet(local_.size());
    ahead_ = ChunkSet(local_.size());
    forget_remote();
}

}  // namespace chunkswarm

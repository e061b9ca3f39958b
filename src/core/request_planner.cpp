#include "chunkswarm/request_planner.hpp"

#include <algorithm>

namespace chunkswarm {

RequestPlanner::RequestPlanner(ChunkSet local, std::uint32_t window, std::uint64_t seed)
    : local_(std::move(local)),
      remote_(local_.size()),
      in_flight_(local_.size()),
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

void RequestPlanner::on_remote_list(const ChunkSet& remote)
{
    remote_ = ChunkSet(local_.size());
    candidates_.clear();
    wanted_from_remote_ = 0;
    for (ChunkId id : remote.ids()) {
        on_remote_have(id);
    }
}

void RequestPlanner::on_remote_have(ChunkId id)
{
    if (!remote_.insert(id) || local_.contains(id)) {
        return;
    }
    ++wanted_from_remote_;
    if (!in_flight_.contains(id)) {
        add_candidate(id);
    }
}

std::vector<ChunkId> RequestPlanner::next_requests()
{
    std::vector<ChunkId> out;
    while (in_flight_.count() < window_ && !candidates_.empty()) {
        ChunkId id = candidates_.back();
        candidates_.pop_back();
        if (local_.contains(id) || in_flight_.contains(id) || !remote_.contains(id) || given_up_.contains(id)) {
            continue;
        }
        in_flight_.insert(id);
        out.push_back(id);
    }
    return out;
}

bool RequestPlanner::take_in_flight(ChunkId id) { return in_flight_.erase(id); }

void RequestPlanner::on_stored(ChunkId id)
{
    in_flight_.erase(id);
    if (local_.insert(id) && remote_.contains(id)) {
        --wanted_from_remote_;
    }
}

std::uint32_t RequestPlanner::on_rejected(ChunkId id)
{
    in_flight_.erase(id);
    if (remote_.contains(id) && !local_.contains(id) && !given_up_.contains(id)) {
        add_candidate(id);
    }
    return ++failures_[id];
}

void RequestPlanner::give_up_on(ChunkId id) { given_up_.insert(id); }

void RequestPlanner::on_disconnect()
{
    in_flight_ = ChunkSet(local_.size());
    remote_ = ChunkSet(local_.size());
    candidates_.clear();
    wanted_from_remote_ = 0;
}

}  // namespace chunkswarm

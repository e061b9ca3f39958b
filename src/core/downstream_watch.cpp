#include "chunkswarm/downstream_watch.hpp"

#include <algorithm>

namespace chunkswarm {

DownstreamWatch::DownstreamWatch(std::optional<std::uint32_t> upload_neighbor, std::uint64_t idle_exit_ms)
    : upload_neighbor_(upload_neighbor),
      idle_exit_ms_(idle_exit_ms)
{
}

void DownstreamWatch::on_activity(std::uint64_t now_ms) { last_activity_ms_ = std::max(last_activity_ms_, now_ms); }

void DownstreamWatch::on_session(std::uint32_t peer_id, bool opened)
{
    if (opened) {
        ++open_sessions_[peer_id];
        done_.erase(peer_id);  // a new session wants something again
        return;
    }
    auto it = open_sessions_.find(peer_id);
    if (it == open_sessions_.end()) return;
    if (--it->second == 0) {
        open_sessions_.erase(it);
        done_.erase(peer_id);
    }
}

void DownstreamWatch::on_client_done(std::uint32_t peer_id, bool complete, const std::vector<std::uint32_t>& skipped)
{
    done_.insert(peer_id);
    if (!complete) return;
    // A client routing around the upload neighbour has taken its place downstream.
    const bool downstream = !upload_neighbor_ || peer_id == *upload_neighbor_ ||
                            std::find(skipped.begin(), skipped.end(), *upload_neighbor_) != skipped.end();
    if (downstream) downstream_complete_ = true;
}

void DownstreamWatch::on_self_complete(std::uint64_t now_ms)
{
    self_complete_ = true;
    on_activity(now_ms);  // the idle wait starts no earlier than now
}

DownstreamWatch::Verdict DownstreamWatch::verdict(std::uint64_t now_ms) const
{
    if (!self_complete_) return Verdict::stay;
    const bool client_waiting = std::any_of(open_sessions_.begin(), open_sessions_.end(),
                                            [this](const auto& entry) { return !done_.contains(entry.first); });
    if (downstream_complete_ && !client_waiting) return Verdict::downstream_complete;
    if (now_ms >= last_activity_ms_ + idle_exit_ms_) return Verdict::idle;
    return Verdict::stay;
}

}  // namespace chunkswarm

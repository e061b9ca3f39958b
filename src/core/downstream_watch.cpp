#include "chunkswarm/core/downstream_watch.hpp"

#include <algorithm>

namespace chunkswarm {

DownstreamWatch::DownstreamWatch(std::optional<PeerId> upload_neighbor, std::uint64_t idle_exit_ms)
    : upload_neighbor_(upload_neighbor),
      idle_exit_ms_(idle_exit_ms)
{
}

void DownstreamWatch::on_activity(std::uint64_t now_ms) { last_activity_ms_ = std::max(last_activity_ms_, now_ms); }

void DownstreamWatch::on_session_opened(PeerId peer_id)
{
    Client& client = clients_[peer_id];
    ++client.sessions;
    client.done = false;  // a new session wants something again
}

void DownstreamWatch::on_session_closed(PeerId peer_id)
{
    auto it = clients_.find(peer_id);
    if (it != clients_.end() && --it->second.sessions == 0) clients_.erase(it);
}

void DownstreamWatch::on_client_done(PeerId peer_id, const Done& done, const std::vector<PeerId>& skipped)
{
    if (auto it = clients_.find(peer_id); it != clients_.end()) it->second.done = true;
    if (!done.complete) return;
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
    const bool client_waiting =
        std::any_of(clients_.begin(), clients_.end(), [](const auto& entry) { return !entry.second.done; });
    if (downstream_complete_ && !client_waiting) return Verdict::downstream_complete;
    if (now_ms >= last_activity_ms_ + idle_exit_ms_) return Verdict::idle;
    return Verdict::stay;
}

}  // namespace chunkswarm

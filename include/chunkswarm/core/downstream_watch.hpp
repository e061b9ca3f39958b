// When a complete peer may leave: once its downstream says it is complete (its upload neighbour,
// or a peer that routes around it) and no other client connected to it still wants anything, or
// once no client has sent it anything for a while, since a live peer that still needs it would be
// asking. Plain state fed by the upload side's events.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "chunkswarm/core/ids.hpp"
#include "chunkswarm/core/messages.hpp"

namespace chunkswarm {

class DownstreamWatch {
public:
    // `upload_neighbor`: the peer downloading from this one (unknown in the original brief's plain form,
    // where any client that is complete will do).
    DownstreamWatch(std::optional<PeerId> upload_neighbor, std::uint64_t idle_exit_ms);

    // A client connected, sent a frame, or left.
    void on_activity(std::uint64_t now_ms);
    // A client's session opened or closed. While one is open and its client has not said it is
    // done, this peer stays: that client may be the real downstream, taken for gone by a peer
    // further on that routed around it and is complete now (seen at 100 peers: the upstream left
    // while its downstream still asked it for chunks, and that one walked 99 peers upstream).
    void on_session_opened(PeerId peer_id);
    void on_session_closed(PeerId peer_id);
    // A client said it is done with this side (Done::complete: it holds the whole file); `skipped`
    // are the gone peers it routes around.
    void on_client_done(PeerId peer_id, const Done& done, const std::vector<PeerId>& skipped);
    void on_self_complete(std::uint64_t now_ms);

    enum class Verdict { stay, downstream_complete, idle };
    Verdict verdict(std::uint64_t now_ms) const;
    bool self_complete() const { return self_complete_; }

private:
    std::optional<PeerId> upload_neighbor_;
    std::uint64_t idle_exit_ms_;
    std::uint64_t last_activity_ms_ = 0;
    bool self_complete_ = false;
    bool downstream_complete_ = false;
    // Clients with a session open: how many, and whether the client has said it is done.
    struct Client {
        std::uint32_t sessions = 0;
        bool done = false;
    };
    std::map<PeerId, Client> clients_;
};

}  // namespace chunkswarm

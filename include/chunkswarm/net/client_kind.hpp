// What a ChunkClient asks of whoever runs it. Each kind of client (a peer's share from the owner,
// its download neighbour, a helper, a rescue from the owner) is its own class implementing this,
// so that a chunk's path from the socket to the disk reads in one place, and what every kind must
// answer is pure virtual: a kind that forgets one does not compile. What only some kinds need has
// a default here that does nothing.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "chunkswarm/core/chunk_set.hpp"
#include "chunkswarm/core/manifest.hpp"
#include "chunkswarm/core/messages.hpp"
#include "chunkswarm/core/request_planner.hpp"
#include "chunkswarm/core/result.hpp"

namespace chunkswarm::net {

class ClientKind {
public:
    // What the hello asks of the remote.
    struct Ask {
        // Every chunk the server has, not just a share (a rescue from the owner); with `skipped`,
        // what those gone peers were dealt.
        bool rescue = false;
        // Gone peers routed around: this client downloads from the remote in their place.
        std::vector<PeerId> skipped;
        // Beside the download neighbour: the "done" never says complete, so the remote, which
        // serves its own downstream, never takes this client for that downstream.
        bool helper = false;
    };

    ClientKind() = default;
    ClientKind(const ClientKind&) = delete;
    ClientKind& operator=(const ClientKind&) = delete;
    virtual ~ClientKind() = default;

    virtual Ask ask() const { return {}; }

    // Each connection's manifest; an error ends the client (wrong swarm). From the owner it may
    // hold only the first chunks' hashes.
    virtual Result<void> accept_manifest(const Manifest& manifest) = 0;
    // Whether hashes frames are taken (the owner sends them as it computes them). A kind that does
    // not take them has such a frame refused and that connection closed.
    virtual bool takes_hashes() const { return false; }
    // The manifest grew by the hashes of chunks `first`..; an error ends the client.
    virtual Result<void> accept_hashes(const Manifest& /*grown*/, std::uint32_t /*first*/) { return {}; }
    // Chunks already held, asked once the first manifest is accepted.
    virtual ChunkSet local_chunks() = 0;

    // A chunk that passed its hash check; an error (disk) ends the client.
    virtual Result<void> store_chunk(ChunkId id, std::span<const std::uint8_t> bytes) = 0;
    // A chunk stored and its receipt logged (what follows a receipt is logged after it); an
    // error ends the client.
    virtual Result<void> after_stored(ChunkId /*id*/) { return {}; }

    // Chunks just requested from this remote (they are on their way here).
    virtual void on_requested(const std::vector<ChunkId>& /*ids*/) {}
    // Whether a chunk is already requested from elsewhere, so one the remote announces as coming
    // is not requested here too (a coming announcement can travel round a ring).
    virtual bool requested_elsewhere(ChunkId /*id*/) const { return false; }
    // Whether another source has this chunk in flight, so it is not requested here too (a peer
    // downloading from its neighbour and a helper at once).
    virtual bool claimed_elsewhere(ChunkId /*id*/) const { return false; }

    // A chunk failed its hash check (it is dropped and requested again).
    virtual void on_bad_chunk(ChunkId /*id*/) {}
    // A chunk failed Settings::max_chunk_failures times and is no longer requested from this
    // remote. True: whoever runs the client fetches it elsewhere; false (the default): that ends
    // the client with an error.
    virtual bool take_given_up(ChunkId /*id*/) { return false; }
    // The remote (a peer) said whom it downloads from.
    virtual void on_upstream(const Upstream& /*next*/) {}

    // Whether nothing more is wanted from this remote.
    virtual bool is_finished(const RequestPlanner& planner) const = 0;
    // Runs once finished, before "done" is sent (join the file, write the summary).
    virtual Result<void> on_finished(const RequestPlanner& /*planner*/) { return {}; }
    // The end: success after "done" was sent, or the reason the client gave up. The client is
    // still on the stack: whatever replaces or destroys it must wait for the loop's next turn.
    virtual void on_end(const Result<void>& result) = 0;
};

}  // namespace chunkswarm::net

// Decides which chunks to request from one neighbour, keeping a window of requests in flight.
// Plain state fed by events; the network glue turns its answers into request frames.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <random>
#include <vector>

#include "chunkswarm/core/chunk_set.hpp"

namespace chunkswarm {

class RequestPlanner {
public:
    RequestPlanner(ChunkSet local, std::uint32_t window, std::uint64_t seed);

    // A full chunk ID list from the remote replaces what was known of it.
    void on_remote_list(const ChunkSet& remote);
    void on_remote_have(ChunkId id);
    // The remote has asked for this chunk itself; it may be requested before the remote holds it.
    void on_remote_coming(ChunkId id);
    // Chunks to request now. First ones the remote has, we lack and have not asked for, in random
    // order, so that neighbours further along the ring get different chunks early, while fewer than
    // a window of those are in flight. Then, in the order announced, chunks still on their way to
    // the remote, while fewer than half a window of those wait there: the remote sends each as it
    // lands. With `claimed_elsewhere`, a chunk in flight from another source is left to it, and
    // looked at again on the next call (that source may fail to deliver it); but once nothing is
    // in flight here and nothing else is left to ask for, it is asked for here too (the end game).
    std::vector<ChunkId> next_requests(const std::function<bool(ChunkId)>& claimed_elsewhere = {});
    // Whether the chunk has been requested here and not answered yet.
    bool requested(ChunkId id) const { return in_flight_.contains(id); }
    // Whether the remote holds the chunk, or has announced it as on its way there.
    bool remote_has_or_expects(ChunkId id) const { return remote_.contains(id) || coming_.contains(id); }
    // False when the chunk was not in flight (never requested, or already answered).
    bool take_in_flight(ChunkId id);
    void on_stored(ChunkId id);
    // Another source delivered this chunk. If it is in flight here it stays so, holding its place in
    // the window, until the remote's copy arrives: the remote still sends it, so requesting more
    // meanwhile would queue ever more at a slow remote.
    void on_stored_elsewhere(ChunkId id);
    // The window from now on (a slow remote beside a faster source gets a smaller one).
    void set_window(std::uint32_t window) { window_ = std::max<std::uint32_t>(window, 1); }
    // A chunk that failed its hash check is wanted again; returns how often it has failed so far.
    std::uint32_t on_rejected(ChunkId id);
    // Never request this chunk from this remote again (it keeps sending it damaged).
    void give_up_on(ChunkId id);
    // The connection is gone: nothing is in flight, and the remote's list is unknown until it sends a new one.
    void on_disconnect();

    const ChunkSet& local() const { return local_; }
    bool complete() const { return local_.full(); }
    // The remote holds nothing we lack (as far as its lists told us).
    bool remote_exhausted() const { return wanted_from_remote_ == 0; }
    std::uint32_t in_flight() const { return in_flight_.count(); }
    // Chunks the remote has said are on their way to it and does not hold yet.
    std::uint32_t coming_count() const { return coming_.count(); }
    // Requested chunks the remote holds, so it owes an answer now (the rest wait for it to get them).
    std::uint32_t answerable_in_flight() const { return in_flight_.count() - ahead_.count(); }
    std::uint32_t window() const { return window_; }

private:
    // Drops what is known of the remote's chunks (a new list replaces it, a disconnect ends it).
    void forget_remote();
    void add_candidate(ChunkId id);
    bool worth_requesting(ChunkId id) const;
    std::vector<ChunkId> take_ahead_requests(const std::function<bool(ChunkId)>& claimed_elsewhere);

    ChunkSet local_;
    ChunkSet remote_;
    ChunkSet in_flight_;
    // Chunks worth requesting, in random order; entries are re-checked when taken, so stale ones are harmless.
    std::vector<ChunkId> candidates_;
    // Candidates another source had in flight at the last call.
    std::vector<ChunkId> deferred_;
    // Announced as on their way to the remote (it has asked for them), not yet held there.
    ChunkSet coming_;
    std::deque<ChunkId> coming_candidates_;
    // Requested while only on their way to the remote; each becomes an ordinary request in flight
    // when the remote announces it holds the chunk.
    ChunkSet ahead_;
    std::map<ChunkId, std::uint32_t> failures_;
    ChunkSet given_up_;
    std::uint32_t wanted_from_remote_ = 0;
    std::uint32_t window_;
    std::mt19937_64 rng_;
};

}  // namespace chunkswarm

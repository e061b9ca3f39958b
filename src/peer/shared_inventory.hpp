// The one piece of state both of a peer's threads touch: which chunks it holds, and which it has
// requested and not yet received. The download side adds; the upload thread reads snapshots to
// answer and announce.
#pragma once

#include <mutex>
#include <vector>

#include "chunkswarm/core/chunk_set.hpp"

namespace chunkswarm::peer {

class SharedInventory {
public:
    void reset(ChunkSet held)
    {
        std::lock_guard lock(mutex_);
        coming_ = ChunkSet(held.size());
        held_ = std::move(held);
    }
    bool add(ChunkId id)
    {
        std::lock_guard lock(mutex_);
        coming_.erase(id);
        const bool added = held_.insert(id);
        held_after_add_ = held_.count();
        return added;
    }
    // How many chunks were held right after this thread's last add: a receipt's count, taken with
    // the add, so that two threads storing at once never log the same count or one from before.
    static std::size_t held_after_my_last_add() { return held_after_add_; }
    // Chunks just requested (from the owner or the download neighbour): on their way here.
    void expect(const std::vector<ChunkId>& ids)
    {
        std::lock_guard lock(mutex_);
        for (ChunkId id : ids)
            if (!held_.contains(id)) coming_.insert(id);
    }
    ChunkSet snapshot() const
    {
        std::lock_guard lock(mutex_);
        return held_;
    }
    std::size_t held_count() const
    {
        std::lock_guard lock(mutex_);
        return held_.count();
    }
    bool is_coming(ChunkId id) const
    {
        std::lock_guard lock(mutex_);
        return coming_.contains(id);
    }
    ChunkSet coming() const
    {
        std::lock_guard lock(mutex_);
        return coming_;
    }

private:
    static thread_local inline std::size_t held_after_add_ = 0;  // per thread, see held_after_my_last_add
    mutable std::mutex mutex_;
    ChunkSet held_;    // guarded by mutex_
    ChunkSet coming_;  // guarded by mutex_: requested and not held yet
};

}  // namespace chunkswarm::peer

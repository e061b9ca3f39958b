// The one piece of state both of a peer's threads touch: which chunks it holds.
// The download thread adds; the upload thread reads snapshots to answer and announce.
#pragma once

#include <mutex>

#include "chunkswarm/chunk_set.hpp"

namespace chunkswarm::peer {

class SharedInventory {
public:
    void reset(ChunkSet held)
    {
        std::lock_guard lock(mutex_);
        held_ = std::move(held);
    }
    bool add(ChunkId id)
    {
        std::lock_guard lock(mutex_);
        return held_.insert(id);
    }
    ChunkSet snapshot() const
    {
        std::lock_guard lock(mutex_);
        return held_;
    }

private:
    mutable std::mutex mutex_;
    ChunkSet held_;  // guarded by mutex_
};

}  // namespace chunkswarm::peer

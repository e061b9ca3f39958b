// Whose turn it is to send under an upload cap shared by a server's sessions, sans I/O. Start-time
// fair queueing: each turn is tagged with when it would start if every session got the cap in
// proportion to its weight, and turns go in tag order, so with equal weights they go in the order
// asked (a session whose send just finished cannot take the cap ahead of those waiting: 100 peers
// behind a 2 MB/s owner once waited 40 s for a chunk), and a session of weight w gets w turns to
// another's one while both want the cap. A helper's turn comes after every other session's.
#pragma once

#include <algorithm>
#include <cstddef>
#include <deque>
#include <map>

namespace chunkswarm {

// A helper's turn comes after every regular session's.
enum class TurnClass { regular, helper };

template <typename Key>
class CapTurns {
public:
    bool empty() const { return queue_.empty(); }
    Key front() const { return queue_.front().key; }
    bool queued(Key key) const
    {
        return std::any_of(queue_.begin(), queue_.end(), [key](const Turn& turn) { return turn.key == key; });
    }
    // `key` waits for a turn (once: a key already queued keeps its place).
    void enqueue(Key key, TurnClass turn_class)
    {
        if (queued(key)) return;
        const bool helper = turn_class == TurnClass::helper;
        const double start = start_of(key);
        auto at = std::find_if(queue_.begin(), queue_.end(),
                               [&](const Turn& turn) { return !helper && (turn.helper || turn.start > start); });
        queue_.insert(at, Turn{key, start, helper});
    }
    // The front's turn is taken, or it no longer wants one.
    void pop_front() { queue_.pop_front(); }
    // `key` sent `bytes` (at the front of the queue, or with nobody waiting) at `weight` (> 0).
    void served(Key key, std::size_t bytes, double weight)
    {
        clock_ = start_of(key);
        finish_[key] = clock_ + static_cast<double>(bytes) / std::max(weight, 1e-9);
    }
    // `key` is gone: its place and its history.
    void forget(Key key)
    {
        std::erase_if(queue_, [key](const Turn& turn) { return turn.key == key; });
        finish_.erase(key);
    }
    void clear()
    {
        queue_.clear();
        finish_.clear();
    }

private:
    struct Turn {
        Key key;
        double start;
        bool helper;
    };
    // A turn starts where the key's last one ended, but never before the clock: being idle earns
    // no credit.
    double start_of(Key key) const
    {
        auto last = finish_.find(key);
        return std::max(clock_, last == finish_.end() ? 0.0 : last->second);
    }

    std::deque<Turn> queue_;
    std::map<Key, double> finish_;  // where each key's last turn ended
    double clock_ = 0;              // the start tag of the last turn taken
};

}  // namespace chunkswarm

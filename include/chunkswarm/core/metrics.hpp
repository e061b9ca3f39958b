// A process's metrics, free of I/O: named counters and gauges, each series one atomic value that
// any thread updates without a lock, and their rendering in Prometheus' text exposition format
// (version 0.0.4). net/metrics_server.hpp serves it over HTTP.
//
// A series is looked up once (under the registry's lock) and its value kept by whoever updates it:
// addresses stay valid for the registry's life.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chunkswarm::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Value {
public:
    void add(std::int64_t delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
    void set(std::int64_t value) { value_.store(value, std::memory_order_relaxed); }
    // A gauge that only grows (a peak).
    void raise_to(std::int64_t value);
    std::int64_t get() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::int64_t> value_{0};
};

enum class Kind { counter, gauge };

// A metric's name (Prometheus' rules: counters end in _total), meaning and kind.
struct Family {
    std::string_view name;
    std::string_view help;
    Kind kind;
};

class Registry {
public:
    // The series of `family` with these labels, created at 0 when new.
    Value& at(const Family& family, const Labels& labels = {});
    // An enumeration as Prometheus has it: one series per state, labelled state="...", 1 for the
    // current one and 0 for the others (every state is listed from the first call on).
    void set_state(const Family& family, const std::vector<std::string>& states, std::string_view current);

    // Every family in name order, each series in label order.
    std::string render() const;

private:
    struct Series {
        const Family* family;
        std::map<std::string, std::unique_ptr<Value>> values;  // by rendered labels, "" for none
    };

    mutable std::mutex mutex_;
    std::map<std::string_view, Series> families_;  // guarded by mutex_
};

// What chunkswarm exports, in one table: the families live as long as the program.
namespace family {
inline constexpr Family state{"chunkswarm_state", "What the process is doing: 1 for its current state.", Kind::gauge};
inline constexpr Family chunks_in_file{"chunkswarm_chunks_in_file",
                                       "Chunks the file has (0 until this process knows the manifest).", Kind::gauge};
inline constexpr Family chunks_held{"chunkswarm_chunks_held", "Chunks this process holds, verified.", Kind::gauge};
inline constexpr Family received_bytes{"chunkswarm_received_bytes_total",
                                       "Chunk bytes received and verified, by sender (the owner or a peer).",
                                       Kind::counter};
inline constexpr Family sent_bytes{"chunkswarm_sent_bytes_total", "Chunk bytes sent, by receiver.", Kind::counter};
inline constexpr Family requests_in_flight{"chunkswarm_requests_in_flight",
                                           "Chunks requested and not yet received, by the server asked.", Kind::gauge};
inline constexpr Family hash_failures{"chunkswarm_hash_failures_total",
                                      "Chunks that failed their SHA-256 check (and were asked for again), by sender.",
                                      Kind::counter};
inline constexpr Family reconnects{"chunkswarm_reconnects_total",
                                   "Connections to a server lost or dropped and made again, by server.", Kind::counter};
inline constexpr Family reroutes{"chunkswarm_reroutes_total", "Download neighbours counted as gone and routed around.",
                                 Kind::counter};
inline constexpr Family peers_complete{"chunkswarm_peers_complete",
                                       "Owner: peers that have said they hold the whole file.", Kind::gauge};
inline constexpr Family peers_given_up{"chunkswarm_peers_given_up",
                                       "Owner: peers absent or silent too long, their share dealt to the others.",
                                       Kind::gauge};
inline constexpr Family peak_memory{"chunkswarm_peak_memory_bytes", "The process's peak resident memory (VmHWM).",
                                    Kind::gauge};
inline constexpr Family build_info{"chunkswarm_build_info", "1, labelled with the version of chunkswarm.", Kind::gauge};
}  // namespace family

// The other end of a connection as a label value: "owner" stays, a peer is its id ("peer 2" as
// the log names it becomes "2"), so that values have no spaces and match `peer="2"` elsewhere.
std::string remote_value(std::string_view remote);

// `{key="value",...}` with Prometheus' escapes (backslash, double quote, newline); "" for none.
std::string render_labels(const Labels& labels);

}  // namespace chunkswarm::metrics

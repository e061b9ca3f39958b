// Serves a process's metrics over HTTP, `GET /metrics` in Prometheus' text format, from a loop
// thread of its own, so that a scrape is answered whatever the process's own loops are busy with
// (the owner's split, a peer's bootstrap). One request per connection, answered and closed.
#pragma once

#include <uv.h>

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "chunkswarm/core/config.hpp"
#include "chunkswarm/core/metrics.hpp"
#include "chunkswarm/core/result.hpp"
#include "chunkswarm/net/loop_thread.hpp"
#include "chunkswarm/net/uv_handle.hpp"

namespace chunkswarm::net {

// --metrics and --metrics-linger.
struct MetricsOptions {
    std::optional<Endpoint> bind;  // none: no metrics served
    // After its work, the process keeps answering this long, so that a scrape sees its final
    // figures (Prometheus scrapes every 15 s or so; a peer may finish between two scrapes).
    std::uint32_t linger_s = 0;
};

class MetricsServer {
public:
    // `refresh` runs on the server's thread before each rendering, for values read when asked
    // (the process's peak memory).
    MetricsServer(const metrics::Registry& registry, std::function<void()> refresh);
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;
    ~MetricsServer();

    // Binds on the caller's thread (so a port in use is reported at once), then serves.
    Result<void> start(const Endpoint& bind);
    std::uint16_t port() const;
    // Blocks the caller up to `seconds` while the server goes on answering. SIGINT or SIGTERM
    // (a person or a supervisor ending a lingering process) ends the wait early: returns it.
    int linger(std::uint32_t seconds);
    // Closes the listener and every open exchange, and waits for the thread.
    void stop();

private:
    class Exchange;
    void on_connection();
    void forget(Exchange* exchange);
    std::string answer(std::string_view request) const;

    const metrics::Registry& registry_;
    std::function<void()> refresh_;
    LoopThread thread_;
    UvHandle<uv_tcp_t> listener_;
    // Closes the exchanges that have not sent a whole request in time.
    Timer sweeper_;
    std::map<Exchange*, std::unique_ptr<Exchange>> exchanges_;  // loop thread only
    std::vector<UvHandle<uv_signal_t>> signals_;                // loop thread only, while lingering
    std::mutex linger_mutex_;
    std::condition_variable linger_ended_;
    int signal_seen_ = 0;  // guarded by linger_mutex_
    bool started_ = false;
};

// Serves `registry` as `options` ask (nothing without a bind address), and says where in the log.
// `refresh` as for MetricsServer; the process's peak memory is refreshed in any case.
Result<std::unique_ptr<MetricsServer>> serve_metrics(const MetricsOptions& options, metrics::Registry& registry,
                                                     std::function<void()> refresh = {});
// After the work: keeps `server` (if any) answering for the linger time, then stops it.
void linger_and_stop(std::unique_ptr<MetricsServer> server, const MetricsOptions& options);

// The HTTP response (head and body) to one request's head, free of I/O: 200 with `body` for
// GET or HEAD of /metrics, 404 for another path, 405 for another method, 400 for no request line.
std::string http_response(std::string_view request_head, const std::function<std::string()>& body);

}  // namespace chunkswarm::net

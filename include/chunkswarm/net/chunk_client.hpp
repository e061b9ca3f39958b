// The downloading side of one connection (to the owner or to a peer): says hello, takes the
// manifest and chunk ID list, keeps a window of requests in flight, verifies each chunk and hands
// it to its ClientKind (client_kind.hpp: what the connection is for), reconnects with back-off,
// and says done when its kind decides it is finished.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "chunkswarm/core/backoff.hpp"
#include "chunkswarm/core/config.hpp"
#include "chunkswarm/core/manifest.hpp"
#include "chunkswarm/core/messages.hpp"
#include "chunkswarm/core/metrics.hpp"
#include "chunkswarm/core/request_planner.hpp"
#include "chunkswarm/net/client_kind.hpp"
#include "chunkswarm/net/tcp_connection.hpp"
#include "chunkswarm/net/uv_handle.hpp"

namespace chunkswarm::net {

struct ClientOptions {
    PeerId self_id;
    Endpoint remote;
    std::string remote_label;  // "owner", "peer 2"
    std::uint32_t connect_timeout_s = 60;
    Settings settings;
    std::uint64_t seed = 0;
    // Non-zero: the remote is a peer, and counts as gone (the client ends with ErrorCode::peer_gone)
    // once unreachable this long after it had been up, or silent this long while it owes an
    // answer (hello, or requested chunks).
    std::uint32_t gone_after_s = 0;
    // With gone_after_s: a remote never reached in this long counts as gone too.
    std::uint32_t never_up_gone_after_s = 0;
    // When not empty, the server must pass the challenge-response handshake (auth.hpp) first.
    std::string secret;
    // When set, the connection is TLS (tls_channel.hpp).
    std::shared_ptr<const TlsContext> tls;
    // Optional: max_download_rate for the whole process, shared with its other clients.
    RateCap* download_cap = nullptr;
    // Optional: the process's metrics, which this client adds to under the remote's label.
    metrics::Registry* metrics = nullptr;
    // Optional: how many chunks the process held, from every source, once the chunk just stored
    // was added (asked right after ClientKind::store_chunk, on the same thread), for each receipt's
    // count; without it the count is what this client knows of (its start and its own receipts).
    std::function<std::size_t()> held_count;
};

class ChunkClient {
public:
    ChunkClient(uv_loop_t* loop, ClientOptions options, std::unique_ptr<ClientKind> kind);
    ChunkClient(const ChunkClient&) = delete;
    ChunkClient& operator=(const ChunkClient&) = delete;
    ~ChunkClient();

    void start();
    // Ends the client with `reason` as its error, closing any connection.
    void abort(const std::string& reason);
    // A chunk stored through another connection (a rescue) no longer needs requesting here.
    void note_stored_elsewhere(ChunkId id);
    // Requests in flight at once from now on (a slow remote beside a faster source gets fewer).
    void set_window(std::uint32_t window);
    // Requests what is worth requesting now (another source let go of chunks it had claimed).
    void poke();
    // Whether the remote owes answers: requests for chunks it holds are outstanding.
    bool owes_answers() const { return planner_ && planner_->answerable_in_flight() > 0; }
    // Whether the remote waits for at least `count` chunks it has asked for itself.
    bool waits_for(std::uint32_t count) const { return planner_ && planner_->coming_count() >= count; }
    // Chunks the remote has announced as newly held since the last call: how fast it gains them.
    std::uint32_t take_remote_gains() { return std::exchange(remote_gains_, 0); }
    // Whether this chunk has been requested here and not answered yet.
    bool requested(ChunkId id) const { return planner_ && planner_->requested(id); }
    // Whether the remote holds this chunk or has said it is on its way there.
    bool remote_has_or_expects(ChunkId id) const { return planner_ && planner_->remote_has_or_expects(id); }
    // What kind of client this is (the kind ends with it).
    const ClientKind& kind() const { return *kind_; }
    // Whether any connection attempt succeeded.
    bool ever_connected() const { return ever_connected_; }
    // Whether the remote has ever sent its chunk ID list (answered hello).
    bool ever_answered() const { return ever_answered_; }

private:
    void attempt();
    void retry_later(const std::string& why);
    void on_connected(int status);
    void on_frame(Frame frame);
    void on_closed(const std::string& reason);
    void handle(const ManifestMsg& message);
    void handle(const HaveList& message);
    void handle(const Have& message);
    void handle(const Coming& message);
    void handle(const Hashes& message);
    // Hands the hashes of chunks `first`.. to accept_hashes; false if that ended the client.
    bool grow_checked(std::uint32_t first);
    void handle(ChunkData& message);
    void on_error_message(const ErrorMsg& message);
    enum class ChunkFailure { hash, unserved };
    bool count_failure(ChunkId id, ChunkFailure failure);
    void on_handshake_message(const Message& message);
    void pump();
    void request_more();
    // Brings the process's requests_in_flight for this remote up to date with the planner.
    void report_in_flight();
    void check_finished();
    bool ended_as_needless();
    void catch_up_with_local();
    void end(const Result<void>& result);
    void drop_connection(const std::string& reason);
    // Drops the connection and tries again later, with nothing in flight.
    void reconnect(const std::string& reason);
    void watch_for_stall();
    void expect_to_hear();
    // With gone detection, ends the client if the remote has been out of reach long enough.
    bool gone_while_unreachable(const std::string& why);
    void end_gone(const std::string& reason);
    std::uint64_t now_ms() const;

    uv_loop_t* loop_;
    ClientOptions options_;
    std::unique_ptr<ClientKind> kind_;
    ClientHandshake handshake_;
    Timer retry_timer_;
    Timer stall_timer_;
    // With gone detection: nothing at all heard from the remote for gone_after_s (servers ping).
    Timer silence_timer_;
    Backoff backoff_;
    std::shared_ptr<TcpConnection> connection_;
    std::optional<Manifest> manifest_;
    std::optional<RequestPlanner> planner_;
    bool have_list_ = false;
    bool finishing_ = false;
    bool ended_ = false;
    bool reported_waiting_ = false;
    bool ever_connected_ = false;
    bool ever_answered_ = false;      // a chunk ID list has come, on any connection
    std::uint32_t remote_gains_ = 0;  // ids in `have` updates since take_remote_gains()
    std::uint64_t started_ms_ = 0;
    std::optional<std::uint64_t> lost_at_ms_;  // when the connection was lost after being up
    // This client's part of the process's metrics (a registry of its own when none is given).
    struct Metrics {
        metrics::Value* received_bytes;
        metrics::Value* hash_failures;
        metrics::Value* reconnects;
        metrics::Value* requests_in_flight;
        std::int64_t in_flight_reported = 0;
    };
    metrics::Registry own_metrics_;
    Metrics metrics_;
};

}  // namespace chunkswarm::net

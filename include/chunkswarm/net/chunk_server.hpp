// The serving side: listens, and for each client sends the manifest and a chunk ID list, then
// answers requests. Chunks are read, or brought into the page cache for the loop's sendfile, by
// libuv's worker pool (uv_queue_work), one bounded batch per session at a time, so sessions
// proceed side by side and the loop waits on the disk only for a pre-read page since evicted.
#pragma once

#include <uv.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "chunkswarm/core/cap_turns.hpp"
#include "chunkswarm/core/config.hpp"
#include "chunkswarm/core/manifest.hpp"
#include "chunkswarm/core/metrics.hpp"
#include "chunkswarm/core/shares.hpp"
#include "chunkswarm/disk/chunk_store.hpp"
#include "chunkswarm/net/tcp_connection.hpp"

namespace chunkswarm::net {

// What a server needs from the role running it.
struct ServerContext {
    const Manifest* manifest = nullptr;
    const ChunkStore* store = nullptr;
    Settings settings;
    // Connections held at once (session_cap()); those beyond are refused as overloaded.
    std::uint32_t max_sessions = 64;
    // When not empty, every client must pass the challenge-response handshake (auth.hpp) first.
    std::string secret;
    // When set, every connection is TLS (tls_channel.hpp); a plain client is refused.
    std::shared_ptr<const TlsContext> tls;
    // The chunks offered to this client (owner: its share, or what a rescue asks for; peer: what
    // it holds now). An error refuses the client.
    std::function<Result<ChunkSet>(const Hello& hello)> offered_for;
    // Peer only (optional): chunks this side has requested and does not hold yet. They are
    // announced with `coming`, and a client's request for one waits here until it is held.
    std::function<ChunkSet()> coming;
    // The client said done (Done::complete: it holds the whole file).
    std::function<void(const Hello& hello, const Done& done)> on_done;
    // Optional: an admitted client's session opened, or closed.
    std::function<void(const Hello& hello)> on_session_opened;
    std::function<void(const Hello& hello)> on_session_closed;
    // Optional: any frame from any client, or a connection opening or closing (a sign of life).
    std::function<void()> on_activity;
    // Owner only: a report on a presence connection (Hello::presence). A server without this hook
    // refuses presence connections. What it returns is sent back on that connection. A report that
    // claims the whole file comes here only once the client has proved it (possession.hpp).
    std::function<std::optional<Hint>(const Hello& hello, const Report& report)> on_report;
    // Optional: a frame from an admitted client (a sign of life from that peer).
    std::function<void(const Hello& hello)> on_heard;
    // Optional: a chunk this side holds could not be read to send (its file shrank, a disk error).
    // The client is sent an error frame and closed either way; this says so to whoever can act.
    std::function<void(ChunkId id, const std::string& why)> on_unreadable;
    // Peer only: whom this side downloads from, told to every client in its chunk ID list.
    std::optional<Upstream> upstream;
    // Owner only: chunks are dealt to each client as it draws them (shares.hpp), beyond what
    // offered_for() lists. `opened` and `closed` bracket an admitted session that is not a rescue;
    // `deal` returns up to `count` chunks more for that client (none when nothing is left), with
    // `from` saying whether it may come from another peer's share.
    struct Dealing {
        std::function<void(PeerId peer)> opened;
        std::function<std::vector<ChunkId>(PeerId peer, std::uint32_t count, DealFrom from)> deal;
        std::function<void(PeerId peer)> closed;
    };
    std::optional<Dealing> dealing;
    // Optional: the process's metrics, to which each session adds what it sends.
    metrics::Registry* metrics = nullptr;
    // Optional: every session adds what it sends here too (the whole upload, any thread may read).
    metrics::Value* sent_total = nullptr;
};

class ServerSession;

class ChunkServer {
public:
    ChunkServer(uv_loop_t* loop, ServerContext context);
    ChunkServer(const ChunkServer&) = delete;
    ChunkServer& operator=(const ChunkServer&) = delete;
    ~ChunkServer();

    Result<void> listen(const Endpoint& bind);
    std::uint16_t port() const { return listener_.port(); }
    // For a server bound before its manifest is known; call before the loop runs. The owner's may
    // hold only the first chunks' hashes: it calls hashes_grew() as more are appended.
    void set_manifest(const Manifest* manifest)
    {
        context_.manifest = manifest;
        manifest_frame_.reset();
    }
    // The manifest holds more chunk hashes: every client gets them, then (owner) more dealt. Once
    // it is whole, the clients held back for it (rescues) are admitted.
    void hashes_grew();
    // Sends each client the chunks that offered_for() now includes beyond its last list (and
    // answers its requests that waited for them), then those newly on their way here.
    void announce_all();
    // Stops listening and closes every session.
    void close();

private:
    friend class ServerSession;
    void forget(ServerSession* session);
    // Once the manifest is whole, encoded once, on the loop, and shared by every session's send.
    OutFrame manifest_frame();
    // Chunk bytes held for all sessions (queued to send or being read), bounded by send_budget.
    // A session that finds the budget spent waits; the next session to release bytes wakes all.
    std::size_t held_bytes() const;
    bool over_budget(std::size_t held);
    void wake_budget_waiters();
    // Whether `bytes` of chunks may be read for `session` to send now under max_upload_rate (taking
    // them). If not, the session queues for a turn (CapTurns: in the order asked, a deal-first
    // peer's deal weighted up, helpers last), so one whose read has just finished cannot take it
    // ahead of those waiting.
    bool within_upload_cap(ServerSession* session, std::size_t bytes);
    void take_cap_turns();
    // From the peer's presence reports: deal to it first (Report::deal_first).
    void set_deal_first(PeerId peer, bool first);
    // Whether a session that is not a helper has chunks it can send now.
    bool others_have_work() const;
    // Lets the helpers that waited for the others try again, once none has work.
    void wake_helpers();
    void pump_all_in_turn();
    // A connection beyond max_sessions: an error frame (plain) or a close (TLS), nothing else.
    void refuse_overloaded(const std::shared_ptr<TcpConnection>& connection);
    // Closes the older session of the client `session` is (same peer, same kind): a client holds
    // one connection of each kind, so a newer one means the older is dead, or an impostor's.
    void replace_older(const ServerSession& session);
    // The pings, and the clients that read nothing are closed (unless this process was stopped).
    void heartbeat(std::uint64_t interval_ms);

    uv_loop_t* loop_;
    ServerContext context_;
    TcpListener listener_;
    // Pings the clients that have had nothing else for a while (see Ping in messages.hpp).
    Timer heartbeat_;
    // max_upload_rate, for all sessions together, and the wake-up once it allows more.
    TokenBucket upload_cap_;
    Timer upload_cap_wait_;
    CapTurns<ServerSession*> cap_turns_;
    bool helpers_waiting_ = false;
    std::set<PeerId> deal_first_peers_;
    std::map<ServerSession*, std::shared_ptr<ServerSession>> sessions_;
    std::optional<OutFrame> manifest_frame_;
    bool budget_waiters_ = false;
    std::size_t next_to_wake_ = 0;
    bool refusing_ = false;  // at max_sessions: the refusals are logged once until it eases
    std::uint64_t last_heartbeat_ms_ = 0;
};

class ServerSession : public std::enable_shared_from_this<ServerSession> {
    struct Passkey {};

public:
    ServerSession(Passkey, ChunkServer& server, std::shared_ptr<TcpConnection> connection);
    static std::shared_ptr<ServerSession> start(ChunkServer& server, std::shared_ptr<TcpConnection> connection);

    void announce();
    // Owner, as its manifest grows (ChunkServer::hashes_grew): sends the chunk hashes appended
    // since the last (false if there were none); then deals, its own share first; then offers.
    bool send_new_hashes();
    void deal_after_hashes(DealFrom from);
    void offer_after_hashes();
    // Sends a ping if nothing is queued for the client: it hears from a live server every interval.
    // A client that has read nothing of what waits for it for `stall_limit_ms` is closed.
    void keep_alive(std::uint64_t stall_limit_ms);
    // Whether `other` is the same client's connection of the same kind (replace_older()).
    bool same_client(const ServerSession& other) const;
    void close(const std::string& reason);
    // The server is going away: from now on the session only closes.
    void detach();

private:
    friend class ChunkServer;  // pumps its sessions when the send budget frees up
    struct ReadJob;
    struct ProofJob;
    // Closes the connection if no hello comes within hello_timeout_s of this process's running time.
    void await_hello();
    void on_frame(Frame frame);
    void on_closed(const std::string& reason);
    void handle(const Hello& hello);
    void handle(const Request& request);
    void handle(const Done& done);
    void handle(const Auth& auth);
    void handle(const Report& report);
    void handle(const Possession& possession);
    void admit();
    // A report claims the whole file: the client is challenged, and the chunks the challenge
    // picks are read and hashed here on a pool thread.
    void challenge(const Report& report);
    void on_proof_done(ProofJob& job);
    // Once both the expected proof and the client's are in: the claim is believed, or refused.
    void judge_claim();
    void admit_presence();
    void pump_reads();
    // Reads the next chunks to send, if the budget, the cap and the connection allow.
    void start_read();
    // Requested chunks it holds are queued, and the connection takes more.
    bool has_sendable() const;
    void on_read_done(ReadJob& job);
    void unreadable(ChunkId id, const std::string& why);
    void send_have(const std::vector<ChunkId>& ids);
    void send_list();
    // Adds what offered_for() includes now beyond the offer, queueing the requests that waited for
    // it (the caller pumps); returns the new chunks.
    std::vector<ChunkId> take_fresh_offers();
    void announce_coming();
    // Owner only: tops the chunks dealt to this client and not yet requested up to `target`;
    // returns the new ones (already added to what is offered).
    std::vector<ChunkId> deal_up_to(std::uint32_t target, DealFrom from = DealFrom::any_share);
    // A presence connection (Hello::presence): it carries the client's reports and nothing else.
    bool reports_only() const { return hello_ && hello_->presence; }
    // A helper of a peer beside its download neighbour (Hello::helper): served from what the
    // others leave of the upload cap.
    bool helps() const { return hello_ && hello_->helper; }
    // Whether the owner deals to this session: admitted, and neither a rescue nor a presence.
    bool dealing() const;
    // Its share of the upload cap against the other sessions': more for a deal-first peer's deal.
    double cap_weight() const;
    std::size_t held_bytes() const;

    ChunkServer* server_;
    std::shared_ptr<TcpConnection> connection_;
    Timer hello_timer_;
    std::string label_;
    // The process's count of chunk bytes sent to this client's peer, once it has said hello.
    metrics::Value* sent_bytes_ = nullptr;
    std::optional<Hello> hello_;
    ChunkSet offered_;
    bool awaiting_proof_ = false;
    bool admitted_ = false;  // past hello (and the secret handshake): lists and chunks may flow
    // A rescue, held back until the manifest is whole (it may be offered any chunk).
    bool awaiting_hashes_ = false;
    // How many chunk hashes the client has (the owner's manifest grows while it hashes).
    std::uint32_t hashes_sent_ = 0;
    // Dealt in this session and not requested yet (owner only).
    ChunkSet dealt_unrequested_;
    // Dealt with the last hashes, announced once every session has been dealt to.
    std::vector<ChunkId> dealt_with_hashes_;
    Nonce client_nonce_{};
    Nonce server_nonce_{};
    // Announced as on their way here, and requested by the client before this side held them.
    ChunkSet announced_coming_;
    ChunkSet waiting_;
    std::deque<ChunkId> queue_;
    // A report's claim of the whole file, believed only once the client's answer to its challenge
    // matches what this side computes from its own copy.
    struct Claim {
        Report report;
        Nonce nonce{};
        std::optional<Result<Digest>> expected;
        std::optional<Digest> answer;
    };
    std::optional<Claim> claim_;
    bool reading_ = false;
    std::size_t reading_bytes_ = 0;
    bool closed_ = false;
};

}  // namespace chunkswarm::net

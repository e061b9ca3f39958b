#include "chunkswarm/net/chunk_server.hpp"

#include <fcntl.h>

#include <algorithm>
#include <variant>

#include "chunkswarm/disk/prove_possession.hpp"
#include "chunkswarm/log.hpp"

namespace chunkswarm::net {
namespace {

// Chunks read per worker job: small enough that one client's share never holds a pool thread long.
constexpr std::size_t kChunksPerReadJob = 4;
// Every session may hold this much (or a quarter of the send budget, if less) whatever the budget
// says, so none is starved by the sessions that filled it first: on a slow link it drains slowly.
constexpr std::size_t kGuaranteedPerSession = 256 * 1024;
// Requests a client may have queued; an honest client stays within its request window.
constexpr std::size_t kMaxQueuedRequests = 4 * kMaxIdsPerMessage;

// Dealt chunks a client holds unrequested: each deal travels just ahead of the chunk whose request
// caused it, so a few are enough for the client never to wait for one, and a slow client keeps
// little that a faster one could have drawn.
// The share of the owner's capped upload a deal-first peer gets against any other (Report::deal_first).
constexpr double kDealFirstWeight = 64.0;
// A timer that fires this much past its time measured this process's own stall (stopped, or
// starved of CPU), not the other side's silence.
constexpr std::uint64_t kLateTimerSlackMs = 1000;

std::uint32_t deal_ahead(const Settings& settings) { return std::max(1u, settings.owner_request_window / 4); }

// Runs job->run() on libuv's pool, then job->finish() back on the loop, which owns the job from
// then on. Returns libuv's error if the job could not be queued (the job is dropped then).
template <class Job>
int queue_on_pool(uv_loop_t* loop, std::unique_ptr<Job> job)
{
    job->req.data = job.get();
    const int rc = uv_queue_work(
        loop, &job->req, [](uv_work_t* req) { static_cast<Job*>(req->data)->run(); },
        [](uv_work_t* req, int) {
            std::unique_ptr<Job> owned(static_cast<Job*>(req->data));
            owned->finish();
        });
    if (rc == 0) (void)job.release();  // reclaimed in the after-work callback
    return rc;
}

}  // namespace

ChunkServer::ChunkServer(uv_loop_t* loop, ServerContext context)
    : loop_(loop),
      context_(std::move(context)),
      listener_(loop, Role::server, context_.tls),
      heartbeat_(loop),
      upload_cap_(context_.settings.max_upload_rate, burst_for(context_.settings.max_upload_rate)),
      upload_cap_wait_(loop)
{
}

ChunkServer::~ChunkServer() { close(); }

Result<void> ChunkServer::listen(const Endpoint& bind)
{
    CS_TRY(listener_.listen(bind, [this](std::shared_ptr<TcpConnection> connection) {
        if (sessions_.size() >= context_.max_sessions) {
            refuse_overloaded(connection);
            return;
        }
        refusing_ = false;
        auto session = ServerSession::start(*this, std::move(connection));
        sessions_[session.get()] = session;
    }));
    if (upload_cap_.capped()) {
        log::event("rate_capped", {{"way", "send"}, {"bytes_per_s", context_.settings.max_upload_rate}},
                   "sending capped at {} bytes per second, to every client together (max_upload_rate)",
                   context_.settings.max_upload_rate);
    }
    // A third of the time a client waits before it counts a silent peer as gone.
    const std::uint64_t interval_ms = std::max<std::uint64_t>(500, context_.settings.neighbor_gone_s * 1000 / 3);
    heartbeat_.start(
        interval_ms, [this, interval_ms] { heartbeat(interval_ms); }, interval_ms);
    return {};
}

void ChunkServer::refuse_overloaded(const std::shared_ptr<TcpConnection>& connection)
{
    if (!refusing_) {
        refusing_ = true;
        log::warn_event("overloaded", {{"sessions", sessions_.size()}},
                        "holding {} connections (max_sessions); refusing more until some close", sessions_.size());
    }
    // A TLS client would read a plain frame as a broken record: it is closed, and tries again.
    if (context_.tls) {
        connection->close("too many connections");
        return;
    }
    connection->set_handlers([](Frame) {}, [](const std::string&) {});
    connection->start_reading();
    connection->fail(WireError::overloaded, "this side holds " + std::to_string(context_.max_sessions) +
                                                " connections already (max_sessions); try again later");
}

void ChunkServer::replace_older(const ServerSession& session)
{
    std::vector<std::shared_ptr<ServerSession>> older;
    for (const auto& [raw, other] : sessions_)
        if (other->same_client(session)) older.push_back(other);
    for (auto& other : older) {
        log::info("{} connected again from {}: its older connection from {} is closed", session.label_,
                  session.connection_->remote_address(), other->connection_->remote_address());
        other->connection_->fail(WireError::refused, "replaced by a newer connection of " + session.label_);
    }
}

void ChunkServer::heartbeat(std::uint64_t interval_ms)
{
    const std::uint64_t now = uv_now(loop_);
    // A beat far later than its interval means this process did not run (it was stopped or
    // starved): its clients' queues did not stall meanwhile.
    const bool late = last_heartbeat_ms_ != 0 && now - last_heartbeat_ms_ > 2 * interval_ms;
    last_heartbeat_ms_ = now;
    const std::uint64_t stall_limit_ms = std::uint64_t{context_.settings.give_up_s} * 1000;
    std::vector<std::shared_ptr<ServerSession>> sessions;
    for (const auto& [raw, session] : sessions_)
        sessions.push_back(session);
    for (auto& session : sessions) {
        if (late) session->connection_->forgive_send_stall();
        session->keep_alive(stall_limit_ms);
    }
}

OutFrame ChunkServer::manifest_frame()
{
    if (!context_.manifest->whole()) return encode_manifest(*context_.manifest);
    if (!manifest_frame_) manifest_frame_ = encode_manifest(*context_.manifest);
    return *manifest_frame_;
}

void ChunkServer::hashes_grew()
{
    // A copy: admitting a held-back session may close it (an offer refused).
    std::vector<std::shared_ptr<ServerSession>> sessions;
    for (const auto& [raw, session] : sessions_)
        sessions.push_back(session);
    std::vector<std::shared_ptr<ServerSession>> grown;
    for (auto& session : sessions)
        if (session->send_new_hashes()) grown.push_back(session);
    // Every client draws from its own share before any draws from another's, so the first one
    // dealt to cannot take the share of one dealt to after it.
    for (auto& session : grown)
        session->deal_after_hashes(DealFrom::own_share);
    for (auto& session : grown)
        session->deal_after_hashes(DealFrom::any_share);
    for (auto& session : grown)
        session->offer_after_hashes();
}

std::size_t ChunkServer::held_bytes() const
{
    std::size_t held = 0;
    for (const auto& [raw, session] : sessions_)
        held += session->held_bytes();
    return held;
}

bool ChunkServer::over_budget(std::size_t held)
{
    if (held < context_.settings.send_budget) return false;
    budget_waiters_ = true;
    return true;
}

void ChunkServer::wake_budget_waiters()
{
    if (!budget_waiters_) return;
    budget_waiters_ = false;
    pump_all_in_turn();
}

bool ChunkServer::within_upload_cap(ServerSession* session, std::size_t bytes)
{
    if (!upload_cap_.capped()) return true;
    // A helper is served from what the others leave: while one of them has chunks to send, it
    // waits, and wake_helpers() lets it try again once none has.
    if (session->helps() && others_have_work()) {
        helpers_waiting_ = true;
        return false;
    }
    const bool its_turn = cap_turns_.empty() || cap_turns_.front() == session;
    if (its_turn && upload_cap_.try_take(bytes, uv_now(loop_))) {
        if (!cap_turns_.empty()) cap_turns_.pop_front();
        cap_turns_.served(session, bytes, session->cap_weight());
        return true;
    }
    cap_turns_.enqueue(session, session->helps() ? TurnClass::helper : TurnClass::regular);
    if (!upload_cap_wait_.active()) {
        upload_cap_wait_.start(upload_cap_.wait_ms(uv_now(loop_)), [this] { take_cap_turns(); });
    }
    return false;
}

void ChunkServer::set_deal_first(PeerId peer_id, bool first)
{
    if (first) {
        deal_first_peers_.insert(peer_id);
    } else {
        deal_first_peers_.erase(peer_id);
    }
}

bool ChunkServer::others_have_work() const
{
    return std::any_of(sessions_.begin(), sessions_.end(),
                       [](const auto& entry) { return !entry.second->helps() && entry.second->has_sendable(); });
}

void ChunkServer::wake_helpers()
{
    if (!helpers_waiting_ || others_have_work()) return;
    helpers_waiting_ = false;
    std::vector<std::shared_ptr<ServerSession>> helpers;  // a copy: pumping may close one
    for (const auto& [raw, session] : sessions_)
        if (session->helps()) helpers.push_back(session);
    for (auto& helper : helpers)
        helper->pump_reads();
}

void ChunkServer::take_cap_turns()
{
    while (!cap_turns_.empty()) {
        ServerSession* front = cap_turns_.front();
        auto it = sessions_.find(front);
        if (it == sessions_.end()) {
            cap_turns_.pop_front();
            continue;
        }
        std::shared_ptr<ServerSession> keep = it->second;  // pumping may close it
        keep->pump_reads();
        if (cap_turns_.empty() || cap_turns_.front() != front) continue;  // it took its turn
        if (upload_cap_wait_.active()) return;                            // it waits for the cap to allow its read
        // It wants nothing now (over the budget, or nothing asked); it queues again when it does.
        cap_turns_.pop_front();
    }
}

void ChunkServer::pump_all_in_turn()
{
    // A copy: a session may close, and leave the map, while it is pumped. Each wake-up starts one
    // session further on, so the budget goes round instead of to the same sessions first.
    std::vector<std::shared_ptr<ServerSession>> sessions;
    for (const auto& [raw, session] : sessions_)
        sessions.push_back(session);
    if (sessions.empty()) return;
    const std::size_t first = next_to_wake_++ % sessions.size();
    for (std::size_t i = 0; i < sessions.size(); ++i)
        sessions[(first + i) % sessions.size()]->pump_reads();
}

void ChunkServer::announce_all()
{
    for (auto& [raw, session] : sessions_)
        session->announce();
}

void ChunkServer::close()
{
    heartbeat_.close();
    upload_cap_wait_.close();
    cap_turns_.clear();
    listener_.close();
    auto sessions = std::move(sessions_);
    sessions_.clear();
    for (auto& [raw, session] : sessions) {
        session->detach();
        session->close("server shutting down");
    }
}

void ChunkServer::forget(ServerSession* session)
{
    sessions_.erase(session);
    cap_turns_.forget(session);
    wake_budget_waiters();  // what it held is free now
    wake_helpers();
}

// Chunks served from a whole file (a peer's .part, the owner's source) are only brought into the
// page cache on the pool thread, and the loop hands them to the socket from there (sendfile);
// chunks in chunk files are read on the pool thread. Under TLS every chunk is read there, since
// its bytes must pass through the loop to be encrypted.
struct ServerSession::ReadJob {
    uv_work_t req{};
    std::shared_ptr<ServerSession> session;
    const ChunkStore* store = nullptr;
    const Manifest* manifest = nullptr;
    std::vector<ChunkId> ids;
    bool encrypted = false;
    // One per id: where it lies in a whole file, or its bytes read from its chunk file.
    std::vector<std::variant<ChunkStore::FileSpan, Result<std::vector<std::uint8_t>>>> pieces;

    // On a pool thread: touches only the job's own fields and the thread-safe store.
    void run()
    {
        for (ChunkId id : ids) {
            const std::uint32_t length = manifest->chunk_length(id);
            // ChunkStore::read reads the whole file too, where there is one.
            if (encrypted) {
                pieces.emplace_back(store->read(id, length));
            } else if (auto span = store->joined_span(id)) {
                ::readahead(span->file->get(), span->offset, length);
                pieces.emplace_back(std::move(*span));
            } else {
                pieces.emplace_back(store->read(id, length));
            }
        }
    }
    void finish() { session->on_read_done(*this); }
};

ServerSession::ServerSession(Passkey, ChunkServer& server, std::shared_ptr<TcpConnection> connection)
    : server_(&server),
      connection_(std::move(connection)),
      hello_timer_(server.loop_),
      label_(connection_->remote_address())
{
}

std::shared_ptr<ServerSession> ServerSession::start(ChunkServer& server, std::shared_ptr<TcpConnection> connection)
{
    auto session = std::make_shared<ServerSession>(Passkey{}, server, std::move(connection));
    std::weak_ptr<ServerSession> weak = session;
    session->connection_->set_handlers(
        [weak](Frame frame) {
            if (auto s = weak.lock()) s->on_frame(std::move(frame));
        },
        [weak](const std::string& reason) {
            if (auto s = weak.lock()) s->on_closed(reason);
        });
    session->connection_->set_drain_handler([weak] {
        auto s = weak.lock();
        if (!s) return;
        s->pump_reads();
        if (s->server_) s->server_->wake_budget_waiters();
    });
    session->connection_->start_reading();
    session->await_hello();
    log::debug("accepted a connection from {}", session->label_);
    return session;
}

// After a stall of this process the timer fires before the loop reads what came meanwhile, the
// hello too: the client gets the whole wait again.
void ServerSession::await_hello()
{
    uv_loop_t* loop = server_->loop_;
    const std::uint32_t timeout_s = server_->context_.settings.hello_timeout_s;
    const std::uint64_t due = uv_now(loop) + std::uint64_t{timeout_s} * 1000;
    hello_timer_.start(std::uint64_t{timeout_s} * 1000, [weak = weak_from_this(), loop, timeout_s, due] {
        auto s = weak.lock();
        if (!s || s->closed_) return;
        if (uv_now(loop) > due + kLateTimerSlackMs) {
            s->await_hello();
            return;
        }
        log::warn("{} sent no hello within {} s; closing the connection", s->label_, timeout_s);
        s->connection_->fail(WireError::timeout, "no hello within " + std::to_string(timeout_s) + " s");
    });
}

void ServerSession::detach()
{
    server_ = nullptr;
    closed_ = true;
}

void ServerSession::close(const std::string& reason) { connection_->close(reason); }

void ServerSession::on_closed(const std::string& reason)
{
    closed_ = true;
    hello_timer_.close();
    log::debug("connection with {} closed: {}", label_, reason);
    if (!server_) return;
    const ServerContext& context = server_->context_;
    if (context.on_activity) context.on_activity();
    if (dealing()) context.dealing->closed(hello_->peer_id);
    if (admitted_ && context.on_session_closed) context.on_session_closed(*hello_);
    server_->forget(this);  // may destroy this session; nothing follows
}

void ServerSession::on_frame(Frame frame)
{
    if (closed_) return;
    const ServerContext& context = server_->context_;
    auto message = parse_message(std::move(frame), Role::server, context.manifest);
    if (!message) {
        log::warn_event("bad_message", {{"from", label_}, {"error", message.error().message}},
                        "bad message from {}: {}; sending an error and closing the connection", label_,
                        message.error().message);
        connection_->fail(WireError::malformed, message.error().message);
        return;
    }
    if (context.on_activity) context.on_activity();
    if (admitted_ && context.on_heard) context.on_heard(*hello_);
    bool hello = std::holds_alternative<Hello>(message.value());
    bool auth = std::holds_alternative<Auth>(message.value());
    if (hello == hello_.has_value()) {
        connection_->fail(WireError::protocol, hello ? "hello sent twice" : "the first message must be hello");
        return;
    }
    // With a swarm secret, nothing but the client's proof is accepted until it has been checked.
    if (auth != awaiting_proof_) {
        connection_->fail(WireError::auth, auth ? "unexpected auth message" : "prove you know the swarm secret first");
        return;
    }
    if (reports_only() && !auth && !std::holds_alternative<Report>(message.value()) &&
        !std::holds_alternative<Possession>(message.value()) && !std::holds_alternative<ErrorMsg>(message.value())) {
        connection_->fail(WireError::protocol, "only reports are sent on a presence connection");
        return;
    }
    std::visit(
        [this](const auto& m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, Hello> || std::is_same_v<T, Request> || std::is_same_v<T, Done> ||
                          std::is_same_v<T, Auth> || std::is_same_v<T, Report> || std::is_same_v<T, Possession>) {
                handle(m);
            } else if constexpr (std::is_same_v<T, ErrorMsg>) {
                log::warn_event("error_received", {{"from", label_}, {"code", wire_error_name(m.code)}},
                                "{} reported an error ({}): {}", label_, wire_error_name(m.code), m.message);
                connection_->close("the other side reported an error");
            }
        },
        message.value());
}

void ServerSession::handle(const Hello& hello)
{
    const ServerContext& context = server_->context_;
    hello_ = hello;
    label_ = "peer " + to_string(hello.peer_id);
    if (context.metrics)
        sent_bytes_ = &context.metrics->at(metrics::family::sent_bytes, {{"to", to_string(hello.peer_id)}});
    if (context.secret.empty()) {
        admit();
        return;
    }
    if (!hello.nonce) {
        log::warn("refusing {} from {}: it did not offer the swarm secret handshake", label_,
                  connection_->remote_address());
        connection_->fail(WireError::auth, "this swarm needs its secret: set " + std::string(kSecretEnvVar) +
                                               " or the config's \"secret\"");
        return;
    }
    client_nonce_ = *hello.nonce;
    server_nonce_ = random_nonce();
    awaiting_proof_ = true;
    connection_->send(
        Auth{server_nonce_, auth_proof(context.secret, "server", client_nonce_, server_nonce_, hello.peer_id)});
}

void ServerSession::handle(const Auth& auth)
{
    const ServerContext& context = server_->context_;
    Digest expected = auth_proof(context.secret, "client", server_nonce_, client_nonce_, hello_->peer_id);
    if (!proofs_equal(auth.proof, expected)) {
        log::warn("{} from {} failed the swarm secret check; closing the connection", label_,
                  connection_->remote_address());
        connection_->fail(WireError::auth, "wrong swarm secret");
        return;
    }
    awaiting_proof_ = false;
    admit();
}

// Only a client that passed the handshake (if any) is looked up, so an outsider cannot take a
// share slot. Then the manifest and the chunk ID list follow.
void ServerSession::admit()
{
    server_->replace_older(*this);
    if (hello_->presence) {
        admit_presence();
        return;
    }
    // Such a client may be offered any chunk, and the owner offers only hashed ones.
    if (hello_->rescue && !server_->context_.manifest->whole()) {
        awaiting_hashes_ = true;
        hello_timer_.stop();
        log::info("{} waits for the last chunk hashes before it is served", label_);
        return;
    }
    awaiting_hashes_ = false;
    auto offered = server_->context_.offered_for(*hello_);
    if (!offered) {
        log::warn("refusing {} from {}: {}", label_, connection_->remote_address(), offered.error().message);
        connection_->fail(WireError::refused, offered.error().message);
        return;
    }
    offered_ = std::move(offered).value();
    announced_coming_ = ChunkSet(offered_.size());
    waiting_ = ChunkSet(offered_.size());
    admitted_ = true;
    hello_timer_.stop();
    const ServerContext& context = server_->context_;
    if (context.on_session_opened) context.on_session_opened(*hello_);
    if (dealing()) {
        context.dealing->opened(hello_->peer_id);
        dealt_unrequested_ = ChunkSet(context.manifest->chunk_count);
        // The first requests fill the client's window at once; the deal stays ahead of the rest.
        deal_up_to(context.settings.owner_request_window + deal_ahead(context.settings));
    }
    log::event("client_connected", {{"from", label_}, {"address", connection_->remote_address()}},
               "{} connected from {} and asked for the chunk ID list", label_, connection_->remote_address());
    connection_->send(server_->manifest_frame());
    hashes_sent_ = context.manifest->hashed();
    send_list();
    announce_coming();
}

// A presence connection carries only the client's reports: nothing is offered on it.
void ServerSession::admit_presence()
{
    const ServerContext& context = server_->context_;
    if (!context.on_report) {
        connection_->fail(WireError::refused, "this side takes no presence connections (only the owner does)");
        return;
    }
    if (auto known = context.offered_for(*hello_); !known) {
        log::warn("refusing reports from {} at {}: {}", label_, connection_->remote_address(), known.error().message);
        connection_->fail(WireError::refused, known.error().message);
        return;
    }
    admitted_ = true;
    hello_timer_.stop();
    label_ += " (presence)";
    if (context.on_session_opened) context.on_session_opened(*hello_);
    log::debug("{} reports its progress from {}", label_, connection_->remote_address());
}

void ServerSession::handle(const Report& report)
{
    if (!hello_->presence) {
        connection_->fail(WireError::protocol, "a report belongs on a presence connection");
        return;
    }
    if (report.complete) {
        challenge(report);
        return;
    }
    server_->set_deal_first(hello_->peer_id, report.deal_first);
    if (auto hint = server_->context_.on_report(*hello_, report)) connection_->send(Message{std::move(*hint)});
}

struct ServerSession::ProofJob {
    uv_work_t req{};
    std::shared_ptr<ServerSession> session;
    const ChunkStore* store = nullptr;
    const Manifest* manifest = nullptr;
    Nonce nonce{};
    PeerId peer_id;
    std::optional<Result<Digest>> result;

    void run() { result = disk::prove_possession(*store, *manifest, nonce, peer_id); }
    void finish() { session->on_proof_done(*this); }
};

void ServerSession::challenge(const Report& report)
{
    if (claim_) return;  // the one challenged already stands
    const ServerContext& context = server_->context_;
    claim_ = Claim{report, random_nonce(), std::nullopt, std::nullopt};
    auto job = std::make_unique<ProofJob>();
    job->session = shared_from_this();
    job->store = context.store;
    job->manifest = context.manifest;
    job->nonce = claim_->nonce;
    job->peer_id = hello_->peer_id;
    if (int rc = queue_on_pool(server_->loop_, std::move(job)); rc != 0) {
        connection_->fail(WireError::failed, std::string("cannot schedule a disk read: ") + uv_strerror(rc));
        return;
    }
    log::debug("{} says it holds the whole file; asking it to prove it", label_);
    connection_->send(Challenge{claim_->nonce});
}

void ServerSession::on_proof_done(ProofJob& job)
{
    if (closed_ || !server_ || !claim_ || claim_->nonce != job.nonce) return;
    claim_->expected = std::move(job.result);
    judge_claim();
}

void ServerSession::handle(const Possession& possession)
{
    if (!claim_ || claim_->answer) {
        connection_->fail(WireError::protocol, "a proof of possession that no challenge asked for");
        return;
    }
    claim_->answer = possession.proof;
    judge_claim();
}

void ServerSession::judge_claim()
{
    if (!claim_->expected || !claim_->answer) return;
    if (!*claim_->expected) {
        log::error("cannot check {}'s claim to hold the whole file: {}", label_, claim_->expected->error().message);
        connection_->fail(WireError::failed, "this side cannot read its own copy to check the claim");
        return;
    }
    if (!proofs_equal(claim_->expected->value(), *claim_->answer)) {
        log::warn_event("claim_refused", {{"peer", hello_->peer_id}, {"from", connection_->remote_address()}},
                        "{} at {} claims the whole file but its proof does not match the file's chunks; the claim "
                        "is ignored",
                        label_, connection_->remote_address());
        connection_->fail(WireError::refused, "your proof does not match the file: this peer does not hold it");
        return;
    }
    const Report report = std::move(claim_->report);
    server_->set_deal_first(hello_->peer_id, report.deal_first);
    (void)server_->context_.on_report(*hello_, report);
    connection_->close_after_flush("the peer holds the whole file");
}

void ServerSession::send_list()
{
    connection_->send(HaveList{offered_, server_->context_.upstream});
    log::event("list_sent", {{"to", label_}, {"count", offered_.count()}}, "sent chunk ID list to {}: {} chunk(s) [{}]",
               label_, offered_.count(), format_ids(offered_.ids()));
}

void ServerSession::announce()
{
    if (!admitted_ || closed_ || reports_only()) return;
    std::vector<ChunkId> fresh = take_fresh_offers();
    if (!fresh.empty()) send_have(fresh);
    announce_coming();
    pump_reads();  // for the requests that waited
}

std::vector<ChunkId> ServerSession::take_fresh_offers()
{
    auto now = server_->context_.offered_for(*hello_);
    if (!now) return {};
    std::vector<ChunkId> fresh = now.value().minus(offered_);
    for (ChunkId id : fresh) {
        offered_.insert(id);
        if (waiting_.erase(id)) queue_.push_back(id);
    }
    return fresh;
}

bool ServerSession::send_new_hashes()
{
    if (closed_ || !server_) return false;
    const Manifest& manifest = *server_->context_.manifest;
    if (awaiting_hashes_) {
        if (manifest.whole()) admit();
        return false;
    }
    if (!admitted_ || reports_only() || hashes_sent_ >= manifest.hashed()) return false;
    const auto from = manifest.chunk_sha256.begin() + hashes_sent_;
    connection_->send(Hashes{hashes_sent_, std::vector<Digest>(from, manifest.chunk_sha256.end())});
    log::debug("sent {} the hashes of chunks {}..{}", label_, hashes_sent_, manifest.hashed() - 1);
    hashes_sent_ = manifest.hashed();
    return true;
}

void ServerSession::deal_after_hashes(DealFrom from)
{
    if (closed_ || !dealing()) return;
    const Settings& settings = server_->context_.settings;
    // A client with nothing to ask for waits for these; one still busy needs the usual margin.
    const bool starved = queue_.empty() && !reading_;
    const std::uint32_t target = deal_ahead(settings) + (starved ? settings.owner_request_window : 0);
    for (ChunkId id : deal_up_to(target, from))
        dealt_with_hashes_.push_back(id);
}

void ServerSession::offer_after_hashes()
{
    if (closed_ || !server_ || reports_only()) return;
    std::vector<ChunkId> dealt = std::move(dealt_with_hashes_);
    dealt_with_hashes_.clear();
    std::sort(dealt.begin(), dealt.end());
    if (!server_->context_.manifest->whole()) {
        send_have(dealt);
        return;
    }
    // With the last hashes, the whole list again: a client that holds all it was offered decides
    // on this list whether it is finished, so it must already name every chunk offered now.
    take_fresh_offers();
    send_list();
    pump_reads();
}

void ServerSession::keep_alive(std::uint64_t stall_limit_ms)
{
    if (closed_ || connection_->closing()) return;
    if (connection_->send_stalled_ms() >= stall_limit_ms) {
        // An error frame would wait behind what the client does not read: it is closed at once.
        log::warn_event("client_stalled", {{"from", label_}, {"queued", connection_->queued_bytes()}},
                        "{} has read nothing of the {} bytes waiting for it for {} s; closing that connection", label_,
                        connection_->queued_bytes(), stall_limit_ms / 1000);
        connection_->close("it read nothing for " + std::to_string(stall_limit_ms / 1000) + " s");
        return;
    }
    if (!admitted_ || reading_ || connection_->queued_bytes() > 0) return;
    connection_->send(Ping{});
}

bool ServerSession::same_client(const ServerSession& other) const
{
    if (this == &other || closed_ || !hello_ || !other.hello_ || !(admitted_ || awaiting_hashes_)) return false;
    const Hello& a = *hello_;
    const Hello& b = *other.hello_;
    return a.peer_id == b.peer_id && a.presence == b.presence && a.rescue == b.rescue && a.helper == b.helper &&
           a.skipped.empty() == b.skipped.empty();
}

void ServerSession::announce_coming()
{
    if (!server_->context_.coming) return;
    ChunkSet coming = server_->context_.coming();
    std::vector<ChunkId> fresh;
    for (ChunkId id : coming.minus(offered_))
        if (announced_coming_.insert(id)) fresh.push_back(id);
    for (auto& piece : split_for_messages(fresh)) {
        log::event("coming_sent", {{"to", label_}, {"count", piece.size()}},
                   "told {} these chunks are on their way here: [{}]", label_, format_ids(piece));
        connection_->send(Coming{std::move(piece)});
    }
}

double ServerSession::cap_weight() const
{
    const bool first = dealing() && server_->deal_first_peers_.contains(hello_->peer_id);
    return first ? kDealFirstWeight : 1.0;
}

bool ServerSession::dealing() const
{
    return admitted_ && !hello_->rescue && !hello_->presence && server_ && server_->context_.dealing;
}

std::vector<ChunkId> ServerSession::deal_up_to(std::uint32_t target, DealFrom from)
{
    const std::uint32_t have = dealt_unrequested_.count();
    if (have >= target) return {};
    std::vector<ChunkId> ids = server_->context_.dealing->deal(hello_->peer_id, target - have, from);
    for (ChunkId id : ids) {
        offered_.insert(id);
        dealt_unrequested_.insert(id);
    }
    return ids;
}

void ServerSession::send_have(const std::vector<ChunkId>& ids)
{
    for (auto& piece : split_for_messages(ids)) {
        log::event("list_update_sent", {{"to", label_}, {"count", piece.size()}},
                   "sent chunk ID list update to {}: [{}]", label_, format_ids(piece));
        connection_->send(Have{std::move(piece)});
    }
}

void ServerSession::handle(const Request& request)
{
    log::event("request_received", {{"from", label_}, {"count", request.ids.size()}},
               "received request from {} for chunks [{}]", label_, format_ids(request.ids));
    for (ChunkId id : request.ids) {
        if (!offered_.contains(id) && !announced_coming_.contains(id)) {
            std::string reason = "requested chunk " + to_string(id) + ", which this side never offered";
            log::warn_event("request_refused", {{"from", label_}, {"chunk", id}}, "{} {}; closing the connection",
                            label_, reason);
            connection_->fail(WireError::protocol, reason);
            return;
        }
    }
    if (queue_.size() + waiting_.count() + request.ids.size() > kMaxQueuedRequests) {
        connection_->fail(WireError::overloaded,
                          "more than " + std::to_string(kMaxQueuedRequests) + " chunk requests outstanding");
        return;
    }
    // A chunk on its way here is sent when it lands (announce()).
    for (ChunkId id : request.ids) {
        if (offered_.contains(id)) {
            queue_.push_back(id);
        } else {
            waiting_.insert(id);
        }
    }
    if (dealing()) {
        for (ChunkId id : request.ids)
            dealt_unrequested_.erase(id);
        // Sent before this request's chunks, so the client can ask again as soon as they land.
        if (auto dealt = deal_up_to(deal_ahead(server_->context_.settings)); !dealt.empty()) {
            std::sort(dealt.begin(), dealt.end());
            send_have(dealt);
        }
    }
    pump_reads();
}

void ServerSession::handle(const Done& done)
{
    log::info("{} is done with this side ({})", label_,
              done.complete ? "it holds the whole file" : "it has all it wanted from here");
    server_->context_.on_done(*hello_, done);
    // Closing here, after the client's FIN, is what lets the client finish without a reset.
    connection_->close_after_flush("the client is done");
}

std::size_t ServerSession::held_bytes() const { return connection_->queued_bytes() + reading_bytes_; }

void ServerSession::pump_reads()
{
    start_read();
    // Helpers may take what this session leaves of the upload cap once it has nothing to send.
    if (server_ && !helps() && !has_sendable()) server_->wake_helpers();
}

bool ServerSession::has_sendable() const
{
    return !closed_ && server_ && !queue_.empty() && !connection_->closing() &&
           connection_->queued_bytes() < server_->context_.settings.send_high_watermark;
}

void ServerSession::start_read()
{
    if (closed_ || server_ == nullptr) return;
    const ServerContext& context = server_->context_;
    if (reading_ || connection_->closing() || queue_.empty() ||
        connection_->queued_bytes() >= context.settings.send_high_watermark) {
        return;
    }
    const std::size_t guaranteed = std::min<std::size_t>(kGuaranteedPerSession, context.settings.send_budget / 4);
    const std::size_t held_by_all = server_->held_bytes();
    const bool over_budget = server_->over_budget(held_by_all);
    // The guarantee holds up to twice the budget: past that, clients that read nothing, each
    // holding its guarantee, would grow the process with their number.
    if (over_budget && (held_bytes() >= guaranteed || held_by_all >= 2 * std::size_t{context.settings.send_budget})) {
        return;
    }
    // Past the budget a session reads one chunk at a time, so that the guarantee, not the batch
    // size, bounds what it holds (with 32 clients, batches on top of the guarantee took the
    // owner's peak to 33 MiB).
    // Under max_upload_rate too: the cap, not the disk, sets the pace, and sessions take the cap in
    // turns of one read each, so four chunks a turn would keep the hundredth peer waiting 20 s at
    // 2 MB/s for its first chunk.
    const std::size_t chunks_per_job = over_budget || server_->upload_cap_.capped() ? 1 : kChunksPerReadJob;
    std::size_t job_bytes = 0;
    for (std::size_t i = 0; i < std::min(chunks_per_job, queue_.size()); ++i)
        job_bytes += context.manifest->chunk_length(queue_[i]);
    if (!server_->within_upload_cap(this, job_bytes)) return;
    auto job = std::make_unique<ReadJob>();
    job->session = shared_from_this();
    job->store = context.store;
    job->manifest = context.manifest;
    job->encrypted = connection_->encrypted();
    while (!queue_.empty() && job->ids.size() < chunks_per_job) {
        job->ids.push_back(queue_.front());
        queue_.pop_front();
    }
    reading_bytes_ += job_bytes;
    if (int rc = queue_on_pool(server_->loop_, std::move(job)); rc != 0) {
        connection_->fail(WireError::failed, std::string("cannot schedule a disk read: ") + uv_strerror(rc));
        return;
    }
    reading_ = true;
}

void ServerSession::unreadable(ChunkId id, const std::string& why)
{
    log::error("cannot serve chunk {} to {}: {}; closing that connection", id, label_, why);
    if (server_->context_.on_unreadable) server_->context_.on_unreadable(id, why);
}

void ServerSession::on_read_done(ReadJob& job)
{
    reading_ = false;
    reading_bytes_ = 0;
    for (std::size_t i = 0; i < job.ids.size(); ++i) {
        if (closed_ || connection_->closing()) return;
        const ChunkId id = job.ids[i];
        const std::uint32_t length = job.manifest->chunk_length(id);
        if (auto* span = std::get_if<ChunkStore::FileSpan>(&job.pieces[i])) {
            if (!connection_->send_from_file(encode_chunk_head(id, length), span->file->get(), span->offset, length)) {
                unreadable(id, connection_->close_reason());
                return;
            }
        } else if (auto& read = std::get<Result<std::vector<std::uint8_t>>>(job.pieces[i]); !read) {
            connection_->fail(
                ErrorMsg{"this side cannot read chunk " + to_string(id), id, WireError::unreadable_chunk});
            unreadable(id, read.error().message);
            return;
        } else {
            connection_->send(encode_chunk(id, std::move(read).value()));
        }
        if (sent_bytes_) sent_bytes_->add(length);
        if (server_->context_.sent_total) server_->context_.sent_total->add(length);
        log::event("chunk_sent", {{"chunk", id}, {"to", label_}, {"bytes", length}}, "sent chunk {} to {} ({} bytes)",
                   id, label_, length);
    }
    pump_reads();
}

}  // namespace chunkswarm::net

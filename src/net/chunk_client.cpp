#include "chunkswarm/net/chunk_client.hpp"

#include "chunkswarm/log.hpp"

namespace chunkswarm::net {
namespace {

// One connect attempt without an answer this long is abandoned and tried again (clients that
// detect a gone peer use their own, shorter, limit).
constexpr std::uint32_t kConnectAttemptTimeoutS = 10;

}  // namespace

ChunkClient::ChunkClient(uv_loop_t* loop, ClientOptions options, std::unique_ptr<ClientKind> kind)
    : loop_(loop),
      options_(std::move(options)),
      kind_(std::move(kind)),
      handshake_(options_.secret, options_.self_id),
      retry_timer_(loop),
      stall_timer_(loop),
      silence_timer_(loop),
      backoff_(options_.settings.retry_initial_ms, options_.settings.retry_max_ms,
               std::uint64_t{options_.connect_timeout_s} * 1000)
{
    metrics::Registry& registry = options_.metrics ? *options_.metrics : own_metrics_;
    const metrics::Labels from{{"from", metrics::remote_value(options_.remote_label)}};
    const metrics::Labels to{{"to", metrics::remote_value(options_.remote_label)}};
    metrics_ =
        Metrics{&registry.at(metrics::family::received_bytes, from), &registry.at(metrics::family::hash_failures, from),
                &registry.at(metrics::family::reconnects, to), &registry.at(metrics::family::requests_in_flight, to)};
}

ChunkClient::~ChunkClient()
{
    drop_connection("client shut down");
    metrics_.requests_in_flight->add(-metrics_.in_flight_reported);
}

std::uint64_t ChunkClient::now_ms() const { return uv_now(loop_); }

void ChunkClient::start()
{
    started_ms_ = now_ms();
    attempt();
}

void ChunkClient::drop_connection(const std::string& reason)
{
    if (!connection_) return;
    connection_->set_handlers(nullptr, nullptr);
    connection_->close(reason);
    connection_.reset();
}

void ChunkClient::attempt()
{
    auto address = to_sockaddr(options_.remote);
    if (!address) {
        end(address.error());
        return;
    }
    connection_ = TcpConnection::create(loop_, Role::client);
    if (options_.download_cap) connection_->limit_reads(options_.download_cap);
    connection_->set_handlers([this](Frame frame) { on_frame(std::move(frame)); },
                              [this](const std::string& reason) { on_closed(reason); });
    connection_->connect(address.value(), [this](int status) { on_connected(status); });
    // A host behind a cut link answers nothing, and the kernel gives up on a connect only after
    // about two minutes; a gone peer must be noticed in seconds.
    const std::uint32_t limit_s = options_.gone_after_s ? options_.gone_after_s : kConnectAttemptTimeoutS;
    stall_timer_.start(std::uint64_t{limit_s} * 1000, [this, limit_s] {
        drop_connection("connect timed out");
        if (ended_as_needless()) return;
        retry_later("no answer to connect within " + std::to_string(limit_s) + " s");
    });
}

void ChunkClient::end_gone(const std::string& reason)
{
    end(make_error(options_.remote_label + " at " + options_.remote.to_string() + " " + reason, ErrorCode::peer_gone));
}

bool ChunkClient::gone_while_unreachable(const std::string& why)
{
    if (options_.gone_after_s == 0) return false;
    const std::uint64_t now = now_ms();
    if (lost_at_ms_ && now >= *lost_at_ms_ + std::uint64_t{options_.gone_after_s} * 1000) {
        end_gone("has been unreachable for " + std::to_string(options_.gone_after_s) + " s after it had been up (" +
                 why + ")");
        return true;
    }
    if (!ever_connected_ && options_.never_up_gone_after_s != 0 &&
        now >= started_ms_ + std::uint64_t{options_.never_up_gone_after_s} * 1000) {
        end_gone("has not been reachable in " + std::to_string(options_.never_up_gone_after_s) + " s (" + why + ")");
        return true;
    }
    return false;
}

void ChunkClient::retry_later(const std::string& why)
{
    if (gone_while_unreachable(why)) return;
    auto delay = backoff_.next_delay(now_ms());
    if (!delay) {
        const std::string budget = std::to_string(options_.connect_timeout_s) + " s (" + why + ")";
        // A peer out of reach for the whole budget is gone, whatever the gone limits say: the
        // route goes round it rather than the peer giving up.
        if (options_.gone_after_s != 0) {
            end_gone("could not be reached within " + budget);
            return;
        }
        end(make_error("could not reach " + options_.remote_label + " at " + options_.remote.to_string() + " within " +
                       budget));
        return;
    }
    if (!reported_waiting_) {
        log::event("waiting", {{"for", options_.remote_label}, {"budget_s", options_.connect_timeout_s}},
                   "waiting for {} at {} ({}); retrying for up to {} s", options_.remote_label,
                   options_.remote.to_string(), why, options_.connect_timeout_s);
        reported_waiting_ = true;
    } else {
        log::debug("{} not reachable yet ({}); next try in {} ms", options_.remote_label, why, *delay);
    }
    retry_timer_.start(*delay, [this] { attempt(); });
}

void ChunkClient::on_connected(int status)
{
    stall_timer_.stop();  // the connect timeout
    if (status != 0) {
        drop_connection("connect failed");
        if (ended_as_needless()) return;
        retry_later(uv_strerror(status));
        return;
    }
    backoff_.reset();
    reported_waiting_ = false;
    ever_connected_ = true;
    lost_at_ms_.reset();
    log::event("connected", {{"to", options_.remote_label}}, "connected to {} at {}; asking for its chunk ID list",
               options_.remote_label, options_.remote.to_string());
    if (options_.tls) connection_->use_tls(options_.tls, TlsSide::client);
    connection_->start_reading();
    ClientKind::Ask ask = kind_->ask();
    connection_->send(Hello{.peer_id = options_.self_id,
                            .nonce = handshake_.start(),
                            .rescue = ask.rescue,
                            .skipped = std::move(ask.skipped),
                            .presence = false,
                            .helper = ask.helper});
    watch_for_stall();  // a paused process still accepts connections, but never answers
    expect_to_hear();
}

// A live peer's server sends something (a ping at least) several times per gone_after_s.
void ChunkClient::expect_to_hear()
{
    if (options_.gone_after_s == 0 || !connection_ || finishing_) return;
    silence_timer_.start(std::uint64_t{options_.gone_after_s} * 1000, [this] {
        end_gone("has sent nothing for " + std::to_string(options_.gone_after_s) +
                 " s, not even a ping (paused, or its link is down)");
    });
}

void ChunkClient::on_closed(const std::string& reason)
{
    const bool tls_refused = connection_ && connection_->tls_refused();
    connection_.reset();
    silence_timer_.stop();
    if (ended_) return;
    // As with a server that fails the secret's proof: another swarm, not a passing fault.
    if (tls_refused) {
        end(make_error(options_.remote_label + " is not a member of this swarm: " + reason));
        return;
    }
    if (finishing_) {
        end({});
        return;
    }
    if (!lost_at_ms_) lost_at_ms_ = now_ms();
    log::warn("lost the connection to {} ({}); reconnecting{}", options_.remote_label, reason,
              options_.gone_after_s
                  ? " (it counts as gone if it cannot be reached for " + std::to_string(options_.gone_after_s) + " s)"
                  : "");
    reconnect(reason);
}

void ChunkClient::reconnect(const std::string& reason)
{
    drop_connection(reason);
    stall_timer_.stop();
    silence_timer_.stop();
    if (planner_) planner_->on_disconnect();
    report_in_flight();
    metrics_.reconnects->add(1);
    have_list_ = false;
    retry_later(reason);
}

// Armed while requests are outstanding and pushed back only by a chunk arriving (handle(ChunkData)
// stops it first), so a neighbour that keeps announcing but never answers cannot hold it off.
void ChunkClient::watch_for_stall()
{
    const bool awaiting_list = connection_ && !have_list_;
    // A peer owes only the chunks it holds: those requested ahead wait on its own upstream, which
    // may itself be gone (it routes around that, and is not gone for it).
    const bool gone_mode = options_.gone_after_s != 0;
    const bool awaiting_chunks = planner_ && (gone_mode ? planner_->answerable_in_flight() : planner_->in_flight()) > 0;
    if (finishing_ || (!awaiting_chunks && !(awaiting_list && options_.gone_after_s))) {
        stall_timer_.stop();
        return;
    }
    if (stall_timer_.active()) return;
    std::uint32_t timeout_s = gone_mode ? options_.gone_after_s : options_.settings.request_timeout_s;
    std::uint64_t timeout_ms = std::uint64_t{timeout_s} * 1000;
    // A peer answers hello only once it trades, after its first chunk from the owner: one that has
    // never answered is waited for as one never up (at 100 peers behind one owner link, the first
    // chunk took some peers more than neighbor_gone_s, and the peers after them routed around them).
    if (gone_mode && awaiting_list && !ever_answered_ && options_.never_up_gone_after_s != 0) {
        timeout_s = options_.never_up_gone_after_s;
        const std::uint64_t deadline = started_ms_ + std::uint64_t{timeout_s} * 1000;
        const std::uint64_t now = now_ms();
        timeout_ms = deadline > now ? deadline - now : 0;
    }
    stall_timer_.start(timeout_ms, [this, timeout_s, gone_mode] {
        std::string reason = !have_list_
                                 ? (ever_answered_ ? "did not answer hello for " : "has not answered hello in ") +
                                       std::to_string(timeout_s) + " s"
                                 : "sent no chunk for " + std::to_string(timeout_s) + " s with " +
                                       std::to_string(planner_->answerable_in_flight()) +
                                       " request(s) for chunks it holds outstanding";
        if (gone_mode) {
            end_gone(reason + " (paused, or its link is down)");
            return;
        }
        log::warn("{} {}; reconnecting to ask again", options_.remote_label, reason);
        reconnect(reason);
    });
}

void ChunkClient::on_frame(Frame frame)
{
    expect_to_hear();
    auto message = parse_message(std::move(frame), Role::client, manifest_ ? &*manifest_ : nullptr);
    if (!message) {
        log::warn_event("bad_message", {{"from", options_.remote_label}, {"error", message.error().message}},
                        "bad message from {}: {}; closing the connection", options_.remote_label,
                        message.error().message);
        connection_->fail(WireError::malformed, message.error().message);
        return;
    }
    if (handshake_.awaiting_proof() || std::holds_alternative<Auth>(message.value())) {
        on_handshake_message(message.value());
        return;
    }
    if (!manifest_ && !std::holds_alternative<ManifestMsg>(message.value()) &&
        !std::holds_alternative<ErrorMsg>(message.value())) {
        connection_->fail(WireError::protocol, "expected the manifest first");
        return;
    }
    std::visit(
        [this](auto& m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, ManifestMsg> || std::is_same_v<T, HaveList> || std::is_same_v<T, Have> ||
                          std::is_same_v<T, Coming> || std::is_same_v<T, ChunkData> || std::is_same_v<T, Hashes>) {
                handle(m);
            } else if constexpr (std::is_same_v<T, ErrorMsg>) {
                on_error_message(m);
            }
        },
        message.value());
}

// With a swarm secret, the server must prove it knows it before any of its data is accepted;
// a server that cannot is an outsider (or holds another secret) and is not tried again.
void ChunkClient::on_handshake_message(const Message& message)
{
    if (const auto* error = std::get_if<ErrorMsg>(&message)) {
        on_error_message(*error);
        return;
    }
    const auto* auth = std::get_if<Auth>(&message);
    auto proof = auth ? handshake_.answer(auth->nonce, auth->proof, options_.remote_label)
                      : handshake_.answer(std::nullopt, Digest{}, options_.remote_label);
    if (!proof) {
        end(proof.error());
        return;
    }
    connection_->send(Auth{std::nullopt, proof.value()});
}

// Refused before the manifest (wrong swarm, unknown id, swarm full): trying again cannot help,
// unless the server only holds too many connections now, or found the hello late (a slow link, or
// the server's own stall). Later, an error ends only this connection.
void ChunkClient::on_error_message(const ErrorMsg& message)
{
    const std::string_view code = wire_error_name(message.code);
    const bool retry = have_list_ || message.code == WireError::overloaded || message.code == WireError::timeout;
    log::warn_event("error_received", {{"from", options_.remote_label}, {"code", code}},
                    "{} reported an error ({}): {}{}", options_.remote_label, code, message.message,
                    retry ? "; reconnecting" : "");
    if (!retry) {
        end(make_error(options_.remote_label + " refused: " + message.message));
        return;
    }
    // A chunk the server listed but cannot send counts like a damaged one, so a neighbour that
    // lists what it does not have cannot stall this peer for ever.
    if (message.chunk && planner_ && planner_->take_in_flight(*message.chunk) &&
        !count_failure(*message.chunk, ChunkFailure::unserved)) {
        return;
    }
    reconnect(message.message);
}

void ChunkClient::handle(const ManifestMsg& message)
{
    if (auto accepted = kind_->accept_manifest(message.manifest); !accepted) {
        connection_->fail(WireError::refused, accepted.error().message);
        end(accepted.error());
        return;
    }
    if (!manifest_) {
        manifest_ = message.manifest;
        planner_.emplace(kind_->local_chunks(), options_.settings.request_window, options_.seed);
    } else if (message.manifest.hashed() > manifest_->hashed()) {
        // A reconnect while the owner hashes: this one carries more (accepted, so it agrees).
        const std::uint32_t first = manifest_->hashed();
        manifest_->chunk_sha256.assign(message.manifest.chunk_sha256.begin(), message.manifest.chunk_sha256.end());
        if (kind_->takes_hashes()) grow_checked(first);
    }
}

void ChunkClient::handle(const Hashes& message)
{
    // parse_message() checked that they follow on, so this cannot fail.
    const std::uint32_t first = message.first;
    if (auto grown = append_hashes(*manifest_, first, message.hashes); !grown) {
        connection_->fail(WireError::malformed, grown.error().message);
        return;
    }
    if (!kind_->takes_hashes()) {
        connection_->fail(WireError::protocol, "chunk hashes after the manifest come only from the owner");
        return;
    }
    // Whether it is finished is decided on the list that follows the last hashes, which names
    // everything offered by then (a check here would come before that list).
    if (grow_checked(first)) pump();
}

bool ChunkClient::grow_checked(std::uint32_t first)
{
    if (auto accepted = kind_->accept_hashes(*manifest_, first); !accepted) {
        connection_->fail(WireError::refused, accepted.error().message);
        end(accepted.error());
        return false;
    }
    return true;
}

void ChunkClient::handle(const HaveList& message)
{
    log::event("list_received", {{"from", options_.remote_label}, {"count", message.have.count()}},
               "received chunk ID list from {}: {} chunk(s) [{}]", options_.remote_label, message.have.count(),
               format_ids(message.have.ids()));
    if (ever_answered_) catch_up_with_local();
    planner_->on_remote_list(message.have);
    have_list_ = true;
    ever_answered_ = true;
    if (message.upstream) kind_->on_upstream(*message.upstream);
    pump();
    check_finished();
}

void ChunkClient::handle(const Have& message)
{
    log::event("list_update_received", {{"from", options_.remote_label}, {"count", message.ids.size()}},
               "received chunk ID list update from {}: [{}]", options_.remote_label, format_ids(message.ids));
    for (ChunkId id : message.ids)
        planner_->on_remote_have(id);
    remote_gains_ += static_cast<std::uint32_t>(message.ids.size());
    pump();
}

void ChunkClient::handle(const Coming& message)
{
    log::event("coming_received", {{"from", options_.remote_label}, {"count", message.ids.size()}},
               "{} says these chunks are on their way to it: [{}]", options_.remote_label, format_ids(message.ids));
    for (ChunkId id : message.ids)
        if (!kind_->requested_elsewhere(id)) planner_->on_remote_coming(id);
    pump();
}

void ChunkClient::handle(ChunkData& message)
{
    const ChunkId id = message.id;
    // Unasked-for data is refused, not stored; the requested chunks on the same connection still
    // count, so a neighbour that also sends junk cannot starve this peer.
    if (!planner_->take_in_flight(id)) {
        log::warn_event("chunk_unrequested", {{"chunk", id}, {"from", options_.remote_label}},
                        "{} sent chunk {}, which was not requested (or was already answered); ignored",
                        options_.remote_label, id);
        return;
    }
    stall_timer_.stop();  // an answer arrived: the wait starts again from now
    if (planner_->local().contains(id)) {
        log::debug("chunk {} from {} came through another source first; dropped", id, options_.remote_label);
        pump();
        check_finished();
        return;
    }
    if (sha256(message.bytes) != manifest_->chunk_hash(id)) {
        metrics_.hash_failures->add(1);
        if (count_failure(id, ChunkFailure::hash)) pump();
        return;
    }
    if (auto stored = kind_->store_chunk(id, message.bytes); !stored) {
        connection_->close("cannot store chunks");
        end(stored.error());
        return;
    }
    planner_->on_stored(id);
    metrics_.received_bytes->add(static_cast<std::int64_t>(message.bytes.size()));
    const std::size_t held = options_.held_count ? options_.held_count() : planner_->local().count();
    log::event("chunk_received",
               {{"chunk", id},
                {"from", options_.remote_label},
                {"bytes", message.bytes.size()},
                {"held", held},
                {"total", manifest_->chunk_count}},
               "received chunk {} from {} ({} bytes, SHA-256 ok; {}/{} held)", id, options_.remote_label,
               message.bytes.size(), held, manifest_->chunk_count);
    if (auto next = kind_->after_stored(id); !next) {
        connection_->close(next.error().message);
        end(next.error());
        return;
    }
    pump();
    check_finished();
}

// Counts a failed try for `id` from this remote; at the limit, gives up on it here and hands it to
// whoever runs the client. Returns false if that ended the client.
bool ChunkClient::count_failure(ChunkId id, ChunkFailure failure)
{
    const bool hash = failure == ChunkFailure::hash;
    const char* what = hash ? "failed its SHA-256 check" : "could not be served";
    const std::uint32_t tries = planner_->on_rejected(id);
    const std::uint32_t limit = options_.settings.max_chunk_failures;
    kind_->on_bad_chunk(id);
    log::warn_event(
        "chunk_failed",
        {{"chunk", id}, {"from", options_.remote_label}, {"why", hash ? "hash" : "unserved"}, {"try", tries}},
        "chunk {} from {} {} (try {} of {})", id, options_.remote_label, what, tries, limit);
    if (tries < limit) {
        log::debug("requesting chunk {} again", id);
        return true;
    }
    planner_->give_up_on(id);
    if (!kind_->take_given_up(id)) {
        end(make_error("chunk " + to_string(id) + " from " + options_.remote_label + " " + what + " " +
                       std::to_string(tries) + " times"));
        return false;
    }
    log::warn_event("chunk_to_owner", {{"chunk", id}, {"from", options_.remote_label}, {"tries", tries}},
                    "chunk {} from {} {} {} times; asking the owner for it instead", id, options_.remote_label, what,
                    tries);
    return true;
}

// A reconnect starts from what the peer holds now: other clients may have brought chunks meanwhile,
// and not every client hears of them (the bootstrap's owner session runs on a thread of its own).
void ChunkClient::catch_up_with_local()
{
    const ChunkSet local = kind_->local_chunks();
    for (ChunkId id : local.ids())
        planner_->on_stored_elsewhere(id);
}

void ChunkClient::note_stored_elsewhere(ChunkId id)
{
    if (!planner_ || ended_) return;
    planner_->on_stored_elsewhere(id);
    check_finished();
}

void ChunkClient::set_window(std::uint32_t window)
{
    options_.settings.request_window = window;
    if (planner_) planner_->set_window(window);
}

void ChunkClient::poke()
{
    if (planner_ && have_list_ && !ended_) pump();
}

void ChunkClient::pump()
{
    if (connection_ && !finishing_) request_more();
    report_in_flight();
}

void ChunkClient::request_more()
{
    std::vector<ChunkId> ids = planner_->next_requests([this](ChunkId id) { return kind_->claimed_elsewhere(id); });
    if (!ids.empty()) kind_->on_requested(ids);
    for (auto& piece : split_for_messages(ids)) {
        log::event("chunks_requested", {{"from", options_.remote_label}, {"count", piece.size()}},
                   "requested chunks [{}] from {}", format_ids(piece), options_.remote_label);
        connection_->send(Request{std::move(piece)});
    }
    watch_for_stall();
}

void ChunkClient::report_in_flight()
{
    const std::int64_t now = planner_ && !ended_ ? planner_->in_flight() : 0;
    metrics_.requests_in_flight->add(now - metrics_.in_flight_reported);
    metrics_.in_flight_reported = now;
}

void ChunkClient::check_finished()
{
    // While the owner hashes, more of the file is still to be offered.
    if (finishing_ || ended_ || !have_list_ || !manifest_->whole() || !kind_->is_finished(*planner_)) return;
    finishing_ = true;
    stall_timer_.stop();
    silence_timer_.stop();
    if (auto finished = kind_->on_finished(*planner_); !finished) {
        end(finished.error());
        return;
    }
    connection_->send(Done{planner_->complete() && !kind_->ask().helper});
    // The server closes once it has read "done"; the connection bounds the wait if it never does.
    connection_->shutdown_and_drain("finished");
}

// The other clients brought everything while this one was cut off (the bootstrap's owner session
// hears nothing of what the neighbours bring), and its remote does not answer: waiting for it
// would only hold up the peer's end, by as much as the whole connect budget. A remote that does
// answer is told "done" as usual (its upstream peer may leave on that).
bool ChunkClient::ended_as_needless()
{
    if (!planner_ || !manifest_->whole() || kind_->local_chunks().count() < manifest_->chunk_count) return false;
    log::info("holds every chunk; not trying {} again", options_.remote_label);
    finishing_ = true;
    end(kind_->on_finished(*planner_));
    return true;
}

void ChunkClient::abort(const std::string& reason) { end(make_error(reason)); }

void ChunkClient::end(const Result<void>& result)
{
    if (ended_) return;
    ended_ = true;
    report_in_flight();
    retry_timer_.stop();
    stall_timer_.stop();
    silence_timer_.stop();
    if (!result.ok()) drop_connection(result.error().message);
    kind_->on_end(result);
}

}  // namespace chunkswarm::net

#include "chunkswarm/net/presence_link.hpp"

#include <algorithm>
#include <limits>

#include "chunkswarm/log.hpp"

namespace chunkswarm::net {

PresenceLink::PresenceLink(uv_loop_t* loop, PresenceOptions options, std::function<Report()> report_now,
                           std::function<Result<Digest>(const Nonce&)> prove,
                           std::function<void(std::vector<PeerId>)> on_hint)
    : loop_(loop),
      options_(std::move(options)),
      report_now_(std::move(report_now)),
      prove_(std::move(prove)),
      on_hint_(std::move(on_hint)),
      handshake_(options_.secret, options_.self_id),
      // No overall budget: the peer keeps trying while it runs (the owner may be restarted).
      backoff_(options_.settings.retry_initial_ms, options_.settings.retry_max_ms,
               std::numeric_limits<std::uint64_t>::max()),
      retry_timer_(loop),
      report_timer_(loop),
      finish_timer_(loop),
      attempt_timer_(loop)
{
}

PresenceLink::~PresenceLink() { drop(); }

void PresenceLink::start() { attempt(); }

void PresenceLink::drop()
{
    up_ = false;
    attempt_timer_.stop();
    report_timer_.stop();
    if (!connection_) return;
    connection_->set_handlers(nullptr, nullptr);
    connection_->close("presence link closed");
    connection_.reset();
}

void PresenceLink::attempt()
{
    auto address = to_sockaddr(options_.owner);
    if (!address) {
        log::warn("cannot report to the owner: {}", address.error().message);
        refused_ = true;
        conclude(Ending::not_told);
        return;
    }
    connection_ = TcpConnection::create(loop_, Role::client);
    connection_->set_handlers([this](Frame frame) { on_frame(std::move(frame)); },
                              [this](const std::string& reason) { on_closed(reason); });
    connection_->connect(address.value(), [this](int status) { on_connected(status); });
    // A cut link answers nothing, and the kernel gives up on a connect only after minutes; an
    // owner that accepts but never answers the handshake is no better.
    attempt_timer_.start(kAttemptTimeoutMs, [this] {
        drop();
        retry_later();
    });
}

void PresenceLink::on_connected(int status)
{
    if (status != 0) {
        drop();
        retry_later();
        return;
    }
    if (options_.tls) connection_->use_tls(options_.tls, TlsSide::client);
    connection_->start_reading();
    connection_->send(Hello{.peer_id = options_.self_id, .nonce = handshake_.start(), .presence = true});
    if (!handshake_.awaiting_proof()) {
        mark_up();
        send_report(Send::now);
    }
}

void PresenceLink::on_frame(Frame frame)
{
    auto message = parse_message(std::move(frame), Role::client, nullptr);
    if (!message) {
        connection_->fail(WireError::malformed, message.error().message);
        return;
    }
    if (const auto* error = std::get_if<ErrorMsg>(&message.value())) {
        // Tried again, more slowly each time: a refusal may be passing (an owner that was paused
        // past its hello timeout); one that is not costs a connection now and then.
        log::debug("the owner closed the report link ({}): {}", wire_error_name(error->code), error->message);
        drop();
        retry_later();
        return;
    }
    if (const auto* hint = std::get_if<Hint>(&message.value())) {
        // Only from an owner past the handshake: an impostor's hint would send helpers astray.
        if (up_ && on_hint_) on_hint_(hint->helpers);
        return;
    }
    if (const auto* challenge = std::get_if<Challenge>(&message.value())) {
        answer(*challenge);
        return;
    }
    const auto* auth = std::get_if<Auth>(&message.value());
    if (!auth) return;  // pings: the owner is there
    auto proof = handshake_.answer(auth->nonce, auth->proof, "the owner");
    if (!proof) {
        log::warn("not reporting to the owner: {}", proof.error().message);
        refused_ = true;
        drop();
        conclude(Ending::not_told);
        return;
    }
    connection_->send(Auth{std::nullopt, proof.value()});
    mark_up();
    send_report(Send::now);
}

// Only the claim this side made is proved, and only to an owner past the handshake.
void PresenceLink::answer(const Challenge& challenge)
{
    if (!up_ || !on_finished_) return;
    auto proof = prove_(challenge.nonce);
    if (!proof) {
        log::warn("cannot prove to the owner that this peer holds the whole file: {}", proof.error().message);
        conclude(Ending::not_told);
        return;
    }
    connection_->send(Possession{proof.value()});
}

void PresenceLink::mark_up()
{
    up_ = true;
    have_sent_count_.reset();
    up_at_ms_ = uv_now(loop_);
    attempt_timer_.stop();
}

void PresenceLink::on_closed(const std::string& reason)
{
    const bool was_finishing = on_finished_ && up_;
    if (up_ && uv_now(loop_) >= up_at_ms_ + kSteadyMs) backoff_.reset();
    attempt_timer_.stop();
    connection_.reset();
    up_ = false;
    report_timer_.stop();
    // Told: the owner closes a finished peer's link once it has its last report.
    if (was_finishing) {
        conclude(Ending::told);
        return;
    }
    log::debug("the link to the owner closed ({}); reconnecting", reason);
    retry_later();
}

void PresenceLink::retry_later()
{
    if (refused_) return;
    retry_timer_.start(backoff_.next_delay(uv_now(loop_)).value_or(options_.settings.retry_max_ms),
                       [this] { attempt(); });
}

// A periodic report is skipped while the one before has not left, so a stalled owner gets one
// at a time; the first on a connection and the last always go.
void PresenceLink::send_report(Send when)
{
    if (!up_ || !connection_) return;
    // Complete only in the last report: chunks all held is not yet a file joined and checked.
    if (when == Send::now || connection_->queued_bytes() == 0) connection_->send(next_report());
    if (on_finished_) return;  // the last one is out; the owner answers by closing
    report_timer_.start(kReportPeriodMs, [this] { send_report(Send::unless_queued); });
}

Report PresenceLink::next_report()
{
    Report report = report_now_();
    report.complete = on_finished_ != nullptr;
    if (report.have && !report.complete) {
        const std::uint64_t now = uv_now(loop_);
        const std::uint64_t spacing_ms =
            std::max<std::uint64_t>(kReportPeriodMs, report.have->bytes().size() * 1000 / kHaveBytesPerSecond);
        const bool changed = have_sent_count_ != report.have->count();
        if (changed && (!have_sent_count_ || now >= have_sent_ms_ + spacing_ms)) {
            have_sent_count_ = report.have->count();
            have_sent_ms_ = now;
            return report;
        }
    }
    report.have.reset();
    return report;
}

void PresenceLink::finish(std::uint64_t wait_ms, std::function<void(bool told)> done)
{
    on_finished_ = std::move(done);
    if (refused_) {
        conclude(Ending::not_told);
        return;
    }
    finish_timer_.start(wait_ms, [this] { conclude(Ending::not_told); });
    report_timer_.stop();
    send_report(Send::now);
}

void PresenceLink::conclude(Ending ending)
{
    if (!on_finished_) return;
    auto done = std::move(on_finished_);
    on_finished_ = nullptr;
    finish_timer_.stop();
    retry_timer_.stop();
    drop();
    done(ending == Ending::told);
}

}  // namespace chunkswarm::net

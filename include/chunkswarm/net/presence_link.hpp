// A peer's presence at the owner while it trades: one connection that carries a Report every
// second, so the owner knows the peer is alive, and learns within seconds that it is gone (a dead
// process's connection drops at once). It reconnects with back-off for as long as the peer runs,
// and never fails the peer: the owner may have left, and the peer needs it for nothing else here.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "chunkswarm/core/auth.hpp"
#include "chunkswarm/core/backoff.hpp"
#include "chunkswarm/core/config.hpp"
#include "chunkswarm/core/messages.hpp"
#include "chunkswarm/net/tcp_connection.hpp"
#include "chunkswarm/net/uv_handle.hpp"

namespace chunkswarm::net {

struct PresenceOptions {
    PeerId self_id;
    Endpoint owner;
    std::string secret;                     // empty: no swarm secret
    Settings settings;                      // the retry delays
    std::shared_ptr<const TlsContext> tls;  // set: the connection is TLS
};

class PresenceLink {
public:
    static constexpr std::uint64_t kReportPeriodMs = 1000;
    // A connect or handshake unanswered this long is abandoned and tried again.
    static constexpr std::uint64_t kAttemptTimeoutMs = 10'000;
    // A connection that stayed up this long starts the back-off afresh when it drops; one dropped
    // sooner (an owner that closes at once) is retried ever more slowly.
    static constexpr std::uint64_t kSteadyMs = 10'000;

    // A chunk ID list goes with a report at most this many bytes a second, on average.
    static constexpr std::uint64_t kHaveBytesPerSecond = 4096;

    // `report_now` gives each report (on the loop's thread); its chunk ID list is sent only when
    // the count changed since the last one sent, and no faster than kHaveBytesPerSecond allows.
    // `prove` answers the owner's challenge to the last report's claim of the whole file
    // (possession.hpp); it reads a few chunks, on the loop's thread, once the peer has finished.
    // `on_hint` gets the owner's hints (Hint::helpers).
    PresenceLink(uv_loop_t* loop, PresenceOptions options, std::function<Report()> report_now,
                 std::function<Result<Digest>(const Nonce&)> prove,
                 std::function<void(std::vector<PeerId>)> on_hint = {});
    PresenceLink(const PresenceLink&) = delete;
    PresenceLink& operator=(const PresenceLink&) = delete;
    ~PresenceLink();

    void start();
    // The last report, saying complete (the peer's file is whole): `done` runs once the owner has it (it closes
    // the connection), or after `wait_ms` if it cannot be told; the link is closed then.
    void finish(std::uint64_t wait_ms, std::function<void(bool told)> done);
    // Past the handshake: reports flow.
    bool up() const { return up_; }

private:
    void attempt();
    void on_connected(int status);
    void on_frame(Frame frame);
    void answer(const Challenge& challenge);
    void on_closed(const std::string& reason);
    void mark_up();
    void retry_later();
    // A report goes now, or (each period) only if the last one has left the send queue.
    enum class Send { now, unless_queued };
    void send_report(Send when);
    Report next_report();
    void drop();
    // How the link ended while finishing: the owner closed it, having the last report (told), or
    // it could not be told (refused, or not within the wait).
    enum class Ending { told, not_told };
    void conclude(Ending ending);

    uv_loop_t* loop_;
    PresenceOptions options_;
    std::function<Report()> report_now_;
    std::function<Result<Digest>(const Nonce&)> prove_;
    std::function<void(std::vector<PeerId>)> on_hint_;
    // On this connection: the count in the last chunk ID list sent, and when it went.
    std::optional<std::uint32_t> have_sent_count_;
    std::uint64_t have_sent_ms_ = 0;
    ClientHandshake handshake_;
    Backoff backoff_;
    Timer retry_timer_;
    Timer report_timer_;
    Timer finish_timer_;
    Timer attempt_timer_;
    std::uint64_t up_at_ms_ = 0;
    std::shared_ptr<TcpConnection> connection_;
    bool up_ = false;       // past the handshake: reports may flow
    bool refused_ = false;  // the owner refused this peer: no more tries
    std::function<void(bool)> on_finished_;
};

}  // namespace chunkswarm::net

// One TCP stream carrying chunkswarm frames. The object is pinned (libuv points into it) and keeps
// itself alive until libuv's close callback, however many owners let go before that.
#pragma once

#include <uv.h>

#include <array>
#include <functional>
#include <memory>
#include <string>

#include "chunkswarm/core/config.hpp"
#include "chunkswarm/core/frame_codec.hpp"
#include "chunkswarm/core/messages.hpp"
#include "chunkswarm/core/result.hpp"
#include "chunkswarm/net/rate_cap.hpp"
#include "chunkswarm/net/tls_channel.hpp"
#include "chunkswarm/net/uv_handle.hpp"

namespace chunkswarm::net {

Result<sockaddr_storage> to_sockaddr(const Endpoint& endpoint);
// The port a bound TCP handle listens on (the one the system picked, for port 0).
std::uint16_t bound_port(const uv_tcp_t* handle);

class TcpConnection {
    struct Passkey {};

public:
    static constexpr std::uint64_t kDrainDeadlineMs = 5000;
    using FrameHandler = std::function<void(Frame)>;
    using CloseHandler = std::function<void(const std::string& reason)>;

    static std::shared_ptr<TcpConnection> create(uv_loop_t* loop, Role role);
    TcpConnection(Passkey, uv_loop_t* loop, Role role);
    TcpConnection(const TcpConnection&) = delete;
    TcpConnection& operator=(const TcpConnection&) = delete;

    void set_handlers(FrameHandler on_frame, CloseHandler on_close);
    // Called after each write completes (the queue shrank): a server reads more to send then.
    void set_drain_handler(std::function<void()> on_drain) { on_drain_ = std::move(on_drain); }

    int accept_from(uv_stream_t* server);
    // `done` gets 0 or a libuv error; it is not called if the connection is closed first.
    void connect(const sockaddr_storage& address, std::function<void(int status)> done);
    void start_reading();
    // From now on every byte goes through TLS (before start_reading, and for a client once
    // connected): frames sent until the handshake ends are held, then encrypted.
    void use_tls(std::shared_ptr<const TlsContext> context, TlsSide side);
    bool encrypted() const { return tls_ != nullptr; }
    // The TLS handshake failed: the other side holds other keys, or speaks no TLS.
    bool tls_refused() const { return tls_refused_; }
    // Holds what this connection reads to `cap` (shared with other connections; it must outlive
    // them): past the cap, reading pauses until the cap allows more.
    void limit_reads(RateCap* cap) { read_cap_ = cap; }

    void send(OutFrame frame);
    void send(const Message& message) { send(encode(message)); }
    // A frame whose payload is `length` bytes of `file` from `offset`. While nothing is queued the
    // payload goes with sendfile(2): the kernel hands the page cache's pages to the socket without
    // a copy through this process. What the socket does not take at once is read and queued like
    // any frame. Returns false (and closes the connection) if the file cannot be read.
    bool send_from_file(std::vector<std::uint8_t> head, int file, off_t offset, std::size_t length);
    // Sends an error frame, then closes as shutdown_and_drain does.
    void fail(WireError code, const std::string& reason) { fail(ErrorMsg{reason, std::nullopt, code}); }
    void fail(const ErrorMsg& error);
    void close_after_flush(const std::string& reason);
    // Sends what is queued, then a FIN, and keeps reading (dropping what arrives) until the other
    // side closes too, or for kDrainDeadlineMs at most. Closing outright could turn into a reset
    // that destroys our last message before the other side has read it.
    void shutdown_and_drain(const std::string& reason);
    void close(const std::string& reason);

    bool closing() const { return closing_; }
    // Why the connection is ending (empty while it is not).
    const std::string& close_reason() const { return close_reason_; }
    std::size_t queued_bytes() const { return queued_bytes_; }
    // How long bytes have waited with no write completing (0 while nothing is queued): a client
    // that reads nothing leaves its queue stalled.
    std::uint64_t send_stalled_ms() const;
    // This process did not run for a while (it was stopped): that time is not the client's.
    void forgive_send_stall();
    const std::string& remote_address() const { return remote_address_; }

private:
    struct WriteRequest;
    static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
    static void on_write(uv_write_t* req, int status);
    void handle_bytes(const std::uint8_t* data, std::size_t length);
    void handle_ciphertext(const std::uint8_t* data, std::size_t length);
    // A server's first bytes that are not TLS: a plain chunkswarm client, told why in plain text.
    bool refuse_plain_client(const std::uint8_t* data, std::size_t length);
    // Logs the failure (once per connection, whichever step found it) and returns `reason`.
    std::string tls_failed(std::string reason);
    void send_raw(OutFrame frame);
    void flush_tls();
    void handle_payload_read(std::size_t length);
    void spend_read_cap(std::size_t length);
    void deliver_frames();
    // Writes at once, past libuv's queue, what the socket takes now; only when nothing is queued.
    // Returns how many of the head's bytes and the payload's went.
    std::pair<std::size_t, std::size_t> write_now(std::span<const std::uint8_t> head, int file, off_t offset,
                                                  std::size_t length);
    // Closed or on its way there: nothing more is sent or handed to the frame handler.
    bool ending() const { return closing_ || flush_then_close_ || draining_; }
    void note_remote_address();

    uv_tcp_t tcp_{};
    std::shared_ptr<TcpConnection> self_;
    FrameDecoder decoder_;
    FrameHandler on_frame_;
    CloseHandler on_close_;
    std::function<void()> on_drain_;
    Timer drain_deadline_;
    RateCap* read_cap_ = nullptr;
    Timer read_pause_;
    // Frame heads are read into this, payloads straight into the frame being assembled. Reading a
    // head reads as much as this holds, and what follows it of a payload is copied: so it is small.
    std::array<char, 4096> read_buffer_{};
    bool reading_payload_ = false;  // the last buffer handed to libuv was the payload's
    std::unique_ptr<TlsChannel> tls_;
    TlsSide tls_side_ = TlsSide::client;
    bool tls_input_seen_ = false;
    bool plain_other_side_ = false;  // a TLS server's client spoke the plain protocol
    bool tls_refused_ = false;
    std::size_t queued_bytes_ = 0;
    // When a write last completed, or the queue last became non-empty.
    std::uint64_t write_progress_ms_ = 0;
    std::size_t pending_writes_ = 0;
    bool closing_ = false;
    bool flush_then_close_ = false;
    bool draining_ = false;
    std::string close_reason_;
    std::string remote_address_ = "(not connected)";
};

class TcpListener {
public:
    using AcceptHandler = std::function<void(std::shared_ptr<TcpConnection>)>;

    // With `tls`, every accepted connection is a TLS server side.
    TcpListener(uv_loop_t* loop, Role accepted_role, std::shared_ptr<const TlsContext> tls = nullptr);
    // Binds and listens; a port already in use is reported here.
    Result<void> listen(const Endpoint& bind, AcceptHandler on_accept);
    std::uint16_t port() const;
    void close() { handle_.close(); }

private:
    uv_loop_t* loop_;
    Role role_;
    std::shared_ptr<const TlsContext> tls_;
    UvHandle<uv_tcp_t> handle_;
    AcceptHandler on_accept_;
};

}  // namespace chunkswarm::net

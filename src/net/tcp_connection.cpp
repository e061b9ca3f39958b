#include "chunkswarm/net/tcp_connection.hpp"

#include <sys/sendfile.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "chunkswarm/disk/file_util.hpp"
#include "chunkswarm/log.hpp"

namespace chunkswarm::net {

Result<sockaddr_storage> to_sockaddr(const Endpoint& endpoint)
{
    sockaddr_storage storage{};
    if (uv_ip4_addr(endpoint.host.c_str(), endpoint.port, reinterpret_cast<sockaddr_in*>(&storage)) == 0 ||
        uv_ip6_addr(endpoint.host.c_str(), endpoint.port, reinterpret_cast<sockaddr_in6*>(&storage)) == 0) {
        return storage;
    }
    return make_error("\"" + endpoint.host + "\" is not a numeric IP address");
}

namespace {

std::string format_address(const sockaddr_storage& storage)
{
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (storage.ss_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(&storage);
        uv_ip4_name(in, host, sizeof host);
        port = ntohs(in->sin_port);
    } else if (storage.ss_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&storage);
        uv_ip6_name(in6, host, sizeof host);
        port = ntohs(in6->sin6_port);
    }
    return std::string(host) + ":" + std::to_string(port);
}

}  // namespace

struct TcpConnection::WriteRequest {
    uv_write_t req{};
    OutFrame frame;
    TcpConnection* connection = nullptr;
};

std::shared_ptr<TcpConnection> TcpConnection::create(uv_loop_t* loop, Role role)
{
    auto connection = std::make_shared<TcpConnection>(Passkey{}, loop, role);
    connection->self_ = connection;
    return connection;
}

TcpConnection::TcpConnection(Passkey, uv_loop_t* loop, Role role)
    : decoder_(frame_limits(role)),
      drain_deadline_(loop),
      read_pause_(loop)
{
    uv_tcp_init(loop, &tcp_);
    tcp_.data = this;
}

void TcpConnection::set_handlers(FrameHandler on_frame, CloseHandler on_close)
{
    on_frame_ = std::move(on_frame);
    on_close_ = std::move(on_close);
}

void TcpConnection::note_remote_address()
{
    sockaddr_storage storage{};
    int length = sizeof storage;
    if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&storage), &length) == 0) {
        remote_address_ = format_address(storage);
    }
    uv_tcp_nodelay(&tcp_, 1);
}

int TcpConnection::accept_from(uv_stream_t* server)
{
    int rc = uv_accept(server, reinterpret_cast<uv_stream_t*>(&tcp_));
    if (rc == 0) note_remote_address();
    return rc;
}

void TcpConnection::connect(const sockaddr_storage& address, std::function<void(int)> done)
{
    struct ConnectRequest {
        uv_connect_t req{};
        std::function<void(int)> done;
    };
    auto request = std::make_unique<ConnectRequest>();
    request->done = std::move(done);
    request->req.data = this;
    int rc = uv_tcp_connect(&request->req, &tcp_, reinterpret_cast<const sockaddr*>(&address),
                            [](uv_connect_t* req, int status) {
                                std::unique_ptr<ConnectRequest> owned(reinterpret_cast<ConnectRequest*>(req));
                                auto* self = static_cast<TcpConnection*>(req->data);
                                if (status == UV_ECANCELED || self->closing_) return;
                                if (status == 0) self->note_remote_address();
                                owned->done(status);
                            });
    if (rc != 0) {
        request->done(rc);
        return;
    }
    (void)request.release();  // reclaimed in the callback
}

void TcpConnection::start_reading() { uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), on_alloc, on_read); }

void TcpConnection::use_tls(std::shared_ptr<const TlsContext> context, TlsSide side)
{
    tls_ = std::make_unique<TlsChannel>(std::move(context), side);
    tls_side_ = side;
    flush_tls();  // a client's hello
}

namespace {

// Ciphertext is read into, and plaintext decrypted into, one buffer per loop thread: libuv calls
// on_read right after on_alloc, and it is empty again when on_read returns. Per connection, a
// thousand idle sessions would hold 128 MiB.
std::span<std::uint8_t> cipher_buffer()
{
    thread_local std::array<std::uint8_t, 64 * 1024> buffer;
    return buffer;
}

std::span<std::uint8_t> plain_buffer()
{
    thread_local std::array<std::uint8_t, 64 * 1024> buffer;
    return buffer;
}

}  // namespace

void TcpConnection::on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf)
{
    auto* self = static_cast<TcpConnection*>(handle->data);
    if (self->tls_) {
        self->reading_payload_ = false;
        std::span<std::uint8_t> space = cipher_buffer();
        *buf = uv_buf_init(reinterpret_cast<char*>(space.data()), static_cast<unsigned>(space.size()));
        return;
    }
    std::span<std::uint8_t> payload = self->decoder_.payload_space();
    self->reading_payload_ = !payload.empty();
    if (self->reading_payload_) {
        const auto length = static_cast<unsigned>(std::min<std::size_t>(payload.size(), UINT_MAX));
        *buf = uv_buf_init(reinterpret_cast<char*>(payload.data()), length);
    } else {
        *buf = uv_buf_init(self->read_buffer_.data(), static_cast<unsigned>(self->read_buffer_.size()));
    }
}

void TcpConnection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf)
{
    auto* self = static_cast<TcpConnection*>(stream->data);
    if (nread > 0 && self->read_cap_) self->spend_read_cap(static_cast<std::size_t>(nread));
    if (nread > 0 && self->tls_) {
        self->handle_ciphertext(reinterpret_cast<const std::uint8_t*>(buf->base), static_cast<std::size_t>(nread));
    } else if (nread > 0 && self->reading_payload_) {
        self->handle_payload_read(static_cast<std::size_t>(nread));
    } else if (nread > 0) {
        self->handle_bytes(reinterpret_cast<const std::uint8_t*>(buf->base), static_cast<std::size_t>(nread));
    } else if (nread < 0) {
        // While draining, the end of the stream (or a reset) is what we wait for, not the reason.
        if (self->draining_) {
            self->close(self->close_reason_);
        } else {
            self->close(nread == UV_EOF ? "the other side closed the connection"
                                        : std::string("connection error: ") + uv_strerror(static_cast<int>(nread)));
        }
    }
}

void TcpConnection::handle_bytes(const std::uint8_t* data, std::size_t length)
{
    if (ending()) return;
    auto fed = decoder_.feed(std::span(data, length));
    deliver_frames();
    if (!fed && !ending()) fail(WireError::malformed, fed.error().message);
}

void TcpConnection::handle_ciphertext(const std::uint8_t* data, std::size_t length)
{
    if (ending()) return;
    if (refuse_plain_client(data, length)) return;
    if (auto received = tls_->receive(std::span(data, length)); !received) {
        flush_tls();  // the alert, if OpenSSL made one
        const std::string reason =
            tls_failed(received.error().message + " (is the other side given the same secret or certificates?)");
        shutdown_and_drain(reason);
        return;
    }
    std::span<std::uint8_t> plain = plain_buffer();
    while (!ending()) {
        auto read = tls_->read_plain(plain);
        if (!read) {
            close(tls_failed(read.error().message));
            return;
        }
        if (read.value() == 0) break;
        handle_bytes(plain.data(), read.value());
    }
    flush_tls();
    if (tls_->closed() && !ending()) close("the other side closed the connection");
}

std::string TcpConnection::tls_failed(std::string reason)
{
    tls_refused_ = tls_->refused();
    log::warn_event("tls_failed", {{"with", remote_address_}}, "TLS with {} failed: {}", remote_address_, reason);
    return reason;
}

bool TcpConnection::refuse_plain_client(const std::uint8_t* data, std::size_t length)
{
    constexpr std::uint8_t kTlsHandshakeRecord = 0x16;
    const bool first = !tls_input_seen_;
    tls_input_seen_ = true;
    if (!first || tls_side_ != TlsSide::server || length == 0 || data[0] == kTlsHandshakeRecord) return false;
    plain_other_side_ = true;
    log::warn_event("plain_refused", {{"from", remote_address_}},
                    "refusing {}: it speaks the plain protocol, and this swarm is encrypted (give it the secret)",
                    remote_address_);
    fail(WireError::encryption,
         "this swarm is encrypted (TLS): give this side the swarm secret or the certificates too");
    return true;
}

void TcpConnection::handle_payload_read(std::size_t length)
{
    if (ending()) return;
    decoder_.payload_received(length);
    deliver_frames();
}

void TcpConnection::spend_read_cap(std::size_t length)
{
    const std::uint64_t wait = read_cap_->spend(length);
    if (wait == 0 || closing_) return;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
    read_pause_.start(wait, [this] {
        if (!closing_) start_reading();
    });
}

// Frames decoded before a malformed one are still handled, in order; none after a handler has
// ended the connection.
void TcpConnection::deliver_frames()
{
    while (!ending()) {
        auto frame = decoder_.next();
        if (!frame) break;
        if (on_frame_) on_frame_(std::move(*frame));
    }
}

void TcpConnection::send(OutFrame frame)
{
    if (ending()) return;
    if (!tls_ || plain_other_side_) {
        send_raw(std::move(frame));
        return;
    }
    auto sent = tls_->send(frame.head);
    if (sent) sent = tls_->send(frame.payload_bytes());
    if (!sent) {
        close(sent.error().message);
        return;
    }
    flush_tls();
}

void TcpConnection::flush_tls()
{
    // Past a shutdown nothing more may be written; what had to go (an error, an alert) went first.
    if (ending()) return;
    OutFrame ciphertext;
    ciphertext.head = tls_->take_output();
    if (!ciphertext.head.empty()) send_raw(std::move(ciphertext));
}

void TcpConnection::send_raw(OutFrame frame)
{
    auto request = std::make_unique<WriteRequest>();
    request->frame = std::move(frame);
    request->connection = this;
    // libuv only reads the buffers; the cast is for its C signature.
    std::span<const std::uint8_t> payload = request->frame.payload_bytes();
    uv_buf_t bufs[2] = {
        uv_buf_init(reinterpret_cast<char*>(request->frame.head.data()),
                    static_cast<unsigned>(request->frame.head.size())),
        uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(payload.data())),
                    static_cast<unsigned>(payload.size())),
    };
    unsigned count = payload.empty() ? 1 : 2;
    std::size_t bytes = request->frame.head.size() + payload.size();
    int rc = uv_write(&request->req, reinterpret_cast<uv_stream_t*>(&tcp_), bufs, count, on_write);
    if (rc != 0) {
        close(std::string("write failed: ") + uv_strerror(rc));
        return;
    }
    if (queued_bytes_ == 0) write_progress_ms_ = uv_now(tcp_.loop);
    queued_bytes_ += bytes;
    ++pending_writes_;
    (void)request.release();  // reclaimed in on_write
}

bool TcpConnection::send_from_file(std::vector<std::uint8_t> head, int file, off_t offset, std::size_t length)
{
    if (ending()) return true;
    // A file that shrank under us (the owner's source truncated) is found before the head goes
    // out, so that the error frame is not sent inside a chunk's payload.
    if (struct stat st{}; ::fstat(file, &st) == 0 && st.st_size < offset + static_cast<off_t>(length)) {
        fail(WireError::unreadable_chunk, "cannot read chunk bytes " + std::to_string(offset) + ".." +
                                              std::to_string(offset + length) + ": the file is only " +
                                              std::to_string(st.st_size) + " bytes now");
        return false;
    }
    // sendfile would send the file's bytes in the clear: under TLS the chunk is read and encrypted.
    if (pending_writes_ == 0 && !tls_) {
        auto [head_sent, payload_sent] = write_now(head, file, offset, length);
        head.erase(head.begin(), head.begin() + static_cast<std::ptrdiff_t>(head_sent));
        offset += static_cast<off_t>(payload_sent);
        length -= payload_sent;
        if (length == 0) return true;
    }
    OutFrame rest;
    rest.head = std::move(head);
    rest.payload.resize(length);
    ssize_t n = pread_fully(file, rest.payload, offset);
    if (n != static_cast<ssize_t>(length)) {
        fail(WireError::unreadable_chunk, n < 0 ? "cannot read a chunk to send: " + errno_text(static_cast<int>(-n))
                                                : std::string("cannot read a chunk to send: the file is too short"));
        return false;
    }
    // libuv writes no empty buffer: a frame whose head went already is all payload.
    if (rest.head.empty()) std::swap(rest.head, rest.payload);
    send(std::move(rest));  // (encrypted, under TLS)
    return true;
}

std::pair<std::size_t, std::size_t> TcpConnection::write_now(std::span<const std::uint8_t> head, int file, off_t offset,
                                                             std::size_t length)
{
    uv_buf_t buf =
        uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(head.data())), static_cast<unsigned>(head.size()));
    int written = uv_try_write(reinterpret_cast<uv_stream_t*>(&tcp_), &buf, 1);
    if (written < 0) return {0, 0};
    if (static_cast<std::size_t>(written) < head.size()) return {static_cast<std::size_t>(written), 0};
    uv_os_fd_t socket = -1;
    if (uv_fileno(reinterpret_cast<const uv_handle_t*>(&tcp_), &socket) != 0) return {head.size(), 0};
    std::size_t sent = 0;
    while (sent < length) {
        ssize_t n = ::sendfile(socket, file, &offset, length - sent);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // the socket is full (EAGAIN), or an error the queued write will meet
        sent += static_cast<std::size_t>(n);
    }
    return {head.size(), sent};
}

void TcpConnection::on_write(uv_write_t* req, int status)
{
    std::unique_ptr<WriteRequest> request(reinterpret_cast<WriteRequest*>(req));
    TcpConnection* self = request->connection;
    self->queued_bytes_ -= request->frame.head.size() + request->frame.payload_bytes().size();
    --self->pending_writes_;
    if (status == UV_ECANCELED || self->closing_) return;
    if (status < 0) {
        self->close(std::string("write failed: ") + uv_strerror(status));
        return;
    }
    self->write_progress_ms_ = uv_now(self->tcp_.loop);
    if (self->flush_then_close_) {
        if (self->pending_writes_ == 0) self->close(self->close_reason_);
        return;
    }
    if (self->on_drain_) self->on_drain_();
}

std::uint64_t TcpConnection::send_stalled_ms() const
{
    return queued_bytes_ == 0 ? 0 : uv_now(tcp_.loop) - write_progress_ms_;
}

void TcpConnection::forgive_send_stall() { write_progress_ms_ = uv_now(tcp_.loop); }

void TcpConnection::fail(const ErrorMsg& error)
{
    if (ending()) return;
    send(error);
    // Not close_after_flush: what the other side is still sending would then be unread at our
    // close, the kernel would answer it with a reset, and the error could arrive as a reset.
    shutdown_and_drain(error.message);
}

void TcpConnection::close_after_flush(const std::string& reason)
{
    if (ending()) return;
    flush_then_close_ = true;
    close_reason_ = reason;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
    if (pending_writes_ == 0) close(reason);
}

void TcpConnection::shutdown_and_drain(const std::string& reason)
{
    if (ending()) return;
    draining_ = true;
    close_reason_ = reason;
    auto request = std::make_unique<uv_shutdown_t>();
    request->data = this;
    int rc = uv_shutdown(request.get(), reinterpret_cast<uv_stream_t*>(&tcp_), [](uv_shutdown_t* req, int status) {
        std::unique_ptr<uv_shutdown_t> owned(req);
        auto* self = static_cast<TcpConnection*>(req->data);
        if (status == UV_ECANCELED || self->closing_) return;
        if (status < 0) self->close(self->close_reason_);
    });
    if (rc != 0) {
        close(reason);
        return;
    }
    (void)request.release();  // reclaimed in the callback
    // A side that never closes must not hold the connection open.
    drain_deadline_.start(kDrainDeadlineMs, [this] { close(close_reason_); });
}

void TcpConnection::close(const std::string& reason)
{
    if (closing_) return;
    closing_ = true;
    close_reason_ = reason;
    drain_deadline_.close();
    read_pause_.close();
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), [](uv_handle_t* handle) {
        auto* self = static_cast<TcpConnection*>(handle->data);
        CloseHandler on_close = std::move(self->on_close_);
        self->on_frame_ = nullptr;
        self->on_drain_ = nullptr;
        if (on_close) on_close(self->close_reason_);
        // Last: this may destroy the object.
        self->self_.reset();
    });
}

TcpListener::TcpListener(uv_loop_t* loop, Role accepted_role, std::shared_ptr<const TlsContext> tls)
    : loop_(loop),
      role_(accepted_role),
      tls_(std::move(tls)),
      handle_([loop](uv_tcp_t* t) { return uv_tcp_init(loop, t); })
{
    handle_.get()->data = this;
}

Result<void> TcpListener::listen(const Endpoint& bind, AcceptHandler on_accept)
{
    on_accept_ = std::move(on_accept);
    auto address = to_sockaddr(bind);
    if (!address) return address.error();
    int rc = uv_tcp_bind(handle_.get(), reinterpret_cast<const sockaddr*>(&address.value()), 0);
    if (rc == 0) {
        rc = uv_listen(reinterpret_cast<uv_stream_t*>(handle_.get()), 128, [](uv_stream_t* server, int status) {
            auto* self = static_cast<TcpListener*>(server->data);
            if (!self || status < 0) return;
            auto connection = TcpConnection::create(self->loop_, self->role_);
            if (connection->accept_from(server) != 0) {
                connection->close("accept failed");
                return;
            }
            if (self->tls_) connection->use_tls(self->tls_, TlsSide::server);
            self->on_accept_(connection);
        });
    }
    if (rc != 0) {
        std::string hint =
            rc == UV_EADDRINUSE ? " (the port is in use: stop the other process or pick another port)" : "";
        return make_error("cannot listen on " + bind.to_string() + ": " + uv_strerror(rc) + hint);
    }
    return {};
}

std::uint16_t bound_port(const uv_tcp_t* handle)
{
    sockaddr_storage storage{};
    int length = sizeof storage;
    uv_tcp_getsockname(handle, reinterpret_cast<sockaddr*>(&storage), &length);
    if (storage.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
}

std::uint16_t TcpListener::port() const { return bound_port(handle_.get()); }

}  // namespace chunkswarm::net

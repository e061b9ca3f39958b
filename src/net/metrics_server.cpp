#include "chunkswarm/net/metrics_server.hpp"

#include <chrono>
#include <csignal>
#include <string>
#include <string_view>

#include "chunkswarm/log.hpp"
#include "chunkswarm/net/tcp_connection.hpp"
#include "chunkswarm/process_facts.hpp"

namespace chunkswarm::net {

namespace {

// A request head larger than this is not a scrape.
constexpr std::size_t kMaxRequestHead = 8192;
// A client that has not sent a whole request head by then is disconnected.
constexpr std::uint64_t kRequestTimeoutMs = 10000;

std::string response(std::string_view status, std::string_view content_type, const std::string& body, bool with_body)
{
    std::string out = "HTTP/1.1 " + std::string(status) + "\r\nContent-Type: " + std::string(content_type) +
                      "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
    if (with_body) out += body;
    return out;
}

}  // namespace

std::string http_response(std::string_view request_head, const std::function<std::string()>& body)
{
    const std::size_t line_end = request_head.find("\r\n");
    const std::string_view line = request_head.substr(0, line_end);
    const std::size_t first_space = line.find(' ');
    const std::size_t second_space = line.find(' ', first_space == std::string_view::npos ? 0 : first_space + 1);
    if (line_end == std::string_view::npos || first_space == std::string_view::npos ||
        second_space == std::string_view::npos || line.substr(second_space + 1).rfind("HTTP/", 0) != 0) {
        return response("400 Bad Request", "text/plain", "not an HTTP request\n", true);
    }
    const std::string_view method = line.substr(0, first_space);
    std::string_view path = line.substr(first_space + 1, second_space - first_space - 1);
    path = path.substr(0, path.find('?'));
    if (method != "GET" && method != "HEAD") {
        return response("405 Method Not Allowed", "text/plain", "only GET and HEAD are served\n", true);
    }
    const bool with_body = method == "GET";
    if (path != "/metrics") {
        return response("404 Not Found", "text/plain", "metrics are at /metrics\n", with_body);
    }
    return response("200 OK", "text/plain; version=0.0.4; charset=utf-8", body(), with_body);
}

// One connection: reads a request head, writes the answer, closes.
class MetricsServer::Exchange {
public:
    Exchange(MetricsServer& server, uv_loop_t* loop)
        : server_(server),
          socket_([loop](uv_tcp_t* t) { return uv_tcp_init(loop, t); }),
          opened_ms_(uv_now(loop))
    {
        if (socket_) socket_.get()->data = this;
    }

    bool accept_from(uv_stream_t* listener)
    {
        auto* stream = reinterpret_cast<uv_stream_t*>(socket_.get());
        return socket_ && uv_accept(listener, stream) == 0 && uv_read_start(stream, allocate, on_read) == 0;
    }
    bool overdue(std::uint64_t now_ms) const { return !answered_ && now_ms - opened_ms_ > kRequestTimeoutMs; }

private:
    static void allocate(uv_handle_t* handle, std::size_t, uv_buf_t* buffer)
    {
        auto* self = static_cast<Exchange*>(handle->data);
        *buffer = uv_buf_init(self->read_buffer_, sizeof self->read_buffer_);
    }

    static void on_read(uv_stream_t* stream, ssize_t count, const uv_buf_t*)
    {
        auto* self = static_cast<Exchange*>(stream->data);
        if (!self) return;
        if (count < 0) {
            self->server_.forget(self);
            return;
        }
        self->head_.append(self->read_buffer_, static_cast<std::size_t>(count));
        if (self->head_.find("\r\n\r\n") != std::string::npos || self->head_.size() > kMaxRequestHead) {
            self->reply();
        }
    }

    void reply()
    {
        auto* stream = reinterpret_cast<uv_stream_t*>(socket_.get());
        uv_read_stop(stream);
        answered_ = true;
        // The exchange is reached through the socket, whose data is cleared when it closes.
        const int rc = write_owned(stream, server_.answer(head_), [](uv_stream_t* written) {
            auto* self = static_cast<Exchange*>(written->data);
            if (self) self->server_.forget(self);
        });
        if (rc != 0) server_.forget(this);
    }

    MetricsServer& server_;
    UvHandle<uv_tcp_t> socket_;
    std::uint64_t opened_ms_;
    bool answered_ = false;
    char read_buffer_[1024];
    std::string head_;
};

MetricsServer::MetricsServer(const metrics::Registry& registry, std::function<void()> refresh)
    : registry_(registry),
      refresh_(std::move(refresh)),
      thread_("metrics"),
      sweeper_(thread_.loop())
{
}

MetricsServer::~MetricsServer() { stop(); }

Result<void> MetricsServer::start(const Endpoint& bind)
{
    auto address = to_sockaddr(bind);
    if (!address) return address.error();
    listener_ = UvHandle<uv_tcp_t>([this](uv_tcp_t* t) { return uv_tcp_init(thread_.loop(), t); });
    listener_.get()->data = this;
    int rc = uv_tcp_bind(listener_.get(), reinterpret_cast<const sockaddr*>(&address.value()), 0);
    if (rc == 0) {
        rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener_.get()), 16, [](uv_stream_t* listener, int status) {
            auto* self = static_cast<MetricsServer*>(listener->data);
            if (self && status == 0) self->on_connection();
        });
    }
    if (rc != 0) {
        listener_.close();
        std::string hint = rc == UV_EADDRINUSE ? " (the port is in use: pick another for --metrics)" : "";
        return make_error("cannot serve metrics on " + bind.to_string() + ": " + uv_strerror(rc) + hint);
    }
    sweeper_.start(
        1000,
        [this] {
            const std::uint64_t now = uv_now(thread_.loop());
            std::erase_if(exchanges_, [now](const auto& entry) { return entry.second->overdue(now); });
        },
        1000);
    thread_.start();
    started_ = true;
    return {};
}

std::uint16_t MetricsServer::port() const { return bound_port(listener_.get()); }

int MetricsServer::linger(std::uint32_t seconds)
{
    thread_.post([this] {
        for (int signum : {SIGINT, SIGTERM}) {
            UvHandle<uv_signal_t> handle([this](uv_signal_t* h) { return uv_signal_init(thread_.loop(), h); });
            handle.get()->data = this;
            uv_signal_start(
                handle.get(),
                [](uv_signal_t* h, int seen) {
                    auto* self = static_cast<MetricsServer*>(h->data);
                    std::lock_guard lock(self->linger_mutex_);
                    self->signal_seen_ = seen;
                    self->linger_ended_.notify_all();
                },
                signum);
            signals_.push_back(std::move(handle));
        }
    });
    std::unique_lock lock(linger_mutex_);
    linger_ended_.wait_for(lock, std::chrono::seconds(seconds), [this] { return signal_seen_ != 0; });
    return signal_seen_;
}

void MetricsServer::stop()
{
    if (!started_) return;
    started_ = false;
    thread_.post([this] {
        listener_.close();
        sweeper_.close();
        signals_.clear();
        exchanges_.clear();
    });
    thread_.join();
}

void MetricsServer::on_connection()
{
    auto exchange = std::make_unique<Exchange>(*this, thread_.loop());
    Exchange* raw = exchange.get();
    exchanges_.emplace(raw, std::move(exchange));
    if (!raw->accept_from(reinterpret_cast<uv_stream_t*>(listener_.get()))) forget(raw);
}

void MetricsServer::forget(Exchange* exchange) { exchanges_.erase(exchange); }

std::string MetricsServer::answer(std::string_view request) const
{
    return http_response(request, [this] {
        if (refresh_) refresh_();
        return registry_.render() + process::render_metrics(process::read_facts());
    });
}

Result<std::unique_ptr<MetricsServer>> serve_metrics(const MetricsOptions& options, metrics::Registry& registry,
                                                     std::function<void()> refresh)
{
    if (!options.bind) return std::unique_ptr<MetricsServer>();
    registry.at(metrics::family::build_info, {{"version", CHUNKSWARM_VERSION}}).set(1);
    auto server = std::make_unique<MetricsServer>(registry, [&registry, refresh = std::move(refresh)] {
        registry.at(metrics::family::peak_memory).set(process::peak_memory_bytes());
        if (refresh) refresh();
    });
    CS_TRY(server->start(*options.bind));
    log::event("metrics", {{"port", server->port()}}, "serving metrics at http://{}:{}/metrics",
               options.bind->host.find(':') == std::string::npos ? options.bind->host : "[" + options.bind->host + "]",
               server->port());
    return server;
}

void linger_and_stop(std::unique_ptr<MetricsServer> server, const MetricsOptions& options)
{
    if (!server) return;
    if (options.linger_s > 0) {
        log::event("metrics_linger", {{"seconds", options.linger_s}},
                   "still serving metrics for {} s (--metrics-linger; SIGINT or SIGTERM ends the wait)",
                   options.linger_s);
        log::flush();
        if (int signum = server->linger(options.linger_s); signum != 0) {
            const char* name = signum == SIGINT ? "SIGINT" : "SIGTERM";
            log::event("metrics_linger_ended", {{"signal", name}}, "{} ended the metrics linger", name);
        }
    }
    server->stop();
}

}  // namespace chunkswarm::net

// delay-relay: a TCP relay that holds every byte for a fixed time in each direction, so tests
// can give a link latency where the kernel has no netem. Test tooling, not part of chunkswarm.
//
//   delay-relay --listen 10.0.0.2:7000 --to 127.0.0.1:7001 --delay-ms 20
//
// Each accepted connection gets its own upstream connection. Bytes are forwarded in arrival
// order once `delay` has passed; reading pauses while too much waits to be written, so a fast
// sender cannot make the relay buffer without bound.
#include <uv.h>

#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "chunkswarm/net/uv_handle.hpp"

namespace {

using chunkswarm::net::UvHandle;

constexpr std::size_t kPauseAboveBytes = 4 << 20;

struct Options {
    sockaddr_in listen{};
    sockaddr_in to{};
    std::uint64_t delay_ms = 20;
};

bool parse_endpoint(const std::string& text, sockaddr_in* out)
{
    auto colon = text.rfind(':');
    if (colon == std::string::npos) return false;
    return uv_ip4_addr(text.substr(0, colon).c_str(), std::atoi(text.c_str() + colon + 1), out) == 0;
}

class Session;

// One direction of a session: bytes read from `from`, written to `to` after the delay.
struct Direction {
    Session* session = nullptr;
    uv_tcp_t* from = nullptr;
    uv_tcp_t* to = nullptr;
    struct Held {
        std::uint64_t due_ms;
        std::vector<char> bytes;
    };
    std::deque<Held> held;
    std::size_t held_bytes = 0;
    bool eof = false;
    bool shut = false;
    bool paused = false;
    std::unique_ptr<chunkswarm::net::Timer> timer;
};

class Session {
public:
    Session(uv_loop_t* loop, const Options& options) : loop_(loop), options_(options)
    {
        auto init = [loop](uv_tcp_t* t) { return uv_tcp_init(loop, t); };
        client_ = UvHandle<uv_tcp_t>(init);
        upstream_ = UvHandle<uv_tcp_t>(init);
        wire(up_, client_.get(), upstream_.get());
        wire(down_, upstream_.get(), client_.get());
        client_.get()->data = &up_;
        upstream_.get()->data = &down_;
    }

    uv_tcp_t* client() { return client_.get(); }

    void connect_upstream(std::unique_ptr<Session> self)
    {
        self_ = std::move(self);
        connect_.data = this;
        int rc = uv_tcp_connect(&connect_, upstream_.get(), reinterpret_cast<const sockaddr*>(&options_.to),
                                [](uv_connect_t* req, int status) {
                                    auto* s = static_cast<Session*>(req->data);
                                    if (status != 0) return s->end("cannot reach the upstream");
                                    s->start(s->up_);
                                    s->start(s->down_);
                                });
        if (rc != 0) end("cannot connect upstream");
    }

private:
    void wire(Direction& d, uv_tcp_t* from, uv_tcp_t* to)
    {
        d.session = this;
        d.from = from;
        d.to = to;
        d.timer = std::make_unique<chunkswarm::net::Timer>(loop_);
    }

    void start(Direction& d)
    {
        uv_tcp_nodelay(d.from, 1);
        uv_read_start(
            reinterpret_cast<uv_stream_t*>(d.from),
            [](uv_handle_t*, std::size_t, uv_buf_t* buf) {
                static thread_local char scratch[256 * 1024];
                *buf = uv_buf_init(scratch, sizeof(scratch));
            },
            [](uv_stream_t* stream, ssize_t n, const uv_buf_t* buf) {
                auto* d = static_cast<Direction*>(stream->data);
                if (d == nullptr || n == 0) return;
                if (n < 0) {
                    d->eof = true;
                    uv_read_stop(stream);
                } else {
                    d->held.push_back({uv_now(d->session->loop_) + d->session->options_.delay_ms,
                                       std::vector<char>(buf->base, buf->base + n)});
                    d->held_bytes += static_cast<std::size_t>(n);
                }
                d->session->schedule(*d);
            });
    }

    void schedule(Direction& d)
    {
        if (d.held.empty()) {
            if (d.eof && !d.shut) shutdown(d);
            return;
        }
        if (d.timer->active()) return;
        std::uint64_t now = uv_now(loop_);
        std::uint64_t due = d.held.front().due_ms;
        d.timer->start(due > now ? due - now : 0, [this, &d] { release(d); });
    }

    void release(Direction& d)
    {
        std::uint64_t now = uv_now(loop_);
        while (!d.held.empty() && d.held.front().due_ms <= now) {
            auto bytes = std::make_unique<std::vector<char>>(std::move(d.held.front().bytes));
            d.held.pop_front();
            d.held_bytes -= bytes->size();
            auto write = std::make_unique<uv_write_t>();
            uv_buf_t buf = uv_buf_init(bytes->data(), static_cast<unsigned>(bytes->size()));
            write->data = bytes.release();
            int rc = uv_write(write.get(), reinterpret_cast<uv_stream_t*>(d.to), &buf, 1, [](uv_write_t* w, int) {
                std::unique_ptr<uv_write_t> req(w);
                std::unique_ptr<std::vector<char>> data(static_cast<std::vector<char>*>(w->data));
                auto* d = static_cast<Direction*>(w->handle->data);
                if (d != nullptr) d->session->reconsider_reading();
            });
            if (rc != 0) {
                std::unique_ptr<std::vector<char>> unsent(static_cast<std::vector<char>*>(write->data));
                return end("write failed");
            }
            (void)write.release();
        }
        reconsider_reading();
        schedule(d);
    }

    // Reading in a direction pauses while its bytes wait in large numbers (held or in the socket's queue).
    void reconsider_reading()
    {
        for (Direction* d : {&up_, &down_}) {
            if (d->eof) continue;
            std::size_t waiting = d->held_bytes + uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(d->to));
            bool pause = waiting > kPauseAboveBytes;
            if (pause == d->paused) continue;
            d->paused = pause;
            if (pause) {
                uv_read_stop(reinterpret_cast<uv_stream_t*>(d->from));
            } else {
                start(*d);
            }
        }
    }

    void shutdown(Direction& d)
    {
        d.shut = true;
        auto req = std::make_unique<uv_shutdown_t>();
        if (uv_shutdown(req.get(), reinterpret_cast<uv_stream_t*>(d.to), [](uv_shutdown_t* r, int) {
                std::unique_ptr<uv_shutdown_t> owned(r);
                // Null once the session has ended (the callback then comes with UV_ECANCELED).
                auto* dir = static_cast<Direction*>(r->handle->data);
                if (dir != nullptr && dir->session->up_.shut && dir->session->down_.shut) dir->session->end("");
            }) == 0) {
            (void)req.release();
        }
    }

    void end(const char* why)
    {
        if (*why) std::fprintf(stderr, "delay-relay: %s\n", why);
        client_.get()->data = nullptr;
        upstream_.get()->data = nullptr;
        self_.reset();  // closes both sockets and the timers; pending callbacks see null data
    }

    uv_loop_t* loop_;
    const Options& options_;
    UvHandle<uv_tcp_t> client_;
    UvHandle<uv_tcp_t> upstream_;
    Direction up_;
    Direction down_;
    uv_connect_t connect_{};
    std::unique_ptr<Session> self_;
};

}  // namespace

int main(int argc, char** argv)
{
    Options options;
    bool have_listen = false, have_to = false;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i], value = argv[i + 1];
        if (flag == "--listen") have_listen = parse_endpoint(value, &options.listen);
        if (flag == "--to") have_to = parse_endpoint(value, &options.to);
        if (flag == "--delay-ms") options.delay_ms = std::strtoull(value.c_str(), nullptr, 10);
    }
    if (!have_listen || !have_to) {
        std::fprintf(stderr, "usage: delay-relay --listen IP:PORT --to IP:PORT [--delay-ms 20]\n");
        return 2;
    }
    uv_loop_t* loop = uv_default_loop();
    UvHandle<uv_tcp_t> server([loop](uv_tcp_t* t) { return uv_tcp_init(loop, t); });
    server.get()->data = &options;
    int rc = uv_tcp_bind(server.get(), reinterpret_cast<const sockaddr*>(&options.listen), 0);
    if (rc == 0) {
        rc = uv_listen(reinterpret_cast<uv_stream_t*>(server.get()), 64, [](uv_stream_t* listener, int status) {
            if (status != 0) return;
            const auto& opts = *static_cast<const Options*>(listener->data);
            auto session = std::make_unique<Session>(listener->loop, opts);
            if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(session->client())) != 0) return;
            Session* raw = session.get();
            raw->connect_upstream(std::move(session));
        });
    }
    if (rc != 0) {
        std::fprintf(stderr, "delay-relay: cannot listen: %s\n", uv_strerror(rc));
        return 1;
    }
    std::printf("delay-relay: listening, %llu ms each way\n", static_cast<unsigned long long>(options.delay_ms));
    std::fflush(stdout);
    return uv_run(loop, UV_RUN_DEFAULT);
}

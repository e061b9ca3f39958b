#include "chunkswarm/net/uv_handle.hpp"

#include <utility>

namespace chunkswarm::net {

Timer::Timer(uv_loop_t* loop) : handle_([loop](uv_timer_t* t) { return uv_timer_init(loop, t); })
{
    handle_.get()->data = this;
}

void Timer::start(std::uint64_t timeout_ms, std::function<void()> callback, std::uint64_t repeat_ms)
{
    if (!handle_) return;  // closed: nothing more may run on it
    callback_ = std::move(callback);
    uv_timer_start(
        handle_.get(),
        [](uv_timer_t* t) {
            auto* self = static_cast<Timer*>(t->data);
            if (self && self->callback_) {
                // The callback may restart this timer with a new callback; keep the running one alive.
                auto callback = self->callback_;
                callback();
            }
        },
        timeout_ms, repeat_ms);
}

void Timer::stop()
{
    if (handle_) uv_timer_stop(handle_.get());
}

bool Timer::active() const { return handle_ && uv_is_active(handle_.as_handle()) != 0; }

int write_owned(uv_stream_t* stream, std::string bytes, void (*done)(uv_stream_t* stream))
{
    struct Write {
        uv_write_t request{};
        std::string bytes;
        void (*done)(uv_stream_t*);
    };
    auto write = std::make_unique<Write>();
    write->request.data = write.get();
    write->bytes = std::move(bytes);
    write->done = done;
    uv_buf_t buffer = uv_buf_init(write->bytes.data(), static_cast<unsigned>(write->bytes.size()));
    const int rc = uv_write(&write->request, stream, &buffer, 1, [](uv_write_t* request, int) {
        std::unique_ptr<Write> finished(static_cast<Write*>(request->data));
        if (finished->done) finished->done(request->handle);
    });
    if (rc == 0) static_cast<void>(write.release());  // reclaimed by the callback
    return rc;
}

}  // namespace chunkswarm::net

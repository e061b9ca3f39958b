#include "chunkswarm/net/uv_handle.hpp"

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

}  // namespace chunkswarm::net

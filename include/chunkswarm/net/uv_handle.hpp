// Ownership of libuv handles. libuv may touch a handle until its close callback runs, so the
// memory is handed to libuv at close and reclaimed in the close callback, never freed earlier.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>

namespace chunkswarm::net {

template <class H>
class UvHandle {
public:
    UvHandle() = default;
    // `init` is the uv_*_init call; a handle whose init failed is never closed.
    template <class Init>
    explicit UvHandle(Init&& init) : handle_(std::make_unique<H>())
    {
        if (init(handle_.get()) != 0) {
            handle_.reset();
        }
    }
    UvHandle(const UvHandle&) = delete;
    UvHandle& operator=(const UvHandle&) = delete;
    UvHandle(UvHandle&&) noexcept = default;
    UvHandle& operator=(UvHandle&& other) noexcept
    {
        close();
        handle_ = std::move(other.handle_);
        return *this;
    }
    ~UvHandle() { close(); }

    H* get() const { return handle_.get(); }
    explicit operator bool() const { return handle_ != nullptr; }
    uv_handle_t* as_handle() const { return reinterpret_cast<uv_handle_t*>(handle_.get()); }

    void close()
    {
        if (!handle_) return;
        handle_->data = nullptr;
        uv_close(reinterpret_cast<uv_handle_t*>(handle_.release()),
                 [](uv_handle_t* h) { std::unique_ptr<H> reclaimed(reinterpret_cast<H*>(h)); });
    }

private:
    std::unique_ptr<H> handle_;
};

// A one-shot or repeating timer owned by one object on one loop.
class Timer {
public:
    explicit Timer(uv_loop_t* loop);
    // The handle points back at this object, so it stays where it was made.
    Timer(const Timer&) = delete;
    Timer& operator=(const Timer&) = delete;
    void start(std::uint64_t timeout_ms, std::function<void()> callback, std::uint64_t repeat_ms = 0);
    void stop();
    bool active() const;
    void close() { handle_.close(); }

private:
    UvHandle<uv_timer_t> handle_;
    std::function<void()> callback_;
};

// Writes `bytes` to `stream`, keeping them until libuv is done with them: its callback runs even
// when the stream is closed first. Then `done` (if any) runs with the stream, whose data pointer
// its owner clears when closing it. Returns uv_write's result; on an error `done` never runs.
int write_owned(uv_stream_t* stream, std::string bytes, void (*done)(uv_stream_t* stream) = nullptr);

}  // namespace chunkswarm::net

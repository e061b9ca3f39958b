// A libuv loop that runs on its own thread. Other threads hand it work with post(); libuv
// coalesces async sends, so each wake-up drains the whole queue.
#pragma once

#include <uv.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "chunkswarm/net/uv_handle.hpp"

namespace chunkswarm::net {

class LoopThread {
public:
    explicit LoopThread(std::string name);
    LoopThread(const LoopThread&) = delete;
    LoopThread& operator=(const LoopThread&) = delete;
    ~LoopThread();

    // Set up handles on loop() before start(); the loop runs until none of them is active.
    uv_loop_t* loop() { return &loop_; }
    void start();
    void join();
    // Thread-safe. Runs `task` on the loop thread; dropped if the loop has already ended.
    void post(std::function<void()> task);
    const std::string& name() const { return name_; }
    // Whether the caller runs on this loop's thread (for asserting which thread a hook runs on).
    bool is_current() const { return std::this_thread::get_id() == running_on_.load(); }

private:
    void drain();

    std::string name_;
    uv_loop_t loop_{};
    UvHandle<uv_async_t> wakeup_;
    std::mutex mutex_;
    std::vector<std::function<void()>> tasks_;  // guarded by mutex_
    bool ended_ = false;                        // guarded by mutex_
    std::thread thread_;
    // Set by the thread itself before its loop runs (thread_ is assigned only after it starts).
    std::atomic<std::thread::id> running_on_{};
};

// Closes every handle still open on `loop`, lets the callbacks run, and closes the loop.
// Returns uv_loop_close's result: 0 means nothing leaked.
int close_loop(uv_loop_t* loop);

}  // namespace chunkswarm::net

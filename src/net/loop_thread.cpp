#include "chunkswarm/net/loop_thread.hpp"

#include <stdexcept>

namespace chunkswarm::net {

LoopThread::LoopThread(std::string name) : name_(std::move(name))
{
    if (uv_loop_init(&loop_) != 0) {
        throw std::runtime_error("cannot create the " + name_ + " event loop");
    }
    wakeup_ = UvHandle<uv_async_t>([this](uv_async_t* a) {
        return uv_async_init(&loop_, a, [](uv_async_t* handle) { static_cast<LoopThread*>(handle->data)->drain(); });
    });
    wakeup_.get()->data = this;
    // The wake-up handle alone must not keep the loop running; the role's own handles do.
    uv_unref(wakeup_.as_handle());
}

LoopThread::~LoopThread()
{
    join();
    wakeup_.close();
    close_loop(&loop_);
}

void LoopThread::start()
{
    thread_ = std::thread([this] {
        running_on_ = std::this_thread::get_id();
        uv_run(&loop_, UV_RUN_DEFAULT);
        std::lock_guard lock(mutex_);
        ended_ = true;
        tasks_.clear();
    });
}

void LoopThread::join()
{
    if (thread_.joinable()) thread_.join();
}

void LoopThread::post(std::function<void()> task)
{
    std::lock_guard lock(mutex_);
    if (ended_) return;
    tasks_.push_back(std::move(task));
    uv_async_send(wakeup_.get());
}

void LoopThread::drain()
{
    std::vector<std::function<void()>> batch;
    {
        std::lock_guard lock(mutex_);
        batch.swap(tasks_);
    }
    for (auto& task : batch)
        task();
}

int close_loop(uv_loop_t* loop)
{
    uv_walk(
        loop,
        [](uv_handle_t* h, void*) {
            if (!uv_is_closing(h)) uv_close(h, nullptr);
        },
        nullptr);
    uv_run(loop, UV_RUN_DEFAULT);
    return uv_loop_close(loop);
}

}  // namespace chunkswarm::net

// The log's sink: lines are formatted by the thread that logs them and gathered in memory; a
// writer thread of its own writes them in batches. A busy peer logs several lines per chunk, and
// spdlog's own asynchronous logger woke its thread and wrote once per line (about a tenth of a
// 256 MiB run's CPU). Warnings and errors are written at once; other lines within kBatchDelay.
#pragma once

#include <spdlog/sinks/base_sink.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace chunkswarm::log {

class BatchingSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    static constexpr auto kBatchDelay = std::chrono::milliseconds(50);
    // Past this many bytes waiting, a logging thread waits for the writer (nothing is dropped).
    static constexpr std::size_t kMaxPending = 1 << 20;

    // Writes to `fd`, with ANSI colours around the level when `color` is set.
    BatchingSink(int fd, bool color);
    // Writes what is left, then stops the writer.
    ~BatchingSink() override;
    BatchingSink(const BatchingSink&) = delete;
    BatchingSink& operator=(const BatchingSink&) = delete;

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override;
    void flush_() override;

private:
    void run_writer();
    // Called with mutex_ held; writes without it.
    void write_pending(std::unique_lock<std::mutex>& lock);

    const int fd_;
    const bool color_;
    spdlog::memory_buf_t formatted_;  // guarded by mutex_, reused for every line
    std::string pending_;             // guarded by mutex_
    // The batch being written; the writer's alone. Swapped with pending_, so both keep their capacity.
    std::string batch_;
    bool urgent_ = false;              // guarded by mutex_: write without waiting out the delay
    bool writing_ = false;             // guarded by mutex_: the writer holds a batch outside the lock
    bool stopping_ = false;            // guarded by mutex_
    std::condition_variable wake_;     // the writer: a line arrived, or it is urgent
    std::condition_variable drained_;  // loggers waiting past kMaxPending, and flush_()
    std::thread writer_;
};

}  // namespace chunkswarm::log

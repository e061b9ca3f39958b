#include "batching_sink.hpp"

#include <string_view>

#include "chunkswarm/disk/file_util.hpp"

namespace chunkswarm::log {
namespace {

// The colours of spdlog's own console sink.
std::string_view color_of(spdlog::level::level_enum level)
{
    switch (level) {
        case spdlog::level::trace: return "\033[37m";
        case spdlog::level::debug: return "\033[36m";
        case spdlog::level::info: return "\033[32m";
        case spdlog::level::warn: return "\033[33m\033[1m";
        case spdlog::level::err: return "\033[31m\033[1m";
        case spdlog::level::critical: return "\033[1m\033[41m";
        default: return "";
    }
}
constexpr std::string_view kResetColor = "\033[m";

}  // namespace

BatchingSink::BatchingSink(int fd, bool color) : fd_(fd), color_(color), writer_([this] { run_writer(); }) {}

BatchingSink::~BatchingSink()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    writer_.join();
}

void BatchingSink::sink_it_(const spdlog::details::log_msg& msg)
{
    formatted_.clear();
    formatter_->format(msg, formatted_);
    const bool was_empty = pending_.empty();
    const std::string_view line(formatted_.data(), formatted_.size());
    if (color_ && msg.color_range_end > msg.color_range_start) {
        pending_ += line.substr(0, msg.color_range_start);
        pending_ += color_of(msg.level);
        pending_ += line.substr(msg.color_range_start, msg.color_range_end - msg.color_range_start);
        pending_ += kResetColor;
        pending_ += line.substr(msg.color_range_end);
    } else {
        pending_ += line;
    }
    if (msg.level >= spdlog::level::warn || pending_.size() >= kMaxPending) urgent_ = true;
    if (was_empty || urgent_) wake_.notify_one();
    if (pending_.size() >= kMaxPending) {
        // base_sink::log holds mutex_; wait on it and leave it held for the caller.
        std::unique_lock lock(mutex_, std::adopt_lock);
        drained_.wait(lock, [this] { return pending_.size() < kMaxPending; });
        lock.release();
    }
}

void BatchingSink::flush_()
{
    // base_sink::flush holds mutex_. Waiting for the writer keeps lines in order.
    std::unique_lock lock(mutex_, std::adopt_lock);
    urgent_ = true;
    wake_.notify_one();
    drained_.wait(lock, [this] { return pending_.empty() && !writing_; });
    lock.release();
}

void BatchingSink::run_writer()
{
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return !pending_.empty() || stopping_; });
        // Let the lines of a burst gather into one write.
        if (!urgent_ && !stopping_) wake_.wait_for(lock, kBatchDelay, [this] { return urgent_ || stopping_; });
        write_pending(lock);
        if (stopping_ && pending_.empty()) return;
    }
}

void BatchingSink::write_pending(std::unique_lock<std::mutex>& lock)
{
    batch_.swap(pending_);
    urgent_ = false;
    writing_ = true;
    drained_.notify_all();
    lock.unlock();
    // A console that is gone (closed pipe, full disk) loses lines; the process carries on.
    (void)write_fully(fd_, std::span(reinterpret_cast<const std::uint8_t*>(batch_.data()), batch_.size()));
    batch_.clear();
    lock.lock();
    writing_ = false;
    drained_.notify_all();
}

}  // namespace chunkswarm::log

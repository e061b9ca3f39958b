#include "chunkswarm/disk/chunk_file_writer.hpp"

#include <cstring>

namespace chunkswarm::disk {

ChunkFileWriter::ChunkFileWriter(const ChunkStore& store, std::uint32_t chunk_size, std::size_t depth,
                                 std::size_t writers)
    : store_(store),
      chunk_size_(chunk_size),
      depth_(depth)
{
    for (std::size_t i = 0; i < writers; ++i)
        threads_.emplace_back([this](std::stop_token stop) { run(stop); });
}

ChunkFileWriter::~ChunkFileWriter()
{
    (void)drain();
    for (auto& thread : threads_)
        thread.request_stop();
    changed_.notify_all();
}

Result<void> ChunkFileWriter::submit(ChunkId id, std::span<const std::uint8_t> bytes)
{
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return failure_ || !spare_.empty() || buffers_ < depth_; });
    if (failure_) return *failure_;
    AlignedBuffer buffer;
    if (spare_.empty()) {
        ++buffers_;
        buffer = AlignedBuffer(chunk_size_);
    } else {
        buffer = std::move(spare_.back());
        spare_.pop_back();
    }
    std::memcpy(buffer.data(), bytes.data(), bytes.size());
    queue_.push_back(Job{id, bytes.size(), std::move(buffer)});
    changed_.notify_all();
    return {};
}

Result<void> ChunkFileWriter::drain()
{
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return failure_ || (queue_.empty() && writing_ == 0); });
    if (failure_) return *failure_;
    return {};
}

void ChunkFileWriter::run(std::stop_token stop)
{
    std::unique_lock lock(mutex_);
    while (true) {
        changed_.wait(lock, stop, [this] { return !queue_.empty(); });
        if (queue_.empty()) return;  // stopped, with nothing left
        Job job = std::move(queue_.front());
        queue_.pop_front();
        ++writing_;
        lock.unlock();
        auto written = store_.write(job.id, job.buffer.span().first(job.length), CacheMode::direct);
        lock.lock();
        --writing_;
        if (!written && !failure_) {
            failure_ = written.error();
            queue_.clear();
        }
        spare_.push_back(std::move(job.buffer));
        changed_.notify_all();
    }
}

}  // namespace chunkswarm::disk

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

Result<void> ChunkFileWriter::write(ChunkId id, std::span<const std::uint8_t> bytes)
{
    std::optional<ChunkStore::FileSpan> clone_of = store_.may_clone() ? store_.joined_span(id) : std::nullopt;
    std::unique_lock lock(mutex_);
    // Every job in the queue or being written may hold a buffer, so this bounds memory too.
    changed_.wait(lock, [this] { return failure_ || queue_.size() + writing_ < depth_; });
    if (failure_) return *failure_;
    Job job{id, bytes.size(), std::move(clone_of), {}};
    if (!job.clone_of) {
        job.buffer = take_buffer();
        std::memcpy(job.buffer.data(), bytes.data(), bytes.size());
    }
    queue_.push_back(std::move(job));
    changed_.notify_all();
    return {};
}

AlignedBuffer ChunkFileWriter::take_buffer()
{
    if (spare_.empty()) return AlignedBuffer(chunk_size_);
    AlignedBuffer buffer = std::move(spare_.back());
    spare_.pop_back();
    return buffer;
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
        auto written = write(job);
        lock.lock();
        --writing_;
        if (!written && !failure_) {
            failure_ = written.error();
            queue_.clear();
        }
        if (job.buffer.data()) spare_.push_back(std::move(job.buffer));
        changed_.notify_all();
    }
}

// Called without mutex_ held.
Result<void> ChunkFileWriter::write(Job& job)
{
    if (job.clone_of) {
        const int source = job.clone_of->file->get();
        // Queued before the first refusal was known, a job tries no more once there is one.
        if (store_.may_clone()) {
            auto cloned = store_.clone(job.id, source, job.clone_of->offset, job.length);
            if (!cloned) return cloned.error();
            if (cloned.value()) return {};
        }
        // Not cloned: the bytes were not copied when queued, so they come from the served file.
        {
            std::lock_guard lock(mutex_);
            job.buffer = take_buffer();
        }
        ssize_t n = pread_fully(source, job.buffer.span().first(job.length), job.clone_of->offset);
        if (n != static_cast<ssize_t>(job.length)) {
            return make_error("cannot store chunk " + to_string(job.id) + ": cannot read it back: " +
                              (n < 0 ? errno_text(static_cast<int>(-n)) : std::string("the file is too short")));
        }
    }
    return store_.write(job.id, job.buffer.span().first(job.length), CacheMode::direct);
}

}  // namespace chunkswarm::disk

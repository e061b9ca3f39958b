#include "chunkswarm/disk/file_assembler.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace chunkswarm {

std::filesystem::path part_path_for(const std::filesystem::path& destination)
{
    std::filesystem::path part = destination;
    part += ".part";
    return part;
}

namespace {

// Chunk `id` of a file laid out as `layout` says, read into `buffer` (a chunk's size at least).
Result<std::span<const std::uint8_t>> read_chunk_at(int fd, const std::filesystem::path& name, const Manifest& layout,
                                                    ChunkId id, std::span<std::uint8_t> buffer)
{
    std::span<std::uint8_t> out = buffer.first(layout.chunk_length(id));
    ssize_t n = pread_fully(fd, out, chunk_offset(id, layout.chunk_size));
    if (n < 0) return make_error("cannot read " + name.string() + ": " + errno_text(static_cast<int>(-n)));
    if (static_cast<std::size_t>(n) != out.size()) return make_error(name.string() + " is too short");
    return std::span<const std::uint8_t>(out);
}

}  // namespace

Result<void> check_file_chunks(const std::filesystem::path& file, const Manifest& manifest)
{
    Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return make_error("cannot open " + file.string() + ": " + errno_text(errno));
    std::vector<std::uint8_t> buffer(manifest.chunk_size);
    for (ChunkId id : ids_below<ChunkId>(manifest.chunk_count)) {
        auto chunk = read_chunk_at(fd.get(), file, manifest, id, buffer);
        if (!chunk) return chunk.error();
        if (sha256(chunk.value()) != manifest.chunk_hash(id)) {
            return make_error("chunk " + to_string(id) + " of " + file.string() + " does not match the manifest");
        }
    }
    return {};
}

Result<std::unique_ptr<FileAssembler>> FileAssembler::create(const Manifest& manifest,
                                                             const std::filesystem::path& destination,
                                                             ReadBackCheck read_back_check)
{
    const std::filesystem::path part = part_path_for(destination);
    Fd fd(::open(part.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd.valid()) return make_error("cannot create " + part.string() + ": " + errno_text(errno));
    const auto size = static_cast<off_t>(manifest.file_size);
    int err = size > 0 ? ::posix_fallocate(fd.get(), 0, size) : 0;
    // Some file systems cannot reserve space; the writes then find a full disk themselves.
    if (err == EOPNOTSUPP || err == EINVAL) err = ::ftruncate(fd.get(), size) == 0 ? 0 : errno;
    if (err != 0) {
        ::unlink(part.c_str());
        return make_error("cannot make room for " + part.string() + " (" + std::to_string(manifest.file_size) +
                          " bytes): " + errno_text(err));
    }
    return std::make_unique<FileAssembler>(Key{}, manifest, destination, std::move(fd), read_back_check);
}

Result<std::unique_ptr<FileAssembler>> FileAssembler::resume(const Manifest& manifest,
                                                             const std::filesystem::path& destination,
                                                             ReadBackCheck read_back_check, ChunkSet& held)
{
    held = ChunkSet(manifest.chunk_count);
    const std::filesystem::path part = part_path_for(destination);
    std::error_code ec;
    if (std::filesystem::file_size(part, ec) != manifest.file_size || ec) {
        return create(manifest, destination, read_back_check);
    }
    Fd fd(::open(part.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd.valid()) return create(manifest, destination, read_back_check);
    auto assembler = std::make_unique<FileAssembler>(Key{}, manifest, destination, std::move(fd), read_back_check);
    for (ChunkId id : ids_below<ChunkId>(manifest.chunk_count)) {
        auto bytes = assembler->read_back(id);
        if (!bytes) return bytes.error();
        if (sha256(bytes.value()) != manifest.chunk_hash(id)) continue;
        held.insert(id);
        std::lock_guard lock(assembler->mutex_);
        assembler->written_.insert(id);
    }
    return assembler;
}

FileAssembler::FileAssembler(Key, const Manifest& manifest, std::filesystem::path destination, Fd fd,
                             ReadBackCheck read_back_check)
    : layout_{manifest.file_name,
              manifest.file_size,
              manifest.chunk_size,
              manifest.chunk_count,
              read_back_check == ReadBackCheck::check ? manifest.chunk_sha256 : std::vector<Digest>{},
              {}},  // a tree's listing: the stream is joined like a file
      destination_(std::move(destination)),
      part_(part_path_for(destination_)),
      fd_(std::move(fd)),
      read_back_check_(read_back_check),
      written_(manifest.chunk_count)
{
}

FileAssembler::~FileAssembler() = default;

Result<void> FileAssembler::write(ChunkId id, std::span<const std::uint8_t> bytes)
{
    if (id.value() >= layout_.chunk_count || bytes.size() != layout_.chunk_length(id)) {
        return make_error("chunk " + to_string(id) + " does not fit " + part_.string());
    }
    {
        std::lock_guard lock(mutex_);
        if (written_.contains(id)) return {};
        ++writing_;
    }
    const auto offset = chunk_offset(id, layout_.chunk_size);
    const int err = pwrite_fully(fd_.get(), bytes, offset);
    std::lock_guard lock(mutex_);
    if (--writing_ == 0) idle_.notify_all();  // finish() waits for none in progress
    if (err != 0) return make_error("cannot write " + part_.string() + ": " + errno_text(err));
    written_.insert(id);
    return {};
}

Result<std::span<const std::uint8_t>> FileAssembler::read_back(ChunkId id)
{
    buffer_.resize(layout_.chunk_size);
    return read_chunk_at(fd_.get(), part_, layout_, id, buffer_);
}

Result<void> FileAssembler::finish()
{
    std::unique_lock lock(mutex_);
    // The fd must outlive every write: a second copy of a chunk may still be going in.
    idle_.wait(lock, [this] { return writing_ == 0; });
    if (!written_.full()) {
        return make_error(part_.string() + " is missing chunk " +
                          to_string(ChunkSet::all(layout_.chunk_count).minus(written_).front()));
    }
    if (fd_.close() != 0) return make_error("cannot write " + part_.string() + ": " + errno_text(errno));
    if (read_back_check_ == ReadBackCheck::check) {
        if (auto checked = check_file_chunks(part_, layout_); !checked) {
            lock.unlock();
            abandon();
            return make_error(checked.error().message + "; " + part_.string() + " removed");
        }
    }
    if (::rename(part_.c_str(), destination_.c_str()) != 0) {
        return make_error("cannot rename " + part_.string() + " to " + destination_.string() + ": " +
                          errno_text(errno));
    }
    return {};
}

void FileAssembler::abandon()
{
    if (fd_.valid()) fd_.close();
    ::unlink(part_.c_str());
}

}  // namespace chunkswarm

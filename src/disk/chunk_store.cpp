#include "chunkswarm/disk/chunk_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "chunkswarm/disk/file_util.hpp"

namespace chunkswarm {
namespace {

struct DirCloser {
    void operator()(DIR* dir) const { ::closedir(dir); }
};

// Removes the entries of `dir` whose name `doomed` picks; returns how many went. The descriptor
// comes from open(), not opendir(): ThreadSanitizer does not see opendir() create one, and reports
// a race when its number was a socket that another of the peer's threads closed a moment before.
std::uint32_t remove_entries(const std::filesystem::path& dir, bool (*doomed)(const char* name))
{
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return 0;
    std::unique_ptr<DIR, DirCloser> stream(::fdopendir(fd));
    if (!stream) {
        ::close(fd);
        return 0;
    }
    std::uint32_t removed = 0;
    while (const dirent* entry = ::readdir(stream.get())) {
        if (doomed(entry->d_name) && ::unlinkat(fd, entry->d_name, 0) == 0) ++removed;
    }
    return removed;
}

bool is_temporary(const char* name)
{
    const std::size_t length = std::strlen(name);
    return length > 4 && std::strcmp(name + length - 4, ".tmp") == 0;
}

bool is_chunk_file(const char* name) { return std::strncmp(name, "chunk-", 6) == 0; }

}  // namespace

ChunkStore::ChunkStore(std::filesystem::path data_dir) : dir_(std::move(data_dir) / kChunkDirName) {}

Result<void> ChunkStore::prepare() const { return ensure_directory(dir_); }

std::filesystem::path ChunkStore::chunk_path(ChunkId id) const
{
    char name[32];
    std::snprintf(name, sizeof name, "chunk-%06u", id.value());
    return dir_ / name;
}

Result<void> ChunkStore::write(ChunkId id, std::span<const std::uint8_t> bytes, CacheMode mode) const
{
    std::filesystem::path path = chunk_path(id);
    if (auto written = write_file_atomically(path, bytes, mode); !written) {
        return make_error("cannot store chunk " + to_string(id) + ": " + written.error().message);
    }
    return {};
}

Result<bool> ChunkStore::clone(ChunkId id, int source, off_t offset, std::size_t length) const
{
    auto cloned = clone_file_atomically(chunk_path(id), source, offset, length);
    if (!cloned) return make_error("cannot store chunk " + to_string(id) + ": " + cloned.error().message);
    // A short last chunk may be refused only for its length; one in whole blocks speaks for all.
    if (cloned.value()) {
        clones_.fetch_add(1, std::memory_order_relaxed);
    } else if (length % AlignedBuffer::kAlignment == 0) {
        clone_refused_.store(true, std::memory_order_relaxed);
    }
    return cloned;
}

Result<std::vector<std::uint8_t>> ChunkStore::read(ChunkId id, std::uint32_t expected_length) const
{
    // One byte more than expected tells a too-long file from an exact one.
    std::vector<std::uint8_t> bytes(std::size_t{expected_length} + 1);
    auto got = read_into(id, expected_length, bytes);
    if (!got) return got.error();
    bytes.resize(expected_length);
    return bytes;
}

Result<std::span<const std::uint8_t>> ChunkStore::read_into(ChunkId id, std::uint32_t expected_length,
                                                            std::span<std::uint8_t> buffer) const
{
    if (auto joined = joined_source()) return read_joined(*joined, id, expected_length, buffer);
    return read_chunk_file(id, expected_length, buffer);
}

Result<std::span<const std::uint8_t>> ChunkStore::read_chunk_file(ChunkId id, std::uint32_t expected_length,
                                                                  std::span<std::uint8_t> buffer) const
{
    std::filesystem::path path = chunk_path(id);
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
        return make_error("cannot open chunk " + to_string(id) + " at " + path.string() + ": " + errno_text(errno));
    }
    ssize_t n = read_fully(fd.get(), buffer.first(std::size_t{expected_length} + 1));
    if (n < 0) {
        return make_error("cannot read " + path.string() + ": " + errno_text(static_cast<int>(-n)));
    }
    if (static_cast<std::size_t>(n) != expected_length) {
        return make_error(path.string() + " is not " + std::to_string(expected_length) + " bytes long");
    }
    return std::span<const std::uint8_t>(buffer.data(), expected_length);
}

Result<void> ChunkStore::serve_from_joined(const std::filesystem::path& joined, std::uint32_t chunk_size)
{
    auto fd = std::make_shared<Fd>(::open(joined.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd->valid()) return make_error("cannot open " + joined.string() + ": " + errno_text(errno));
    std::lock_guard lock(joined_mutex_);
    joined_ = JoinedSource{std::move(fd), chunk_size};
    return {};
}

bool ChunkStore::serving_from_joined() const { return joined_source().has_value(); }

void ChunkStore::stop_serving_from_joined()
{
    std::lock_guard lock(joined_mutex_);
    joined_.reset();
}

std::optional<ChunkStore::FileSpan> ChunkStore::joined_span(ChunkId id) const
{
    auto joined = joined_source();
    if (!joined) return std::nullopt;
    return FileSpan{std::move(joined->fd), chunk_offset(id, joined->chunk_size)};
}

std::optional<ChunkStore::JoinedSource> ChunkStore::joined_source() const
{
    std::lock_guard lock(joined_mutex_);
    return joined_;
}

Result<std::span<const std::uint8_t>> ChunkStore::read_joined(const JoinedSource& joined, ChunkId id,
                                                              std::uint32_t expected_length,
                                                              std::span<std::uint8_t> buffer) const
{
    const auto offset = chunk_offset(id, joined.chunk_size);
    ssize_t n = pread_fully(joined.fd->get(), buffer.first(expected_length), offset);
    if (n < 0) {
        return make_error("cannot read chunk " + to_string(id) +
                          " from the joined file: " + errno_text(static_cast<int>(-n)));
    }
    if (static_cast<std::size_t>(n) != expected_length) {
        return make_error("cannot read chunk " + to_string(id) + " from the joined file: it is too short");
    }
    return std::span<const std::uint8_t>(buffer.data(), expected_length);
}

ChunkStore::ScanResult ChunkStore::scan(const Manifest& manifest, const ChunkVisitor& on_verified) const
{
    ScanResult result{ChunkSet(manifest.chunk_count), 0};
    std::vector<std::uint8_t> buffer(std::size_t{manifest.chunk_size} + 1);
    remove_entries(dir_, is_temporary);
    std::error_code ec;
    for (ChunkId id : ids_below<ChunkId>(manifest.chunk_count)) {
        std::filesystem::path path = chunk_path(id);
        if (!std::filesystem::exists(path, ec)) continue;
        // The chunk file itself, even while chunks are served from elsewhere.
        auto bytes = read_chunk_file(id, manifest.chunk_length(id), buffer);
        if (bytes && sha256(bytes.value()) == manifest.chunk_hash(id)) {
            result.held.insert(id);
            if (on_verified) on_verified(id, bytes.value());
        } else {
            std::filesystem::remove(path, ec);
            ++result.dropped;
        }
    }
    return result;
}

std::uint32_t ChunkStore::clear() const { return remove_entries(dir_, is_chunk_file); }

namespace {

// True when the chunk file already holds exactly the chunk of this length and digest. The chunk
// file itself: the owner serves from the source meanwhile, which of course matches.
bool holds(const ChunkStore& store, ChunkId id, std::uint32_t length, const Digest& digest,
           std::span<std::uint8_t> buffer)
{
    std::error_code ec;
    if (std::filesystem::file_size(store.chunk_path(id), ec) != length || ec) return false;
    auto bytes = store.read_chunk_file(id, length, buffer);
    return bytes && sha256(bytes.value()) == digest;
}

}  // namespace

Result<Splitter> Splitter::open(const std::filesystem::path& source, std::uint32_t chunk_size, const ChunkStore& store)
{
    Fd fd(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
        return make_error("cannot open " + source.string() + ": " + errno_text(errno));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
        return make_error(source.string() + " is not a regular file");
    }
    Splitter splitter;
    splitter.source_ = source;
    splitter.fd_ = std::move(fd);
    splitter.store_ = &store;
    Manifest& m = splitter.manifest_;
    m.file_name = source.filename().string();
    if (auto r = check_file_name(m.file_name); !r) return r.error();
    auto count = plan_chunk_count(static_cast<std::uint64_t>(st.st_size), chunk_size);
    if (!count) return make_error(source.string() + ": " + count.error().message);
    if (auto r = store.prepare(); !r) return r.error();
    m.file_size = static_cast<std::uint64_t>(st.st_size);
    m.chunk_size = chunk_size;
    m.chunk_count = count.value();
    m.chunk_sha256.resize(m.chunk_count);
    splitter.reused_ = std::make_unique<std::atomic<std::uint32_t>>(0);
    return splitter;
}

Result<void> Splitter::read_chunk(ChunkId id, std::span<std::uint8_t> out) const
{
    const auto offset = chunk_offset(id, manifest_.chunk_size);
    ssize_t n = pread_fully(fd_.get(), out, offset);
    if (n < 0) return make_error("cannot read " + source_.string() + ": " + errno_text(static_cast<int>(-n)));
    if (static_cast<std::size_t>(n) != out.size()) {
        return make_error(source_.string() + " changed size while being split");
    }
    return {};
}

Result<void> Splitter::hash_range(ChunkId first, ChunkId last)
{
    std::vector<std::uint8_t> buffer(manifest_.chunk_size);
    for (ChunkId id = first; id < last; ++id) {
        std::span<std::uint8_t> chunk(buffer.data(), manifest_.chunk_length(id));
        CS_TRY(read_chunk(id, chunk));
        manifest_.chunk_sha256[id.value()] = sha256(chunk);
    }
    return {};
}

Result<void> Splitter::write_range(ChunkId first, ChunkId last)
{
    AlignedBuffer buffer(std::size_t{manifest_.chunk_size} + 1);  // read_chunk_file() wants a byte more
    for (ChunkId id = first; id < last; ++id) {
        const std::uint32_t length = manifest_.chunk_length(id);
        if (holds(*store_, id, length, manifest_.chunk_hash(id), buffer.span())) {
            ++*reused_;
            continue;
        }
        if (store_->may_clone()) {
            auto cloned = store_->clone(id, fd_.get(), chunk_offset(id, manifest_.chunk_size), length);
            if (!cloned) return cloned.error();
            if (cloned.value()) continue;
        }
        std::span<std::uint8_t> chunk = buffer.span().first(length);
        CS_TRY(read_chunk(id, chunk));
        CS_TRY(store_->write(id, chunk, CacheMode::direct));
    }
    return {};
}

}  // namespace chunkswarm

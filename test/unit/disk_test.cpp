// Chunk files written past the page cache, and the writer thread that keeps them off a loop.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <cstring>
#include <thread>

#include "chunkswarm/disk/chunk_file_writer.hpp"
#include "chunkswarm/disk/chunk_store.hpp"
#include "chunkswarm/disk/file_util.hpp"
#include "test_ids.hpp"
#include "test_util.hpp"

using namespace chunkswarm;
using chunkswarm::test::TempDir;

namespace {

AlignedBuffer aligned_copy(const std::vector<std::uint8_t>& bytes)
{
    AlignedBuffer buffer(bytes.size());
    std::memcpy(buffer.data(), bytes.data(), bytes.size());
    return buffer;
}

// True when every extent of the file is shared with another file (a clone's are).
bool shares_all_blocks(const std::filesystem::path& path)
{
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(fd.valid());
    constexpr std::uint32_t kExtents = 16;
    std::vector<std::uint64_t> storage((sizeof(fiemap) + kExtents * sizeof(fiemap_extent)) / 8 + 1);
    auto* map = reinterpret_cast<fiemap*>(storage.data());
    map->fm_length = FIEMAP_MAX_OFFSET;
    map->fm_flags = FIEMAP_FLAG_SYNC;
    map->fm_extent_count = kExtents;
    if (::ioctl(fd.get(), FS_IOC_FIEMAP, map) != 0 || map->fm_mapped_extents == 0) return false;
    for (std::uint32_t i = 0; i < map->fm_mapped_extents; ++i) {
        if (!(map->fm_extents[i].fe_flags & FIEMAP_EXTENT_SHARED)) return false;
    }
    return true;
}

// The reflink test runs these on a file system that shares blocks (XFS) and says so here, so that
// a clone silently refused there fails instead of passing as a fallback.
bool clones_expected() { return std::getenv("CHUNKSWARM_EXPECT_CLONES") != nullptr; }

std::size_t entries_in(const std::filesystem::path& dir)
{
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir))
        ++entries;
    return entries;
}

}  // namespace

TEST_CASE("a clone holds its range's bytes in blocks shared with the source, or is refused leaving nothing")
{
    TempDir dir;
    constexpr std::size_t kBlockRun = 25 * 4096;
    auto bytes = test::random_bytes(3 * kBlockRun + 1000, 11);
    test::write_file(dir.path() / "source", bytes);
    Fd source(::open((dir.path() / "source").c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(source.valid());
    // A range in whole blocks, and the short one that ends the file.
    struct Range {
        const char* name;
        off_t offset;
        std::size_t length;
    };
    for (Range range : {Range{"middle", kBlockRun, kBlockRun}, Range{"tail", 3 * kBlockRun, 1000}}) {
        CAPTURE(range.name);
        auto cloned = clone_file_atomically(dir.path() / range.name, source.get(), range.offset, range.length);
        REQUIRE(cloned.ok());
        if (clones_expected()) REQUIRE(cloned.value());
        if (!cloned.value()) {
            CHECK_FALSE(std::filesystem::exists(dir.path() / range.name));
            continue;
        }
        auto begin = bytes.begin() + range.offset;
        CHECK(test::read_file(dir.path() / range.name) ==
              std::vector<std::uint8_t>(begin, begin + static_cast<std::ptrdiff_t>(range.length)));
        CHECK(shares_all_blocks(dir.path() / range.name));
    }
    // No temporary file is left either way.
    for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
        CHECK(entry.path().extension() != ".tmp");
}

TEST_CASE("the chunk file writer clones chunks of the file the store serves from, or writes them where it cannot")
{
    TempDir dir;
    constexpr std::uint32_t kChunk = 8 * 4096;
    constexpr std::uint32_t kChunks = 40;
    auto bytes = test::random_bytes(std::size_t{kChunk} * (kChunks - 1) + 123, 5);
    test::write_file(dir.path() / "joined.part", bytes);
    ChunkStore store(dir.path() / "data");
    REQUIRE(store.prepare().ok());
    REQUIRE(store.serve_from_joined(dir.path() / "joined.part", kChunk).ok());
    auto chunk = [&](ChunkId id) {
        auto begin = bytes.begin() + std::ptrdiff_t{id.value()} * kChunk;
        return std::vector<std::uint8_t>(begin, id.value() + 1 == kChunks ? bytes.end() : begin + kChunk);
    };
    {
        // The first chunks are queued before anyone knows whether clones work here; where they do
        // not, those are read back from the served file and written.
        disk::ChunkFileWriter writer(store, kChunk, 4);
        for (ChunkId id : ids_below<ChunkId>(kChunks))
            REQUIRE(writer.write(id, chunk(id)).ok());
        REQUIRE(writer.drain().ok());
    }
    if (clones_expected()) CHECK(store.may_clone());
    for (ChunkId id : ids_below<ChunkId>(kChunks)) {
        CAPTURE(id);
        CHECK(test::read_file(store.chunk_path(id)) == chunk(id));
        if (store.may_clone()) CHECK(shares_all_blocks(store.chunk_path(id)));
    }
    CHECK(entries_in(store.dir()) == kChunks);
}

TEST_CASE("an aligned buffer is aligned for O_DIRECT, whatever its size")
{
    for (std::size_t size : {1u, 4096u, 102400u, 102401u}) {
        AlignedBuffer buffer(size);
        CHECK(reinterpret_cast<std::uintptr_t>(buffer.data()) % AlignedBuffer::kAlignment == 0);
        CHECK(buffer.size() == size);
        CHECK(buffer.span().size() == size);
    }
}

TEST_CASE("a direct write stores the same bytes as a buffered one, and falls back where it must")
{
    TempDir dir;
    // Whole 4 KiB blocks from an aligned buffer go past the page cache; a short tail, or a buffer
    // that is not aligned, goes through it. Every kind must read back the same.
    auto whole = test::random_bytes(25 * 4096, 1);
    auto tail = test::random_bytes(4096 + 17, 2);
    AlignedBuffer aligned_whole = aligned_copy(whole);
    AlignedBuffer aligned_tail = aligned_copy(tail);
    REQUIRE(write_file_atomically(dir.path() / "whole", aligned_whole.span(), CacheMode::direct).ok());
    REQUIRE(write_file_atomically(dir.path() / "tail", aligned_tail.span(), CacheMode::direct).ok());
    REQUIRE(write_file_atomically(dir.path() / "unaligned", std::span(whole).subspan(1), CacheMode::direct).ok());
    CHECK(test::read_file(dir.path() / "whole") == whole);
    CHECK(test::read_file(dir.path() / "tail") == tail);
    CHECK(test::read_file(dir.path() / "unaligned") == std::vector<std::uint8_t>(whole.begin() + 1, whole.end()));
    // No temporary file is left beside them.
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path()))
        ++entries;
    CHECK(entries == 3);
    // Replacing a file replaces it whole.
    auto other = test::random_bytes(25 * 4096, 3);
    AlignedBuffer aligned_other = aligned_copy(other);
    REQUIRE(write_file_atomically(dir.path() / "whole", aligned_other.span(), CacheMode::direct).ok());
    CHECK(test::read_file(dir.path() / "whole") == other);
}

TEST_CASE("a direct write into a directory that is gone names the file")
{
    TempDir dir;
    AlignedBuffer buffer(4096);
    auto written = write_file_atomically(dir.path() / "missing" / "f", buffer.span(), CacheMode::direct);
    REQUIRE_FALSE(written.ok());
    CHECK(written.error().message.find("cannot create") != std::string::npos);
}

TEST_CASE("the chunk file writer writes every queued chunk, from several threads, before drain returns")
{
    TempDir dir;
    ChunkStore store(dir.path());
    REQUIRE(store.prepare().ok());
    constexpr std::uint32_t kChunk = 8192;
    constexpr std::uint32_t kChunks = 64;
    std::vector<std::vector<std::uint8_t>> chunks;
    for (std::uint32_t id = 0; id < kChunks; ++id)
        chunks.push_back(test::random_bytes(id == kChunks - 1 ? 1000 : kChunk, id + 7));
    {
        // A queue shorter than the chunks: write() waits for room instead of growing.
        disk::ChunkFileWriter writer(store, kChunk, 3);
        {
            std::vector<std::jthread> threads;
            for (std::uint32_t half = 0; half < 2; ++half) {
                threads.emplace_back([&, half] {
                    for (std::uint32_t id = half; id < kChunks; id += 2)
                        CHECK(writer.write(ChunkId(id), chunks[id]).ok());
                });
            }
        }
        REQUIRE(writer.drain().ok());
        for (std::uint32_t id = 0; id < kChunks; ++id)
            CHECK(test::read_file(store.chunk_path(ChunkId(id))) == chunks[id]);
        // And once more after a drain; the destructor writes what is still queued.
        CHECK(writer.write(ChunkId(kChunks), chunks[0]).ok());
    }
    CHECK(test::read_file(store.chunk_path(ChunkId(kChunks))) == chunks[0]);
}

TEST_CASE("the chunk file writer reports a failed write at the next write and at drain")
{
    TempDir dir;
    ChunkStore store(dir.path() / "data");
    // The chunk directory was never made: every write fails.
    disk::ChunkFileWriter writer(store, 4096, 2);
    auto bytes = test::random_bytes(4096);
    CHECK(writer.write(0_c, bytes).ok());  // queued; the failure comes later
    auto drained = writer.drain();
    REQUIRE_FALSE(drained.ok());
    CHECK(drained.error().message.find("cannot store chunk 0") != std::string::npos);
    auto next = writer.write(1_c, bytes);
    REQUIRE_FALSE(next.ok());
    CHECK(next.error().message == drained.error().message);
}

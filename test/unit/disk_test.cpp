// Chunk files written past the page cache, and the writer thread that keeps them off a loop.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstring>
#include <thread>

#include "chunkswarm/chunk_store.hpp"
#include "chunkswarm/disk/chunk_file_writer.hpp"
#include "chunkswarm/file_util.hpp"
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

}  // namespace

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
        // A queue shorter than the chunks: submit() waits for room instead of growing.
        disk::ChunkFileWriter writer(store, kChunk, 3);
        {
            std::vector<std::jthread> threads;
            for (std::uint32_t half = 0; half < 2; ++half) {
                threads.emplace_back([&, half] {
                    for (std::uint32_t id = half; id < kChunks; id += 2)
                        CHECK(writer.submit(id, chunks[id]).ok());
                });
            }
        }
        REQUIRE(writer.drain().ok());
        for (std::uint32_t id = 0; id < kChunks; ++id)
            CHECK(test::read_file(store.chunk_path(id)) == chunks[id]);
        // And once more after a drain; the destructor writes what is still queued.
        CHECK(writer.submit(kChunks, chunks[0]).ok());
    }
    CHECK(test::read_file(store.chunk_path(kChunks)) == chunks[0]);
}

TEST_CASE("the chunk file writer reports a failed write at the next submit and at drain")
{
    TempDir dir;
    ChunkStore store(dir.path() / "data");
    // The chunk directory was never made: every write fails.
    disk::ChunkFileWriter writer(store, 4096, 2);
    auto bytes = test::random_bytes(4096);
    CHECK(writer.submit(0, bytes).ok());  // queued; the failure comes later
    auto drained = writer.drain();
    REQUIRE_FALSE(drained.ok());
    CHECK(drained.error().message.find("cannot store chunk 0") != std::string::npos);
    auto next = writer.submit(1, bytes);
    REQUIRE_FALSE(next.ok());
    CHECK(next.error().message == drained.error().message);
}

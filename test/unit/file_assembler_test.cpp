#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <thread>

#include "chunkswarm/disk/chunk_store.hpp"
#include "chunkswarm/disk/file_assembler.hpp"
#include "test_ids.hpp"
#include "test_util.hpp"

using namespace chunkswarm;
using test::TempDir;

namespace {

// A real file's manifest: 1 KiB chunks, the last one short.
struct Source {
    std::vector<std::uint8_t> bytes;
    Manifest manifest;
};

Source make_source(std::size_t size, std::uint32_t seed = 7)
{
    Source s;
    s.bytes = test::random_bytes(size, seed);
    s.manifest.file_name = "f.bin";
    s.manifest.chunk_size = 1024;
    s.manifest.file_size = size;
    s.manifest.chunk_count = static_cast<std::uint32_t>((size + 1023) / 1024);
    for (ChunkId id : ids_below<ChunkId>(s.manifest.chunk_count)) {
        const std::size_t offset = std::size_t{id.value()} * s.manifest.chunk_size;
        s.manifest.chunk_sha256.push_back(
            sha256(std::span(s.bytes).subspan(offset, std::min<std::size_t>(s.manifest.chunk_size, size - offset))));
    }
    return s;
}

std::span<const std::uint8_t> chunk_of(const Source& s, ChunkId id)
{
    return std::span(s.bytes).subspan(std::size_t{id.value()} * s.manifest.chunk_size, s.manifest.chunk_length(id));
}
std::span<const std::uint8_t> chunk_of(const Source& s, std::uint32_t id) { return chunk_of(s, ChunkId(id)); }

std::vector<ChunkId> shuffled_ids(std::uint32_t count, std::uint32_t seed)
{
    std::vector<ChunkId> ids(count);
    for (ChunkId id : ids_below<ChunkId>(count))
        ids[id.value()] = id;
    std::shuffle(ids.begin(), ids.end(), std::mt19937(seed));
    return ids;
}

// A source and an assembler for it in a fresh directory.
struct Assembly {
    explicit Assembly(std::size_t size, ReadBackCheck whole = ReadBackCheck::check) : s(make_source(size))
    {
        auto created = FileAssembler::create(s.manifest, out(), whole);
        REQUIRE(created.ok());
        assembler = std::move(created).value();
    }
    Result<void> write(ChunkId id) { return assembler->write(id, chunk_of(s, id)); }
    std::filesystem::path out() const { return dir.path() / "f.bin"; }

    TempDir dir;
    Source s;
    std::unique_ptr<FileAssembler> assembler;
};

// Runs the test case once per mode, as a subcase each.
ReadBackCheck each_mode()
{
    ReadBackCheck mode = ReadBackCheck::skip;
    SUBCASE("chunk hashes only") { mode = ReadBackCheck::skip; }
    SUBCASE("and read back and checked at the end") { mode = ReadBackCheck::check; }
    return mode;
}

}  // namespace

TEST_CASE("chunks put in any order, some twice, make the file; the .part is renamed")
{
    Assembly a(40 * 1024 + 77, each_mode());
    const Source& s = a.s;
    CHECK(std::filesystem::file_size(a.dir.path() / "f.bin.part") == s.bytes.size());
    for (ChunkId id : shuffled_ids(s.manifest.chunk_count, 3)) {
        REQUIRE(a.write(id).ok());
        if (id.value() % 7 == 0) REQUIRE(a.write(id).ok());
    }
    REQUIRE(a.assembler->finish().ok());
    CHECK(test::read_file(a.out()) == s.bytes);
    CHECK_FALSE(std::filesystem::exists(a.dir.path() / "f.bin.part"));
}

TEST_CASE("two threads putting chunks at once make the file")
{
    Assembly a(300 * 1024 + 5, each_mode());
    const Source& s = a.s;
    std::vector<ChunkId> ids = shuffled_ids(s.manifest.chunk_count, 11);
    auto put_every_other = [&](std::size_t first) {
        for (std::size_t i = first; i < ids.size(); i += 2)
            if (!a.assembler->write(ids[i], chunk_of(s, ids[i]))) return false;
        return true;
    };
    bool first_ok = false;
    bool second_ok = false;
    {
        std::jthread first([&] { first_ok = put_every_other(0); });
        std::jthread second([&] { second_ok = put_every_other(1); });
    }
    CHECK(first_ok);
    CHECK(second_ok);
    REQUIRE(a.assembler->finish().ok());
    CHECK(test::read_file(a.out()) == s.bytes);
}

TEST_CASE("a chunk missing at the end is named, and nothing is renamed")
{
    Assembly a(10 * 1024, each_mode());
    const Source& s = a.s;
    for (ChunkId id : ids_below<ChunkId>(s.manifest.chunk_count))
        if (id != 4_c) REQUIRE(a.write(id).ok());
    auto finished = a.assembler->finish();
    REQUIRE_FALSE(finished.ok());
    CHECK(finished.error().message.find("missing chunk 4") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(a.out()));
}

TEST_CASE("bytes that do not make the manifest's file fail the check on reading back, and the .part goes")
{
    Assembly a(10 * 1024 + 1);
    const Source& s = a.s;
    std::vector<std::uint8_t> wrong(chunk_of(s, 2).begin(), chunk_of(s, 2).end());
    wrong[100] ^= 1;
    for (ChunkId id : ids_below<ChunkId>(s.manifest.chunk_count))
        REQUIRE(a.assembler->write(id, id == 2_c ? std::span<const std::uint8_t>(wrong) : chunk_of(s, id)).ok());
    auto finished = a.assembler->finish();
    REQUIRE_FALSE(finished.ok());
    CHECK(finished.error().message.find("chunk 2 of ") != std::string::npos);
    CHECK(finished.error().message.find("does not match the manifest") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(a.out()));
    CHECK_FALSE(std::filesystem::exists(a.dir.path() / "f.bin.part"));
}

TEST_CASE("without the check on reading back, the rename trusts the chunk checks made before put()")
{
    Assembly a(10 * 1024 + 1, ReadBackCheck::skip);
    std::vector<std::uint8_t> wrong(chunk_of(a.s, 2).begin(), chunk_of(a.s, 2).end());
    wrong[100] ^= 1;
    for (ChunkId id : ids_below<ChunkId>(a.s.manifest.chunk_count))
        REQUIRE(a.assembler->write(id, id == 2_c ? std::span<const std::uint8_t>(wrong) : chunk_of(a.s, id)).ok());
    REQUIRE(a.assembler->finish().ok());
    std::vector<std::uint8_t> expected = a.s.bytes;
    expected[2 * 1024 + 100] ^= 1;
    CHECK(test::read_file(a.out()) == expected);
}

TEST_CASE("a chunk of the wrong length or past the end is refused")
{
    Assembly a(10 * 1024 + 1);
    const Source& s = a.s;
    CHECK_FALSE(a.assembler->write(0_c, chunk_of(s, 0).first(1000)).ok());
    CHECK_FALSE(a.assembler->write(10_c, chunk_of(s, 0).first(2)).ok());  // the last one is 1 byte
    CHECK(a.assembler->write(10_c, chunk_of(s, 10)).ok());
    CHECK_FALSE(a.assembler->write(11_c, chunk_of(s, 10)).ok());
}

TEST_CASE("a .part that cannot be created names its path; abandon removes it")
{
    Assembly a(6 * 1024);
    auto nowhere = FileAssembler::create(a.s.manifest, a.dir.path() / "no-such-dir" / "f.bin", ReadBackCheck::skip);
    REQUIRE_FALSE(nowhere.ok());
    CHECK(nowhere.error().message.find("no-such-dir/f.bin.part") != std::string::npos);

    REQUIRE(a.write(0_c).ok());
    a.assembler->abandon();
    CHECK_FALSE(std::filesystem::exists(a.dir.path() / "f.bin.part"));
}

TEST_CASE("a .part left by an earlier run is picked up: chunks that verify count, damaged ones do not")
{
    const ReadBackCheck mode = each_mode();
    Assembly a(12 * 1024 + 9, mode);
    Source s = a.s;
    for (ChunkId id : ids_below<ChunkId>(s.manifest.chunk_count))
        s.manifest.chunk_sha256[id.value()] = sha256(chunk_of(s, id));
    for (ChunkId id : {0_c, 1_c, 2_c, 5_c, 12_c})
        REQUIRE(a.write(id).ok());
    a.assembler.reset();  // the process ends; the .part stays
    {
        // A byte of chunk 5 goes bad on disk.
        std::fstream part(a.dir.path() / "f.bin.part", std::ios::in | std::ios::out | std::ios::binary);
        part.seekp(static_cast<std::streamoff>(5 * s.manifest.chunk_size + 7));
        part.put(static_cast<char>(chunk_of(s, 5)[7] ^ 0xff));
        REQUIRE(part.good());
    }

    ChunkSet held;
    auto resumed = FileAssembler::resume(s.manifest, a.out(), mode, held);
    REQUIRE(resumed.ok());
    CHECK(held.ids() == test::chunk_ids({0, 1, 2, 12}));
    for (ChunkId id : ids_below<ChunkId>(s.manifest.chunk_count))
        if (!held.contains(id)) REQUIRE(resumed.value()->write(id, chunk_of(s, id)).ok());
    REQUIRE(resumed.value()->finish().ok());
    CHECK(test::read_file(a.out()) == s.bytes);
}

TEST_CASE("a second copy of a chunk is not written again, even after the file is finished")
{
    const ReadBackCheck mode = each_mode();
    Assembly a(6 * 1024, mode);
    for (ChunkId id : ids_below<ChunkId>(a.s.manifest.chunk_count))
        REQUIRE(a.write(id).ok());
    std::vector<std::uint8_t> other(chunk_of(a.s, 2).size(), 0x5a);
    REQUIRE(a.assembler->write(2_c, other).ok());
    REQUIRE(a.assembler->finish().ok());
    CHECK(a.assembler->write(3_c, other).ok());  // the .part is closed and renamed: nothing is touched
    CHECK(test::read_file(a.out()) == a.s.bytes);
}

TEST_CASE("without a .part of the right size, resume starts an empty one")
{
    Assembly a(8 * 1024);
    REQUIRE(a.write(0_c).ok());
    a.assembler.reset();
    Manifest bigger = a.s.manifest;
    bigger.file_size += 1;
    bigger.chunk_count += 1;
    bigger.chunk_sha256.push_back(Digest{});
    ChunkSet held;
    auto resumed = FileAssembler::resume(bigger, a.out(), ReadBackCheck::check, held);
    REQUIRE(resumed.ok());
    CHECK(held.empty());
    CHECK(std::filesystem::file_size(a.dir.path() / "f.bin.part") == bigger.file_size);
}

TEST_CASE("a scan checks the chunk files themselves while chunks are served from a fresh .part")
{
    Assembly a(6 * 1024);
    Manifest m = a.s.manifest;
    ChunkStore store(a.dir.path() / "data");
    REQUIRE(store.prepare().ok());
    for (ChunkId id : ids_below<ChunkId>(m.chunk_count)) {
        m.chunk_sha256[id.value()] = sha256(chunk_of(a.s, id));
        REQUIRE(store.write(id, chunk_of(a.s, id)).ok());
    }
    // As on a restart: the .part was just created, so it holds only zeros.
    REQUIRE(store.serve_from_joined(a.assembler->part_path(), m.chunk_size).ok());
    ChunkStore::ScanResult scan = store.scan(m);
    CHECK(scan.held.full());
    CHECK(scan.dropped == 0);
}

TEST_CASE("a chunk store whose directory is gone says which chunk it could not store")
{
    TempDir dir;
    ChunkStore store(dir.path() / "data");
    REQUIRE(store.prepare().ok());
    std::filesystem::remove_all(store.dir());
    auto written = store.write(3_c, test::random_bytes(10));
    REQUIRE_FALSE(written.ok());
    CHECK(written.error().message.find("cannot store chunk 3") != std::string::npos);
}

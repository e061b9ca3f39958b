#include <doctest/doctest.h>

#include <sys/stat.h>

#include <atomic>
#include <thread>

#include "chunk_files.hpp"
#include "chunkswarm/core/manifest.hpp"
#include "chunkswarm/core/messages.hpp"
#include "chunkswarm/disk/chunk_store.hpp"
#include "chunkswarm/disk/manifest_file.hpp"
#include "test_ids.hpp"
#include "test_util.hpp"

using namespace chunkswarm;
using test::TempDir;

TEST_CASE("the smallest file accepted is four full chunks and one byte")
{
    constexpr std::uint32_t k = kDefaultChunkSize;
    CHECK(plan_chunk_count(4ull * k + 1, k).value() == 5);
    auto four = plan_chunk_count(4ull * k, k);
    REQUIRE_FALSE(four.ok());
    CHECK(four.error().message.find("at least 5") != std::string::npos);
    CHECK(plan_chunk_count(5ull * k, k).value() == 5);
    CHECK(plan_chunk_count(5ull * k + 1, k).value() == 6);
    CHECK_FALSE(plan_chunk_count(0, k).ok());
    CHECK_FALSE(plan_chunk_count(10 * 1000, 100).ok());  // chunk size under the minimum
}

TEST_CASE("a file too large for the chunk limit gets the smallest 4 KiB multiple that fits")
{
    constexpr std::uint32_t k = kDefaultChunkSize;
    constexpr std::uint64_t kGB = 1000ull * 1000 * 1000;
    CHECK(fit_chunk_size(40 * kGB, k, kMaxChunkCount) == k);  // 390,625 chunks: under the limit
    // 50 GB made 488,282 chunks of 100 KiB: 125,000 bytes each fit, 126,976 is the next 4 KiB step.
    const std::uint32_t fitted = fit_chunk_size(50 * kGB, k, kMaxChunkCount);
    CHECK(fitted == 126976);
    CHECK(plan_chunk_count(50 * kGB, fitted).value() <= kMaxChunkCount);
    CHECK_FALSE(plan_chunk_count(50 * kGB, fitted - 4096).ok());  // one step smaller does not fit
    CHECK(fit_chunk_size(100ull * k, k, 20) == 512000);           // the setting lowered, as the test does
    CHECK(plan_chunk_count(100ull * k, 512000).value() == 20);
    // Beyond 400,000 chunks of the largest size nothing fits, and plan_chunk_count says so.
    const std::uint64_t huge = 7000 * kGB;
    CHECK(fit_chunk_size(huge, k, kMaxChunkCount) == kMaxChunkSize);
    CHECK_FALSE(plan_chunk_count(huge, kMaxChunkSize).ok());
}

TEST_CASE("chunk lengths: all full but a short last one")
{
    Manifest m;
    m.chunk_size = 1000;
    m.file_size = 4500;
    m.chunk_count = 5;
    CHECK(m.chunk_length(0_c) == 1000);
    CHECK(m.chunk_length(3_c) == 1000);
    CHECK(m.chunk_length(4_c) == 500);
    m.file_size = 5000;
    CHECK(m.chunk_length(4_c) == 1000);
}

TEST_CASE("file names that would leave the data directory or clash with our files are refused")
{
    for (const char* bad : {"", ".", "..", "a/b", "../etc/passwd", "x\\y", "manifest.json", "summary.txt", "chunks",
                            "summary.txt.tmp", ".lock"}) {
        INFO(bad);
        CHECK_FALSE(check_file_name(bad).ok());
    }
    CHECK_FALSE(check_file_name(std::string(256, 'a')).ok());
    CHECK_FALSE(check_file_name(std::string("a\nb")).ok());
    for (const char* good : {"movie.mkv", "..hidden", "a b.txt", "manifest.json5", "chunks2", ".locked"}) {
        INFO(good);
        CHECK(check_file_name(good).ok());
    }
}

TEST_CASE("splitting writes one file per chunk and a manifest that joins back byte for byte")
{
    TempDir dir;
    auto bytes = test::random_bytes(5 * 1024 + 123);
    test::write_file(dir.path() / "in.bin", bytes);
    ChunkStore store(dir.path() / "data");
    auto manifest = test::split_file(dir.path() / "in.bin", 1024, store);
    REQUIRE(manifest.ok());
    CHECK(manifest->chunk_count == 6);
    CHECK(manifest->file_name == "in.bin");
    CHECK(std::filesystem::file_size(store.chunk_path(5_c)) == 123);
    CHECK(manifest->chunk_sha256[0] == sha256(std::span(bytes.data(), 1024)));

    auto json_round = manifest_from_json(manifest_to_json(manifest.value()));
    REQUIRE(json_round.ok());
    CHECK(json_round.value() == manifest.value());

    REQUIRE(test::join_chunks(store, manifest.value(), dir.path() / "out.bin").ok());
    CHECK(test::read_file(dir.path() / "out.bin") == bytes);
}

TEST_CASE("exactly five full chunks split into five equal files")
{
    TempDir dir;
    test::write_file(dir.path() / "five.bin", test::random_bytes(5 * 1024));
    ChunkStore store(dir.path() / "data");
    auto manifest = test::split_file(dir.path() / "five.bin", 1024, store);
    REQUIRE(manifest.ok());
    CHECK(manifest->chunk_count == 5);
    CHECK(std::filesystem::file_size(store.chunk_path(4_c)) == 1024);
}

TEST_CASE("splitting refuses small, empty, missing and non-regular files")
{
    TempDir dir;
    ChunkStore store(dir.path() / "data");
    test::write_file(dir.path() / "small.bin", test::random_bytes(4 * 1024));
    test::write_file(dir.path() / "empty.bin", {});
    CHECK(test::split_file(dir.path() / "small.bin", 1024, store).error().message.find("at least 5") !=
          std::string::npos);
    CHECK_FALSE(test::split_file(dir.path() / "empty.bin", 1024, store).ok());
    CHECK(test::split_file(dir.path() / "missing.bin", 1024, store).error().message.find("cannot open") !=
          std::string::npos);
    CHECK(test::split_file(dir.path(), 1024, store).error().message.find("not a regular file") != std::string::npos);
}

TEST_CASE("the content id names the bytes: the same for the same chunks, another for any other")
{
    TempDir dir;
    test::write_file(dir.path() / "in.bin", test::random_bytes(7 * 1024 + 5));
    ChunkStore store(dir.path() / "data");
    const Manifest m = test::split_file(dir.path() / "in.bin", 1024, store).value();
    Manifest renamed = m;
    renamed.file_name = "other.bin";
    CHECK(renamed.content_id() == m.content_id());
    Manifest changed = m;
    changed.chunk_sha256[3][0] ^= 1;
    CHECK(changed.content_id() != m.content_id());
    Manifest longer = m;
    longer.file_size += 1;
    CHECK(longer.content_id() != m.content_id());
    Manifest rechunked = m;
    rechunked.chunk_size = 2048;
    CHECK(rechunked.content_id() != m.content_id());
    // A manifest that travelled (JSON head and binary hashes) keeps its id.
    auto back = manifest_from_json(manifest_to_json(m));
    REQUIRE(back.ok());
    CHECK(back->content_id() == m.content_id());
}

TEST_CASE("manifests agree so far when their heads match and the hashes both hold are equal; only a whole one is saved")
{
    TempDir dir;
    const Manifest whole = test::small_manifest();
    Manifest partial = whole;
    partial.chunk_sha256.resize(4);
    CHECK(agrees_so_far(partial, whole));
    CHECK(agrees_so_far(whole, partial));
    Manifest other = whole;
    other.chunk_sha256[5][0] ^= 1;
    CHECK(agrees_so_far(partial, other));  // they differ only past what the partial one holds
    CHECK_FALSE(agrees_so_far(whole, other));
    other = partial;
    other.chunk_sha256[1][0] ^= 1;
    CHECK_FALSE(agrees_so_far(other, whole));
    other = partial;
    other.file_name = "other.bin";
    CHECK_FALSE(agrees_so_far(other, whole));

    auto refused = save_manifest(partial, dir.path() / "manifest.json");
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("4 of its 6 chunk hashes") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.path() / "manifest.json"));
    REQUIRE(save_manifest(whole, dir.path() / "manifest.json").ok());
    CHECK(load_manifest(dir.path() / "manifest.json").value() == whole);
}

TEST_CASE("a manifest with wrong or missing fields is refused with the field's name")
{
    TempDir dir;
    test::write_file(dir.path() / "in.bin", test::random_bytes(5 * 1024));
    ChunkStore store(dir.path() / "data");
    auto good = manifest_to_json(test::split_file(dir.path() / "in.bin", 1024, store).value());
    struct Case {
        const char* field;
        nlohmann::json value;
    };
    for (const Case& c : std::vector<Case>{{"file_name", "../evil"},
                                           {"file_size", -1},
                                           {"file_size", "5120"},
                                           {"chunk_size", 0},
                                           {"chunk_count", 7},
                                           {"chunk_sha256", nlohmann::json::array()}}) {
        INFO(c.field);
        auto bad = good;
        bad[c.field] = c.value;
        CHECK_FALSE(manifest_from_json(bad).ok());
    }
    auto missing = good;
    missing.erase("file_size");
    CHECK(manifest_from_json(missing).error().message.find("file_size") != std::string::npos);
}

TEST_CASE("reading a chunk checks its length")
{
    TempDir dir;
    ChunkStore store(dir.path());
    REQUIRE(store.prepare().ok());
    REQUIRE(store.write(3_c, test::random_bytes(100)).ok());
    CHECK(store.read(3_c, 100).ok());
    CHECK_FALSE(store.read(3_c, 99).ok());
    CHECK_FALSE(store.read(3_c, 101).ok());
    CHECK_FALSE(store.read(4_c, 100).ok());
}

TEST_CASE("a scan keeps chunks that verify and deletes damaged, short and half-written ones")
{
    TempDir dir;
    test::write_file(dir.path() / "in.bin", test::random_bytes(6 * 1024 + 7));
    ChunkStore store(dir.path() / "data");
    Manifest m = test::split_file(dir.path() / "in.bin", 1024, store).value();
    auto damaged = store.read(2_c, 1024).value();
    damaged[0] ^= 1;
    REQUIRE(store.write(2_c, damaged).ok());
    REQUIRE(store.write(4_c, test::random_bytes(10)).ok());  // too short
    std::filesystem::remove(store.chunk_path(5_c));
    test::write_file(store.chunk_path(5_c).string() + ".tmp", test::random_bytes(1024));  // a crash mid-write

    ChunkStore::ScanResult scan = store.scan(m);
    CHECK(scan.held.ids() == test::chunk_ids({0, 1, 3, 6}));
    CHECK(scan.dropped == 2);
    CHECK_FALSE(std::filesystem::exists(store.chunk_path(2_c)));
    CHECK_FALSE(std::filesystem::exists(store.chunk_path(4_c)));
    CHECK_FALSE(std::filesystem::exists(store.chunk_path(5_c).string() + ".tmp"));
}

namespace {

// in.bin of six 1 KiB chunks split into dir/data, then chunk `damaged` of it changed by one byte.
struct SplitOnce {
    explicit SplitOnce(std::uint32_t damaged)
    {
        test::write_file(dir.path() / "in.bin", bytes);
        first = test::split_file(dir.path() / "in.bin", 1024, store).value();
        auto changed = std::vector<std::uint8_t>(bytes.begin() + damaged * 1024, bytes.begin() + (damaged + 1) * 1024);
        changed[5] ^= 1;
        REQUIRE(store.write(ChunkId(damaged), changed).ok());
    }
    TempDir dir;
    std::vector<std::uint8_t> bytes = test::random_bytes(6 * 1024);
    ChunkStore store{dir.path() / "data"};
    Manifest first;
};

}  // namespace

TEST_CASE("splitting the same file again keeps the chunk files that still match")
{
    SplitOnce split(3);
    auto& [dir, bytes, store, first] = split;
    std::filesystem::remove(store.chunk_path(5_c));
    test::SplitStats stats;
    Manifest again = test::split_file(dir.path() / "in.bin", 1024, store, &stats).value();
    CHECK(again == first);
    CHECK(stats.reused == 4);
    CHECK(store.scan(again).held.full());
}

TEST_CASE("the owner's split keeps matching chunk files by their own bytes while it serves from the file")
{
    // The owner serves from the source before its chunk files are written: whether an old chunk
    // file still matches must be judged from that file, not from the source the store reads.
    SplitOnce split(2);
    auto& [dir, bytes, store, first] = split;

    auto splitter = Splitter::open(dir.path() / "in.bin", 1024, store);
    REQUIRE(splitter.ok());
    REQUIRE(splitter->hash_range(0_c, ChunkId(splitter->chunk_count())).ok());
    REQUIRE(store.serve_from_joined(dir.path() / "in.bin", 1024).ok());
    REQUIRE(splitter->write_range(0_c, ChunkId(splitter->chunk_count())).ok());
    CHECK(splitter->reused() == 5);
    store.stop_serving_from_joined();
    CHECK(store.scan(first).held.full());
    CHECK(store.read(2_c, 1024).value() ==
          std::vector<std::uint8_t>(bytes.begin() + 2 * 1024, bytes.begin() + 3 * 1024));
}

TEST_CASE("a split run in ranges on several threads gives the same manifest as one on a single thread")
{
    TempDir dir;
    auto bytes = test::random_bytes(23 * 1024 + 7);
    test::write_file(dir.path() / "in.bin", bytes);
    ChunkStore serial_store(dir.path() / "serial");
    Manifest serial = test::split_file(dir.path() / "in.bin", 1024, serial_store).value();

    ChunkStore store(dir.path() / "ranges");
    auto splitter = Splitter::open(dir.path() / "in.bin", 1024, store);
    REQUIRE(splitter.ok());
    REQUIRE(splitter->chunk_count() == 24);
    std::vector<Result<void>> outcomes(3);
    {
        std::vector<std::jthread> threads;
        threads.emplace_back([&] { outcomes[0] = test::split_range(splitter.value(), 0_c, 5_c); });
        threads.emplace_back([&] { outcomes[1] = test::split_range(splitter.value(), 5_c, 17_c); });
        threads.emplace_back([&] { outcomes[2] = test::split_range(splitter.value(), 17_c, 24_c); });
    }
    for (auto& outcome : outcomes)
        CHECK(outcome.ok());
    CHECK(splitter->manifest() == serial);
    CHECK(store.scan(splitter->manifest()).held.full());
    REQUIRE(test::join_chunks(store, splitter->manifest(), dir.path() / "joined.bin").ok());
    CHECK(test::read_file(dir.path() / "joined.bin") == bytes);
}

TEST_CASE("a source that shrinks while it is split is reported, not split short")
{
    TempDir dir;
    test::write_file(dir.path() / "in.bin", test::random_bytes(6 * 1024));
    ChunkStore store(dir.path() / "data");
    auto splitter = Splitter::open(dir.path() / "in.bin", 1024, store);
    REQUIRE(splitter.ok());
    std::filesystem::resize_file(dir.path() / "in.bin", 3 * 1024);
    auto outcome = test::split_range(splitter.value(), 0_c, ChunkId(splitter->chunk_count()));
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.error().message.find("changed size") != std::string::npos);
}

TEST_CASE("a store serving from the joined file reads the same bytes once its chunk files are gone")
{
    TempDir dir;
    auto bytes = test::random_bytes(7 * 1024 + 300);
    test::write_file(dir.path() / "in.bin", bytes);
    ChunkStore store(dir.path() / "data");
    Manifest m = test::split_file(dir.path() / "in.bin", 1024, store).value();
    REQUIRE(test::join_chunks(store, m, dir.path() / "joined.bin").ok());
    CHECK_FALSE(store.serving_from_joined());
    CHECK_FALSE(store.serve_from_joined(dir.path() / "missing.bin", 1024).ok());
    REQUIRE(store.serve_from_joined(dir.path() / "joined.bin", 1024).ok());
    CHECK(store.clear() == 8);
    CHECK(store.serving_from_joined());
    for (ChunkId id : ids_below<ChunkId>(m.chunk_count)) {
        auto chunk = store.read(id, m.chunk_length(id));
        REQUIRE(chunk.ok());
        CHECK(sha256(chunk.value()) == m.chunk_sha256[id.value()]);
    }
    // A wrong length (a manifest that does not fit the file) is an error, not a short chunk.
    CHECK_FALSE(store.read(8_c, 1024).ok());
}

TEST_CASE("two threads storing the same chunk at once both succeed and leave it whole")
{
    test::TempDir dir;
    ChunkStore store(dir.path() / "chunks");
    REQUIRE(store.prepare().ok());
    const auto bytes = test::random_bytes(64 * 1024, 11);
    std::atomic<int> failures{0};
    auto writer = [&] {
        for (int i = 0; i < 50; ++i) {
            if (!store.write(3_c, bytes).ok()) ++failures;
        }
    };
    std::thread a(writer), b(writer);
    a.join();
    b.join();
    CHECK(failures == 0);
    auto read = store.read(3_c, static_cast<std::uint32_t>(bytes.size()));
    REQUIRE(read.ok());
    CHECK(read.value() == bytes);
    std::size_t leftovers = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path() / "chunks"))
        leftovers += entry.path().extension() == ".tmp";
    CHECK(leftovers == 0);
}

namespace {

// Encodes, decodes and parses one frame, as the two ends of a connection would.
Message through_the_wire(const OutFrame& out, Role receiver, const Manifest* manifest)
{
    FrameDecoder decoder(frame_limits(receiver));
    REQUIRE(decoder.feed(out.head).ok());
    REQUIRE(decoder.feed(out.payload_bytes()).ok());
    auto frame = decoder.next();
    REQUIRE(frame.has_value());
    auto message = parse_message(std::move(*frame), receiver, manifest);
    REQUIRE(message.ok());
    return message.value();
}

}  // namespace

TEST_CASE("UTF-8 is told from other encodings byte for byte")
{
    CHECK(is_valid_utf8("plain.bin"));
    CHECK(is_valid_utf8("caf\xc3\xa9.bin"));         // é in UTF-8
    CHECK(is_valid_utf8("\xf0\x9f\x93\xa6"));        // a four-byte character
    CHECK_FALSE(is_valid_utf8("caf\xe9.bin"));       // é in Latin-1
    CHECK_FALSE(is_valid_utf8("\xc3"));              // cut short at the end
    CHECK_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
    CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));      // a surrogate
    CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
    CHECK(printable_name("caf\xe9.bin") == "caf\\xe9.bin");
    CHECK(printable_name("caf\xc3\xa9.bin") == "caf\xc3\xa9.bin");
    CHECK(printable_name("two\nlines\x7f.bin") == "two\\x0alines\\x7f.bin");
}

TEST_CASE("a file name that is not UTF-8 travels as hex and comes back as the same bytes")
{
    TempDir dir;
    const std::string latin1 = "caf\xe9.bin";
    test::write_file(dir.path() / latin1, test::random_bytes(5 * 1024));
    ChunkStore store(dir.path() / "data");
    Manifest m = test::split_file(dir.path() / latin1, 1024, store).value();
    CHECK(m.file_name == latin1);
    nlohmann::json head = manifest_to_json(m);
    CHECK_FALSE(head.contains("file_name"));
    CHECK(head["file_name_hex"] == "636166e92e62696e");
    // Both forms of storage: the wire (header + hashes) and manifest.json on disk.
    CHECK(manifest_from_json(head).value().file_name == latin1);
    REQUIRE(save_manifest(m, dir.path() / "manifest.json").ok());
    CHECK(load_manifest(dir.path() / "manifest.json").value() == m);
    auto received = through_the_wire(encode_manifest(m), Role::client, nullptr);
    REQUIRE(std::holds_alternative<ManifestMsg>(received));
    CHECK(std::get<ManifestMsg>(received).manifest == m);

    auto both = head;
    both["file_name"] = "x.bin";
    CHECK_FALSE(manifest_from_json(both).ok());
    auto odd = head;
    odd["file_name_hex"] = "636";
    CHECK_FALSE(manifest_from_json(odd).ok());
    auto slash = head;
    slash["file_name_hex"] = "612f62";  // "a/b"
    CHECK_FALSE(manifest_from_json(slash).ok());
    auto nul = head;
    nul["file_name_hex"] = "610062";
    CHECK_FALSE(manifest_from_json(nul).ok());
}

TEST_CASE("a frame header with text that is not UTF-8 is encoded, not thrown")
{
    auto received = through_the_wire(encode(ErrorMsg{"cannot open caf\xe9.bin"}), Role::server, nullptr);
    REQUIRE(std::holds_alternative<ErrorMsg>(received));
    CHECK(std::get<ErrorMsg>(received).message == "cannot open caf\xef\xbf\xbd.bin");  // U+FFFD
}

namespace {

// A manifest for a tree of three files (10, 0 and 5000 bytes) and two directories.
Manifest tree_manifest()
{
    Manifest m;
    m.file_name = "dataset";
    m.file_size = 5010;
    m.chunk_size = 1024;
    m.chunk_count = 5;
    m.chunk_sha256.assign(5, Digest{});
    m.chunk_sha256[3][0] = 7;
    m.tree = {{"a.txt", false, 10, 0644, 1'700'000'000'123'456'789},
              {"empty-dir", true, 0, 0755, 5},
              {"sub/\xc3\xa9t\xc3\xa9/empty", false, 0, 0600, -1},
              {"sub/run.sh", false, 5000, 0755, 42},
              {"sub/latin1-\xe9", true, 0, 0700, 0}};
    return m;
}

Result<Manifest> over_the_wire(const Manifest& m)
{
    const OutFrame frame = encode_manifest(m);
    FrameDecoder decoder(frame_limits(Role::client));
    std::vector<std::uint8_t> bytes = frame.head;
    bytes.insert(bytes.end(), frame.shared_payload->begin(), frame.shared_payload->end());
    REQUIRE(decoder.feed(bytes).ok());
    auto decoded = decoder.next();
    REQUIRE(decoded);
    auto message = parse_message(std::move(*decoded), Role::client, nullptr);
    if (!message) return message.error();
    return std::get<ManifestMsg>(message.value()).manifest;
}

}  // namespace

TEST_CASE("a tree's manifest survives the wire and the disk, and its listing is part of the content id")
{
    const Manifest m = tree_manifest();
    REQUIRE(check_tree(m.tree, m.file_size).ok());
    auto wired = over_the_wire(m);
    REQUIRE(wired.ok());
    CHECK(wired.value() == m);

    TempDir dir;
    REQUIRE(save_manifest(m, dir.path() / "manifest.json").ok());
    auto loaded = load_manifest(dir.path() / "manifest.json");
    REQUIRE(loaded.ok());
    CHECK(loaded.value() == m);

    Manifest other = m;
    other.tree[0].mode = 0600;
    CHECK(other.content_id() != m.content_id());
    Manifest flat = m;
    flat.tree.clear();
    CHECK(flat.content_id() != m.content_id());

    // A link travels as its target, which is part of the content id; one out of the tree is refused.
    Manifest linked = m;
    linked.tree.push_back({"sub/to-run", false, 0, 0777, 7, "run.sh"});
    linked.tree.push_back({"sub/to-latin1", false, 0, 0777, 7, "latin1-\xe9"});
    REQUIRE(check_tree(linked.tree, linked.file_size).ok());
    auto linked_wired = over_the_wire(linked);
    REQUIRE(linked_wired.ok());
    CHECK(linked_wired.value() == linked);
    Manifest retargeted = linked;
    retargeted.tree.back().link = "run.sh";
    CHECK(retargeted.content_id() != linked.content_id());
    Manifest escaping = linked;
    escaping.tree.back().link = "../../etc/passwd";
    CHECK_FALSE(over_the_wire(escaping).ok());
}

TEST_CASE("a hostile tree is refused before anything is written, each bad path kind by name")
{
    const std::pair<std::string, std::string> bad_paths[] = {
        {"/etc/passwd", "is absolute"},
        {"../outside", "component"},
        {"sub/../../x", "component"},
        {"./a", "component"},
        {"a//b", "empty component"},
        {"a/", "empty component"},
        {"", "must be 1..4096"},
        {std::string("nul\0byte", 8), "NUL"},
        {std::string(300, 'x'), "longer than 255"},
    };
    for (const auto& bad : bad_paths) {
        const std::string& path = bad.first;
        const std::string& why = bad.second;
        Manifest m = tree_manifest();
        m.tree[0].path = path;
        CAPTURE(path);
        auto checked = check_tree(m.tree, m.file_size);
        REQUIRE_FALSE(checked.ok());
        CHECK(checked.error().message.find(why) != std::string::npos);
        // The same from the wire: the frame is refused.
        CHECK_FALSE(over_the_wire(m).ok());
    }
    auto error_of = [](Manifest m) {
        auto checked = check_tree(m.tree, m.file_size);
        REQUIRE_FALSE(checked.ok());
        return checked.error().message;
    };
    Manifest twice = tree_manifest();
    twice.tree[1].path = "a.txt";
    CHECK(error_of(twice).find("listed twice") != std::string::npos);
    Manifest shadow = tree_manifest();
    shadow.tree[1].path = "a.txt/inside";
    CHECK(error_of(shadow).find("lies under a file") != std::string::npos);
    Manifest setuid = tree_manifest();
    setuid.tree[3].mode = 04755;
    CHECK(error_of(setuid).find("beyond 0777") != std::string::npos);
    Manifest short_sizes = tree_manifest();
    short_sizes.tree[3].size = 4999;
    CHECK(error_of(short_sizes).find("add up to less") != std::string::npos);
    Manifest long_sizes = tree_manifest();
    long_sizes.tree[3].size = UINT64_MAX;
    CHECK(error_of(long_sizes).find("add up to more") != std::string::npos);
}

TEST_CASE("a pinned content id matches the manifest's id or a prefix of it, in either case")
{
    Manifest manifest;
    manifest.file_name = "a.bin";
    manifest.file_size = 5 * 1024;
    manifest.chunk_size = 1024;
    manifest.chunk_count = 5;
    manifest.chunk_sha256.assign(5, Digest{});
    const std::string id = to_hex(manifest.content_id());
    CHECK(has_content_id(manifest, parse_content_id(id).value()));
    std::string upper = id.substr(0, 16);
    for (char& c : upper)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CHECK(has_content_id(manifest, parse_content_id(upper).value()));
    // Another chunk hash is another content.
    Manifest other = manifest;
    other.chunk_sha256[4][0] = 1;
    CHECK_FALSE(has_content_id(other, parse_content_id(id.substr(0, 16)).value()));
    CHECK_FALSE(parse_content_id(id + "0").ok());
    CHECK_FALSE(parse_content_id(id.substr(0, 15)).ok());
    CHECK_FALSE(parse_content_id("").ok());
}

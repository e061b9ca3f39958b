#include <doctest/doctest.h>

#include "chunkswarm/core/messages.hpp"
#include "test_ids.hpp"
#include "test_util.hpp"

using namespace chunkswarm;

namespace {

std::vector<std::uint8_t> wire_bytes(const Message& message)
{
    OutFrame out = encode(message);
    std::vector<std::uint8_t> bytes = out.head;
    bytes.insert(bytes.end(), out.payload_bytes().begin(), out.payload_bytes().end());
    return bytes;
}

// Encodes, then decodes through a real FrameDecoder, as the wire would: to a server, after a
// hello (its first frame has limits of its own).
Result<Message> round_trip(const Message& message, Role receiver, const Manifest* manifest)
{
    std::vector<std::uint8_t> bytes = wire_bytes(message);
    FrameDecoder decoder(frame_limits(receiver));
    if (receiver == Role::server && !std::holds_alternative<Hello>(message)) {
        REQUIRE(decoder.feed(wire_bytes(Hello{1_peer})).ok());
        REQUIRE(decoder.next().has_value());
    }
    if (auto fed = decoder.feed(bytes); !fed) return fed.error();
    auto frame = decoder.next();
    REQUIRE(frame.has_value());
    return parse_message(std::move(*frame), receiver, manifest);
}

Result<Message> parse_header(const nlohmann::json& header, Role receiver, const Manifest* manifest,
                             std::vector<std::uint8_t> payload = {})
{
    return parse_message(Frame{header, std::move(payload)}, receiver, manifest);
}

}  // namespace

TEST_CASE("every message survives a round trip")
{
    Manifest m = test::small_manifest();
    auto hello = round_trip(Hello{42_peer}, Role::server, nullptr);
    REQUIRE(hello.ok());
    CHECK(std::get<Hello>(hello.value()).peer_id == 42_peer);

    auto manifest = round_trip(ManifestMsg{m}, Role::client, nullptr);
    REQUIRE(manifest.ok());
    CHECK(std::get<ManifestMsg>(manifest.value()).manifest == m);

    ChunkSet have(6);
    have.insert(1_c);
    have.insert(5_c);
    auto list = round_trip(HaveList{have}, Role::client, &m);
    REQUIRE(list.ok());
    CHECK(std::get<HaveList>(list.value()).have == have);

    auto update = round_trip(Have{{3_c, 4_c}}, Role::client, &m);
    REQUIRE(update.ok());
    CHECK(std::get<Have>(update.value()).ids == test::chunk_ids({3, 4}));

    auto coming = round_trip(Coming{{2_c, 1_c}}, Role::client, &m);
    REQUIRE(coming.ok());
    CHECK(std::get<Coming>(coming.value()).ids == test::chunk_ids({2, 1}));

    auto request = round_trip(Request{{5_c, 0_c}}, Role::server, &m);
    REQUIRE(request.ok());
    CHECK(std::get<Request>(request.value()).ids == test::chunk_ids({5, 0}));

    auto chunk = round_trip(ChunkData{5_c, std::vector<std::uint8_t>(10, 7)}, Role::client, &m);
    REQUIRE(chunk.ok());
    CHECK(std::get<ChunkData>(chunk.value()).bytes.size() == 10);

    auto done = round_trip(Done{true}, Role::server, &m);
    REQUIRE(done.ok());
    CHECK(std::get<Done>(done.value()).complete);

    auto error = round_trip(ErrorMsg{"no"}, Role::client, &m);
    REQUIRE(error.ok());
    CHECK(std::get<ErrorMsg>(error.value()).message == "no");
    CHECK(std::get<ErrorMsg>(error.value()).code == WireError::failed);
}

TEST_CASE("an error frame carries its code, and a code this side does not know reads as failed")
{
    Manifest m = test::small_manifest();
    for (WireError code :
         {WireError::malformed, WireError::protocol, WireError::auth, WireError::encryption, WireError::refused,
          WireError::timeout, WireError::overloaded, WireError::unreadable_chunk}) {
        auto error = round_trip(ErrorMsg{"why", 2_c, code}, Role::client, &m);
        REQUIRE(error.ok());
        CHECK(std::get<ErrorMsg>(error.value()).code == code);
        CHECK(std::get<ErrorMsg>(error.value()).chunk == std::optional<ChunkId>(2));
        CHECK(wire_error_from(wire_error_name(code)) == code);
    }
    CHECK(wire_error_from("from a newer build") == WireError::failed);
}

TEST_CASE("each side refuses the types only the other side sends, before buffering any payload")
{
    Manifest m = test::small_manifest();
    CHECK_FALSE(round_trip(ManifestMsg{m}, Role::server, &m).ok());
    CHECK_FALSE(round_trip(ChunkData{0_c, std::vector<std::uint8_t>(1024)}, Role::server, &m).ok());
    CHECK_FALSE(round_trip(Hello{1_peer}, Role::client, &m).ok());
    CHECK_FALSE(round_trip(Request{{1_c}}, Role::client, &m).ok());
    CHECK_FALSE(round_trip(Coming{{1_c}}, Role::server, &m).ok());
    CHECK_FALSE(frame_limits(Role::server).max_payload("chunk").has_value());
    CHECK(frame_limits(Role::server).max_payload("request") == 0u);
}

TEST_CASE("chunk IDs are checked against the manifest")
{
    Manifest m = test::small_manifest();
    using J = nlohmann::json;
    struct Case {
        const char* name;
        J header;
        Role role;
        const char* expect;
    };
    std::vector<Case> cases = {
        {"id past the end", {{"type", "request"}, {"ids", {6}}}, Role::server, "not in 0..5"},
        {"negative id", {{"type", "request"}, {"ids", {-1}}}, Role::server, "not in 0..5"},
        {"id as a string", {{"type", "request"}, {"ids", {"1"}}}, Role::server, "not in 0..5"},
        {"fractional id", {{"type", "have"}, {"ids", {1.5}}}, Role::client, "not in 0..5"},
        {"coming past the end", {{"type", "coming"}, {"ids", {6}}}, Role::client, "not in 0..5"},
        {"ids not an array", {{"type", "request"}, {"ids", 3}}, Role::server, "must be an array"},
        {"empty ids", {{"type", "request"}, {"ids", J::array()}}, Role::server, "must be an array"},
        {"repeated id", {{"type", "request"}, {"ids", {2, 2}}}, Role::server, "repeats"},
        {"chunk id missing", {{"type", "chunk"}}, Role::client, "no field"},
        {"hello without version", {{"type", "hello"}, {"peer_id", 1}}, Role::server, "version"},
        {"hello from the future", {{"type", "hello"}, {"version", 99}, {"peer_id", 1}}, Role::server, "not supported"},
        {"hello with a negative id", {{"type", "hello"}, {"version", 1}, {"peer_id", -3}}, Role::server, "peer_id"},
        {"done without flag", {{"type", "done"}}, Role::server, "complete"},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        auto parsed = parse_header(c.header, c.role, &m);
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.error().message.find(c.expect) != std::string::npos);
    }
    std::vector<ChunkId> too_many(kMaxIdsPerMessage + 1, 0_c);
    CHECK_FALSE(parse_header({{"type", "request"}, {"ids", too_many}}, Role::server, &m).ok());
}

TEST_CASE("a chunk whose payload length does not match its ID is refused")
{
    Manifest m = test::small_manifest();
    CHECK_FALSE(parse_header({{"type", "chunk"}, {"id", 5}}, Role::client, &m, std::vector<std::uint8_t>(1024)).ok());
    CHECK_FALSE(parse_header({{"type", "chunk"}, {"id", 0}}, Role::client, &m, std::vector<std::uint8_t>(10)).ok());
    CHECK(parse_header({{"type", "chunk"}, {"id", 0}}, Role::client, &m, std::vector<std::uint8_t>(1024)).ok());
}

TEST_CASE("messages with chunk IDs need the manifest first")
{
    CHECK_FALSE(parse_header({{"type", "have"}, {"ids", {1}}}, Role::client, nullptr).ok());
    CHECK_FALSE(parse_header({{"type", "have_list"}}, Role::client, nullptr).ok());
    CHECK_FALSE(parse_header({{"type", "chunk"}, {"id", 0}}, Role::client, nullptr, {1}).ok());
}

TEST_CASE("a chunk ID list with the wrong size or stray bits is refused")
{
    Manifest m = test::small_manifest();
    CHECK_FALSE(parse_header({{"type", "have_list"}}, Role::client, &m, {0xFC, 0}).ok());
    CHECK_FALSE(parse_header({{"type", "have_list"}}, Role::client, &m, {0xFF}).ok());  // bits 6 and 7 set
    CHECK(parse_header({{"type", "have_list"}}, Role::client, &m, {0xFC}).ok());
}

TEST_CASE("a manifest payload that is not a valid manifest is refused")
{
    std::string text = R"({"file_name":"../x","file_size":6000,"chunk_size":1024,"chunk_count":6})";
    CHECK_FALSE(
        parse_header({{"type", "manifest"}}, Role::client, nullptr, std::vector<std::uint8_t>(text.begin(), text.end()))
            .ok());
    CHECK_FALSE(parse_header({{"type", "manifest"}}, Role::client, nullptr, {'{'}).ok());
}

TEST_CASE("long ID lists are split into pieces that each fit one message")
{
    std::vector<ChunkId> ids(2 * kMaxIdsPerMessage + 5);
    for (std::size_t i = 0; i < ids.size(); ++i)
        ids[i] = static_cast<ChunkId>(i);
    auto pieces = split_for_messages(ids);
    REQUIRE(pieces.size() == 3);
    CHECK(pieces[0].size() == kMaxIdsPerMessage);
    CHECK(pieces[2] == test::chunk_ids({2048, 2049, 2050, 2051, 2052}));
    CHECK(split_for_messages({}).empty());
}

TEST_CASE("the manifest travels as a JSON head and 32 bytes of SHA-256 per chunk, shared by its copies")
{
    Manifest m = test::small_manifest();
    OutFrame frame = encode_manifest(m);
    REQUIRE(frame.shared_payload);
    CHECK(frame.payload_bytes().size() == m.chunk_count * 32u);
    OutFrame copy = frame;
    CHECK(copy.shared_payload.get() == frame.shared_payload.get());

    nlohmann::json head = manifest_head_to_json(m);
    head["type"] = "manifest";
    std::vector<std::uint8_t> hashes(frame.payload_bytes().begin(), frame.payload_bytes().end());
    auto good = parse_header(head, Role::client, nullptr, hashes);
    REQUIRE(good.ok());
    CHECK(std::get<ManifestMsg>(good.value()).manifest == m);

    hashes.pop_back();
    auto short_payload = parse_header(head, Role::client, nullptr, hashes);
    REQUIRE_FALSE(short_payload.ok());
    CHECK(short_payload.error().message.find("32 bytes of SHA-256 per chunk") != std::string::npos);

    hashes.push_back(0);
    head["chunk_count"] = m.chunk_count + 1;
    CHECK_FALSE(parse_header(head, Role::client, nullptr, hashes).ok());
}

TEST_CASE("hello carries the gone peers a client routes around, and whether it is a presence")
{
    Hello sent{7_peer, std::nullopt, true, {3_peer, 2_peer}};
    auto hello = round_trip(sent, Role::server, nullptr);
    REQUIRE(hello.ok());
    const Hello& got = std::get<Hello>(hello.value());
    CHECK(got.rescue);
    CHECK(got.skipped == test::peer_ids({3, 2}));
    CHECK_FALSE(got.presence);
    auto presence = round_trip(Hello{.peer_id = 7_peer, .presence = true}, Role::server, nullptr);
    REQUIRE(presence.ok());
    CHECK(std::get<Hello>(presence.value()).presence);
    CHECK(std::get<Hello>(presence.value()).skipped.empty());
    CHECK_FALSE(std::get<Hello>(presence.value()).helper);
    auto helper = round_trip(Hello{.peer_id = 7_peer, .helper = true}, Role::server, nullptr);
    REQUIRE(helper.ok());
    CHECK(std::get<Hello>(helper.value()).helper);

    nlohmann::json base{{"type", "hello"}, {"version", 1}, {"peer_id", 7}};
    for (const nlohmann::json& bad :
         {nlohmann::json("3"), nlohmann::json({-1}), nlohmann::json({1.5}), nlohmann::json({std::uint64_t{1} << 33}),
          nlohmann::json(std::vector<int>(1025, 1))}) {
        CAPTURE(bad.dump());
        auto header = base;
        header["skipped"] = bad;
        CHECK_FALSE(parse_header(header, Role::server, nullptr).ok());
    }
    auto header = base;
    header["presence"] = "yes";
    CHECK_FALSE(parse_header(header, Role::server, nullptr).ok());
    header["presence"] = true;
    header["rescue"] = true;
    CHECK_FALSE(parse_header(header, Role::server, nullptr).ok());
    header.erase("rescue");
    header["helper"] = true;
    CHECK_FALSE(parse_header(header, Role::server, nullptr).ok());
    header["helper"] = 1;
    header.erase("presence");
    CHECK_FALSE(parse_header(header, Role::server, nullptr).ok());
}

TEST_CASE("a report says how many chunks a peer holds and whether it is complete; only a server takes one")
{
    auto report = round_trip(Report{41, false}, Role::server, nullptr);
    REQUIRE(report.ok());
    CHECK(std::get<Report>(report.value()).held == 41);
    CHECK_FALSE(std::get<Report>(report.value()).complete);
    CHECK_FALSE(std::get<Report>(report.value()).deal_first);
    auto last = round_trip(Report{50, true}, Role::server, nullptr);
    REQUIRE(last.ok());
    CHECK(std::get<Report>(last.value()).complete);
    auto first = round_trip(Report{.held = 3, .complete = false, .deal_first = true}, Role::server, nullptr);
    REQUIRE(first.ok());
    CHECK(std::get<Report>(first.value()).deal_first);
    CHECK_FALSE(round_trip(Report{1, false}, Role::client, nullptr).ok());
    nlohmann::json header{{"type", "report"}, {"held", -1}};
    CHECK_FALSE(parse_header(header, Role::server, nullptr).ok());
    header["held"] = std::uint64_t{kMaxChunkCount} + 1;
    CHECK_FALSE(parse_header(header, Role::server, nullptr).ok());
    header["held"] = 3;
    header["complete"] = 1;
    CHECK_FALSE(parse_header(header, Role::server, nullptr).ok());
}

TEST_CASE("a report may carry the peer's chunk ID list and its spare upload; the owner answers with a hint")
{
    Manifest m = test::small_manifest();
    ChunkSet have(m.chunk_count);
    have.insert(1_c);
    have.insert(4_c);
    auto report = round_trip(Report{.held = 2, .have = have, .spare_permille = 250}, Role::server, &m);
    REQUIRE(report.ok());
    CHECK(std::get<Report>(report.value()).have == have);
    CHECK(std::get<Report>(report.value()).spare_permille == 250u);
    // A list needs the manifest, and of its size.
    CHECK_FALSE(round_trip(Report{.held = 2, .have = have}, Role::server, nullptr).ok());
    CHECK_FALSE(round_trip(Report{.held = 2, .have = ChunkSet(m.chunk_count + 9)}, Role::server, &m).ok());
    nlohmann::json header{{"type", "report"}, {"held", 2}, {"spare", 1001}};
    CHECK_FALSE(parse_header(header, Role::server, &m).ok());
    header["spare"] = "all";
    CHECK_FALSE(parse_header(header, Role::server, &m).ok());

    auto hint = round_trip(Hint{{7_peer, 3_peer}}, Role::client, nullptr);
    REQUIRE(hint.ok());
    CHECK(std::get<Hint>(hint.value()).helpers == test::peer_ids({7, 3}));
    CHECK_FALSE(round_trip(Hint{{7_peer}}, Role::server, nullptr).ok());
    CHECK_FALSE(parse_header({{"type", "hint"}, {"helpers", {-1}}}, Role::client, nullptr).ok());
}

TEST_CASE("a peer's chunk ID list says whom it downloads from; a malformed one is refused")
{
    Manifest m = test::small_manifest();
    ChunkSet have(6);
    have.insert(2_c);
    auto list = round_trip(HaveList{have, Upstream{3_peer, "10.0.0.3", 7103}}, Role::client, &m);
    REQUIRE(list.ok());
    const auto& upstream = std::get<HaveList>(list.value()).upstream;
    REQUIRE(upstream.has_value());
    CHECK(upstream->id == 3_peer);
    CHECK(upstream->host == "10.0.0.3");
    CHECK(upstream->port == 7103);
    auto owner_list = round_trip(HaveList{have}, Role::client, &m);
    REQUIRE(owner_list.ok());
    CHECK_FALSE(std::get<HaveList>(owner_list.value()).upstream.has_value());

    nlohmann::json base{{"type", "have_list"}, {"count", 1}};
    for (const nlohmann::json& bad :
         {nlohmann::json(5), nlohmann::json{{"id", 3}, {"host", "h"}},
          nlohmann::json{{"id", 3}, {"host", ""}, {"port", 1}}, nlohmann::json{{"id", 3}, {"host", "h"}, {"port", 0}},
          nlohmann::json{{"id", 3}, {"host", "h"}, {"port", 70000}},
          nlohmann::json{{"id", -3}, {"host", "h"}, {"port", 1}},
          nlohmann::json{{"id", 3}, {"host", 4}, {"port", 1}}}) {
        CAPTURE(bad.dump());
        auto header = base;
        header["upstream"] = bad;
        CHECK_FALSE(parse_header(header, Role::client, &m, have.bytes()).ok());
    }
}

TEST_CASE("a ping carries nothing and only a server sends it")
{
    auto ping = round_trip(Ping{}, Role::client, nullptr);
    REQUIRE(ping.ok());
    CHECK(std::holds_alternative<Ping>(ping.value()));
    CHECK_FALSE(round_trip(Ping{}, Role::server, nullptr).ok());
}

TEST_CASE("a streamed manifest: the first hashes in the manifest, the rest in hashes frames that must follow on")
{
    const Manifest whole = test::small_manifest();
    Manifest partial = whole;
    partial.chunk_sha256.resize(2);
    REQUIRE_FALSE(partial.whole());

    OutFrame frame = encode_manifest(partial);
    CHECK(frame.payload_bytes().size() == 2 * sizeof(Digest));
    auto parsed = round_trip(ManifestMsg{partial}, Role::client, nullptr);
    REQUIRE(parsed.ok());
    Manifest received = std::get<ManifestMsg>(parsed.value()).manifest;
    CHECK(received == partial);
    CHECK(received.hashed() == 2);
    CHECK(agrees_so_far(received, whole));

    // The next hashes follow on; anything else is refused before it touches the manifest.
    std::vector<Digest> next(whole.chunk_sha256.begin() + 2, whole.chunk_sha256.begin() + 4);
    auto hashes = round_trip(Hashes{2, next}, Role::client, &received);
    REQUIRE(hashes.ok());
    const Hashes& more = std::get<Hashes>(hashes.value());
    CHECK(more.first == 2);
    CHECK(more.hashes == next);
    CHECK_FALSE(round_trip(Hashes{3, next}, Role::client, &received).ok());                    // a gap
    CHECK_FALSE(round_trip(Hashes{1, next}, Role::client, &received).ok());                    // an overlap
    CHECK_FALSE(round_trip(Hashes{2, std::vector<Digest>(5)}, Role::client, &received).ok());  // past the end
    CHECK_FALSE(round_trip(Hashes{6, next}, Role::client, &whole).ok());                       // nothing is missing
    CHECK_FALSE(round_trip(Hashes{2, next}, Role::server, &received).ok());                    // only servers send them
    CHECK_FALSE(parse_header({{"type", "hashes"}, {"first", 2}}, Role::client, &received).ok());  // no digest
    CHECK_FALSE(
        parse_header({{"type", "hashes"}, {"first", 2}}, Role::client, &received, std::vector<std::uint8_t>(33)).ok());
    CHECK_FALSE(parse_header({{"type", "hashes"}}, Role::client, &received, std::vector<std::uint8_t>(32)).ok());
    CHECK_FALSE(round_trip(Hashes{0, next}, Role::client, nullptr).ok());

    REQUIRE(append_hashes(received, more.first, more.hashes).ok());
    CHECK(received.hashed() == 4);
    CHECK_FALSE(append_hashes(received, 3, next).ok());
    CHECK(received.hashed() == 4);
    REQUIRE(
        append_hashes(received, 4, std::vector<Digest>(whole.chunk_sha256.begin() + 4, whole.chunk_sha256.end())).ok());
    CHECK(received == whole);
}

TEST_CASE("a chunk offered or sent before its hash is refused; a bad \"hashed\" count too")
{
    Manifest partial = test::small_manifest();
    partial.chunk_sha256.resize(3);
    for (const char* type : {"have", "coming"}) {
        INFO(type);
        CHECK(parse_header({{"type", type}, {"ids", {2}}}, Role::client, &partial).ok());
        auto early = parse_header({{"type", type}, {"ids", {1, 3}}}, Role::client, &partial);
        REQUIRE_FALSE(early.ok());
        CHECK(early.error().message.find("chunk 3 is offered before its hash") != std::string::npos);
    }
    ChunkSet offered(6);
    offered.insert(0_c);
    CHECK(round_trip(HaveList{offered}, Role::client, &partial).ok());
    offered.insert(5_c);
    CHECK_FALSE(round_trip(HaveList{offered}, Role::client, &partial).ok());
    CHECK_FALSE(round_trip(ChunkData{4_c, std::vector<std::uint8_t>(1024)}, Role::client, &partial).ok());
    CHECK(round_trip(ChunkData{2_c, std::vector<std::uint8_t>(1024)}, Role::client, &partial).ok());

    nlohmann::json head = manifest_head_to_json(partial);
    head["type"] = "manifest";
    for (int bad : {6, 7, -1}) {
        INFO(bad);
        head["hashed"] = bad;
        CHECK_FALSE(parse_header(head, Role::client, nullptr, std::vector<std::uint8_t>(3 * 32)).ok());
    }
    head["hashed"] = 4;  // the payload holds three
    CHECK_FALSE(parse_header(head, Role::client, nullptr, std::vector<std::uint8_t>(3 * 32)).ok());
    head["hashed"] = 0;
    auto none = parse_header(head, Role::client, nullptr);
    REQUIRE(none.ok());
    CHECK(std::get<ManifestMsg>(none.value()).manifest.hashed() == 0);
}

TEST_CASE("a possession challenge goes to the client and its answer to the server, nowhere else")
{
    const Nonce nonce = random_nonce();
    auto challenge = round_trip(Challenge{nonce}, Role::client, nullptr);
    REQUIRE(challenge.ok());
    CHECK(std::get<Challenge>(challenge.value()).nonce == nonce);
    const Digest proof = sha256(std::vector<std::uint8_t>{1, 2, 3});
    auto possession = round_trip(Possession{proof}, Role::server, nullptr);
    REQUIRE(possession.ok());
    CHECK(std::get<Possession>(possession.value()).proof == proof);
    CHECK(std::holds_alternative<Possession>(possession.value()));

    CHECK_FALSE(parse_header({{"type", "challenge"}, {"nonce", nonce_to_hex(nonce)}}, Role::server, nullptr).ok());
    CHECK_FALSE(parse_header({{"type", "possession"}, {"proof", to_hex(proof)}}, Role::client, nullptr).ok());
    CHECK_FALSE(parse_header({{"type", "possession"}, {"proof", "abc"}}, Role::server, nullptr).ok());
    CHECK_FALSE(parse_header({{"type", "challenge"}}, Role::client, nullptr).ok());
}

TEST_CASE("the largest hello passes a server's first-frame limits; nothing with a payload does")
{
    Hello hello{.peer_id = PeerId(UINT32_MAX),
                .nonce = random_nonce(),
                .rescue = true,
                .skipped = std::vector<PeerId>(1024, PeerId(UINT32_MAX))};
    auto got = round_trip(hello, Role::server, nullptr);
    REQUIRE(got.ok());
    CHECK(std::get<Hello>(got.value()).skipped.size() == 1024);

    FrameDecoder decoder(frame_limits(Role::server));
    CHECK_FALSE(decoder.feed(wire_bytes(Report{.held = 1, .have = ChunkSet(8)})).ok());
}

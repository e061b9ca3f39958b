#include <doctest/doctest.h>

#include "chunkswarm/core/frame_codec.hpp"

using namespace chunkswarm;

namespace {

FrameLimits test_limits()
{
    FrameLimits limits;
    limits.max_header = 256;
    limits.max_payload = [](std::string_view type) -> std::optional<std::uint64_t> {
        if (type == "small") return 0;
        if (type == "data") return 1000;
        return std::nullopt;
    };
    return limits;
}

std::vector<std::uint8_t> frame_bytes(const nlohmann::json& header, std::vector<std::uint8_t> payload = {})
{
    std::vector<std::uint8_t> out = encode_frame_head(header, payload.size());
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

// A frame with a hand-written header; `header_length` defaults to the header's real length.
std::vector<std::uint8_t> raw_frame(const std::string& header, std::uint32_t payload_length = 0,
                                    std::optional<std::uint32_t> claimed_header_length = std::nullopt)
{
    std::uint32_t header_length = claimed_header_length.value_or(static_cast<std::uint32_t>(header.size()));
    std::vector<std::uint8_t> out = {'C', 'S', 'W', '1'};
    for (std::uint32_t v : {header_length, payload_length}) {
        for (int shift = 24; shift >= 0; shift -= 8)
            out.push_back(static_cast<std::uint8_t>(v >> shift));
    }
    out.insert(out.end(), header.begin(), header.end());
    return out;
}

}  // namespace

TEST_CASE("a frame fed one byte at a time decodes to the same header and payload")
{
    FrameDecoder decoder(test_limits());
    auto bytes = frame_bytes({{"type", "data"}, {"id", 7}}, {1, 2, 3, 4, 5});
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        REQUIRE(decoder.feed(std::span(&bytes[i], 1)).ok());
        if (i + 1 < bytes.size()) CHECK_FALSE(decoder.next().has_value());
    }
    auto frame = decoder.next();
    REQUIRE(frame.has_value());
    CHECK(frame->type() == "data");
    CHECK(frame->header["id"] == 7);
    CHECK(frame->payload == std::vector<std::uint8_t>{1, 2, 3, 4, 5});
    CHECK_FALSE(decoder.next().has_value());
}

TEST_CASE("several frames in one feed come out in order, including empty payloads")
{
    FrameDecoder decoder(test_limits());
    auto a = frame_bytes({{"type", "small"}});
    auto b = frame_bytes({{"type", "data"}}, std::vector<std::uint8_t>(1000, 9));
    auto c = frame_bytes({{"type", "small"}, {"n", 3}});
    std::vector<std::uint8_t> all;
    for (auto* part : {&a, &b, &c})
        all.insert(all.end(), part->begin(), part->end());
    // Split across an awkward boundary inside the second frame's preamble.
    REQUIRE(decoder.feed(std::span(all.data(), a.size() + 5)).ok());
    REQUIRE(decoder.feed(std::span(all.data() + a.size() + 5, all.size() - a.size() - 5)).ok());
    auto f1 = decoder.next();
    auto f2 = decoder.next();
    auto f3 = decoder.next();
    REQUIRE((f1 && f2 && f3));
    CHECK(f1->payload.empty());
    CHECK(f2->payload.size() == 1000);
    CHECK(f3->header["n"] == 3);
}

TEST_CASE("malformed streams fail and stay failed")
{
    struct Case {
        const char* name;
        std::vector<std::uint8_t> bytes;
        const char* expect;
    };
    std::vector<Case> cases = {
        {"bad magic", {'H', 'T', 'T', 'P', 0, 0, 0, 1, 0, 0, 0, 0}, "magic"},
        {"zero header length", raw_frame("", 0, 0), "header length"},
        {"header over the limit", raw_frame("", 0, 257), "header length"},
        {"header length past the data", raw_frame("{\"type\":\"small\"}", 0, 300), "header length"},
        {"garbage header length", raw_frame("", 0, 0xFFFFFFFF), "header length"},
        {"header not JSON", raw_frame("nope!"), "not a JSON object"},
        {"header a JSON array", raw_frame("[]"), "not a JSON object"},
        {"type missing", raw_frame("{\"a\":1}"), "no string field"},
        {"type not a string", raw_frame("{\"type\":1}"), "no string field"},
        {"unknown type", raw_frame("{\"type\":\"zz\"}"), "unknown message type"},
        {"payload over its type's limit", raw_frame("{\"type\":\"small\"}", 1), "exceeds"},
        {"huge payload length", raw_frame("{\"type\":\"data\"}", 0xFFFFFFFF), "exceeds"},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        FrameDecoder decoder(test_limits());
        auto result = decoder.feed(c.bytes);
        REQUIRE_FALSE(result.ok());
        CHECK(result.error().message.find(c.expect) != std::string::npos);
        CHECK(decoder.failed());
        CHECK_FALSE(decoder.feed(frame_bytes({{"type", "small"}})).ok());
        CHECK_FALSE(decoder.next().has_value());
    }
}

TEST_CASE("a frame cut short is held, not delivered, and memory stays within the limits")
{
    FrameDecoder decoder(test_limits());
    auto bytes = frame_bytes({{"type", "data"}}, std::vector<std::uint8_t>(1000, 1));
    REQUIRE(decoder.feed(std::span(bytes.data(), bytes.size() - 1)).ok());
    CHECK_FALSE(decoder.next().has_value());
    CHECK(decoder.buffered() <= 256 + 1000);
    REQUIRE(decoder.feed(std::span(bytes.data() + bytes.size() - 1, 1)).ok());
    CHECK(decoder.next().has_value());
}

TEST_CASE("frames decoded before a malformed one are still delivered")
{
    FrameDecoder decoder(test_limits());
    auto good = frame_bytes({{"type", "small"}});
    auto bad = raw_frame("{\"type\":\"zz\"}");
    good.insert(good.end(), bad.begin(), bad.end());
    CHECK_FALSE(decoder.feed(good).ok());
    CHECK(decoder.next().has_value());
}

TEST_CASE("a payload received straight into the decoder's space decodes like one fed")
{
    // What a connection does: frame heads through feed(), payload bytes read into payload_space().
    std::vector<std::uint8_t> payload(1000);
    for (std::size_t i = 0; i < payload.size(); ++i)
        payload[i] = static_cast<std::uint8_t>(i * 7);
    std::vector<std::uint8_t> stream = frame_bytes({{"type", "data"}, {"n", 1}}, payload);
    auto more = frame_bytes({{"type", "small"}});
    stream.insert(stream.end(), more.begin(), more.end());
    const std::size_t head = stream.size() - payload.size() - more.size();

    FrameDecoder decoder(test_limits());
    CHECK(decoder.payload_space().empty());
    REQUIRE(decoder.feed(std::span(stream).first(head + 10)).ok());  // the head and 10 payload bytes
    std::size_t at = head + 10;
    for (std::size_t piece : {1u, 389u, 600u}) {
        std::span<std::uint8_t> space = decoder.payload_space();
        REQUIRE(space.size() == head + payload.size() - at);
        std::copy_n(stream.begin() + static_cast<std::ptrdiff_t>(at), piece, space.begin());
        decoder.payload_received(piece);
        at += piece;
        if (at < head + payload.size()) CHECK_FALSE(decoder.next().has_value());
    }
    CHECK(decoder.payload_space().empty());  // the payload is whole: the next head goes through feed()
    REQUIRE(decoder.feed(std::span(stream).subspan(at)).ok());
    auto first = decoder.next();
    REQUIRE(first.has_value());
    CHECK(first->header.at("n") == 1);
    CHECK(first->payload == payload);
    auto second = decoder.next();
    REQUIRE(second.has_value());
    CHECK(second->type() == "small");
    CHECK(decoder.payload_space().empty());
}

TEST_CASE("a failed decoder offers no payload space")
{
    FrameDecoder decoder(test_limits());
    auto stream = raw_frame(R"({"type":"data"})", 1000);
    REQUIRE(decoder.feed(stream).ok());
    CHECK(decoder.payload_space().size() == 1000);
    REQUIRE_FALSE(decoder.feed(std::vector<std::uint8_t>(1000 + kPreambleSize, 0)).ok());  // then a bad magic
    CHECK(decoder.failed());
    CHECK(decoder.payload_space().empty());
}

TEST_CASE("a frame that announces a huge payload holds only the bytes that have come")
{
    FrameLimits limits;
    limits.max_payload = [](std::string_view) -> std::optional<std::uint64_t> { return 300'000'000; };
    FrameDecoder decoder(limits);
    const std::uint32_t announced = 261'000'000;
    REQUIRE(decoder.feed(raw_frame(R"({"type":"manifest"})", announced)).ok());
    std::span<std::uint8_t> space = decoder.payload_space();
    CHECK(space.size() <= 1024 * 1024);  // not the 261 MB announced
    // As the bytes come, the space grows with them, and the frame is whole at the announced length.
    std::size_t received = 0;
    while (received < 8 * 1024 * 1024) {
        space = decoder.payload_space();
        REQUIRE_FALSE(space.empty());
        CHECK(space.size() <= received + 1024 * 1024);
        std::fill(space.begin(), space.end(), std::uint8_t{7});
        decoder.payload_received(space.size());
        received += space.size();
    }
    CHECK(decoder.buffered() == received);
    CHECK_FALSE(decoder.next().has_value());

    FrameDecoder small(limits);
    const std::vector<std::uint8_t> payload(3'000'000, 9);
    auto bytes = frame_bytes({{"type", "manifest"}}, payload);
    REQUIRE(small.feed(bytes).ok());
    auto frame = small.next();
    REQUIRE(frame.has_value());
    CHECK(frame->payload == payload);
}

TEST_CASE("the first frame has limits of its own; the frames after it have the usual ones")
{
    FrameLimits limits = test_limits();
    limits.first_max_header = 40;
    limits.first_max_payload = 0;
    const auto data = frame_bytes({{"type", "data"}}, std::vector<std::uint8_t>(500, 7));
    const std::string long_header = R"({"type":"small","note":")" + std::string(60, 'x') + R"("})";

    FrameDecoder with_payload(limits);
    auto fed = with_payload.feed(data);
    REQUIRE_FALSE(fed.ok());
    CHECK(fed.error().message.find("exceeds the 0-byte limit") != std::string::npos);

    FrameDecoder long_first(limits);
    fed = long_first.feed(raw_frame(long_header));
    REQUIRE_FALSE(fed.ok());
    CHECK(fed.error().message.find("outside 1..40 (a first frame)") != std::string::npos);

    FrameDecoder after_first(limits);
    std::vector<std::uint8_t> stream = frame_bytes({{"type", "small"}});
    for (const auto& next : {data, raw_frame(long_header)})
        stream.insert(stream.end(), next.begin(), next.end());
    REQUIRE(after_first.feed(stream).ok());
    for (int i = 0; i < 3; ++i)
        CHECK(after_first.next().has_value());
}

// Wire framing, free of I/O: a fixed preamble, a JSON header, then a binary payload.
//
//   offset 0  4 bytes  magic "CSW1"
//   offset 4  u32 BE   header length  (1 .. FrameLimits::max_header)
//   offset 8  u32 BE   payload length (checked against the header's type before buffering)
//   offset 12 header   UTF-8 JSON object with a string field "type"
//   then      payload  raw bytes
//
// See docs/protocol.md for the message types.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "chunkswarm/core/result.hpp"

namespace chunkswarm {

inline constexpr std::size_t kPreambleSize = 12;
inline constexpr char kFrameMagic[4] = {'C', 'S', 'W', '1'};

struct Frame {
    nlohmann::json header;
    std::vector<std::uint8_t> payload;

    std::string type() const { return header.at("type").get<std::string>(); }
};

struct FrameLimits {
    std::size_t max_header = 64 * 1024;
    // Largest payload allowed for a message type, or nullopt for a type the receiver does not know.
    std::function<std::optional<std::uint64_t>(std::string_view type)> max_payload;
    // Tighter limits for the first frame, which comes before the other side is known (a server's
    // first frame is a hello, whoever connects).
    std::optional<std::size_t> first_max_header;
    std::optional<std::uint64_t> first_max_payload;
};

// Incremental decoder: feed any byte slices, pop whole frames. After an error it stays failed,
// because the stream can no longer be trusted to be aligned on a frame boundary.
class FrameDecoder {
public:
    explicit FrameDecoder(FrameLimits limits);

    Result<void> feed(std::span<const std::uint8_t> bytes);
    // Where the rest of the payload being assembled may be received directly (a socket read into
    // it), which saves feed()'s copy of every payload byte; empty while no payload is being
    // assembled. Then payload_received() says how many bytes landed there.
    std::span<std::uint8_t> payload_space();
    void payload_received(std::size_t count);
    std::optional<Frame> next();
    bool failed() const { return failed_; }
    // Bytes held for the frame being assembled; bounded by the limits.
    std::size_t buffered() const { return buffer_.size() + payload_filled_; }

private:
    enum class State { preamble, header, payload };

    Result<void> step();
    Result<void> on_preamble();
    Result<void> on_header();
    void finish_frame();
    Result<void> fail(std::string message);

    FrameLimits limits_;
    State state_ = State::preamble;
    std::vector<std::uint8_t> buffer_;
    std::uint32_t header_length_ = 0;
    std::uint32_t payload_length_ = 0;
    // What a payload is received into first: a whole chunk of the usual size, in one piece.
    static constexpr std::size_t kFirstPayloadBytes = 1024 * 1024;
    std::size_t payload_filled_ = 0;  // of current_.payload, which grows towards payload_length_
    Frame current_;
    bool first_ = true;  // no frame decoded yet
    std::deque<Frame> ready_;
    bool failed_ = false;
};

// The bytes that precede a payload on the wire: preamble plus serialized header.
std::vector<std::uint8_t> encode_frame_head(const nlohmann::json& header, std::size_t payload_length);

}  // namespace chunkswarm

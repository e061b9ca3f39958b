#include "chunkswarm/core/frame_codec.hpp"

#include <algorithm>
#include <cstring>

namespace chunkswarm {
namespace {

std::uint32_t read_u32_be(const std::uint8_t* p)
{
    return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
           static_cast<std::uint32_t>(p[2]) << 8 | static_cast<std::uint32_t>(p[3]);
}

void write_u32_be(std::uint8_t* p, std::uint32_t v)
{
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
}

}  // namespace

FrameDecoder::FrameDecoder(FrameLimits limits) : limits_(std::move(limits)) {}

Result<void> FrameDecoder::fail(std::string message)
{
    failed_ = true;
    buffer_.clear();
    buffer_.shrink_to_fit();
    current_ = Frame{};
    payload_filled_ = 0;
    return make_error(std::move(message));
}

Result<void> FrameDecoder::feed(std::span<const std::uint8_t> bytes)
{
    if (failed_) {
        return make_error("stream already failed");
    }
    while (!bytes.empty()) {
        if (state_ == State::payload) {
            std::span<std::uint8_t> space = payload_space();
            std::size_t take = std::min(space.size(), bytes.size());
            std::memcpy(space.data(), bytes.data(), take);
            bytes = bytes.subspan(take);
            payload_received(take);
            continue;
        }
        std::size_t want = (state_ == State::preamble ? kPreambleSize : header_length_) - buffer_.size();
        std::size_t take = std::min(want, bytes.size());
        buffer_.insert(buffer_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
        bytes = bytes.subspan(take);
        if (take == want) {
            if (auto r = step(); !r) {
                return r;
            }
        }
    }
    return {};
}

std::span<std::uint8_t> FrameDecoder::payload_space()
{
    if (state_ != State::payload || failed_) return {};
    if (payload_filled_ == current_.payload.size()) {
        // Grown as the bytes arrive (doubling), never to the announced length at once: a frame
        // that announces hundreds of megabytes and sends none costs nothing.
        const std::size_t grown = std::max(current_.payload.size() * 2, kFirstPayloadBytes);
        current_.payload.resize(std::min<std::size_t>(payload_length_, grown));
    }
    return std::span(current_.payload).subspan(payload_filled_);
}

void FrameDecoder::payload_received(std::size_t count)
{
    payload_filled_ += count;
    if (state_ == State::payload && payload_filled_ == payload_length_) finish_frame();
}

Result<void> FrameDecoder::step()
{
    if (state_ == State::preamble) return on_preamble();
    return on_header();
}

Result<void> FrameDecoder::on_preamble()
{
    if (std::memcmp(buffer_.data(), kFrameMagic, sizeof kFrameMagic) != 0) {
        return fail("bad frame magic (not a chunkswarm peer?)");
    }
    header_length_ = read_u32_be(buffer_.data() + 4);
    payload_length_ = read_u32_be(buffer_.data() + 8);
    buffer_.clear();
    const std::size_t max_header = first_ && limits_.first_max_header ? *limits_.first_max_header : limits_.max_header;
    if (header_length_ == 0 || header_length_ > max_header) {
        return fail("frame header length " + std::to_string(header_length_) + " outside 1.." +
                    std::to_string(max_header) + (first_ ? " (a first frame)" : ""));
    }
    state_ = State::header;
    return {};
}

Result<void> FrameDecoder::on_header()
{
    nlohmann::json header = nlohmann::json::parse(buffer_.begin(), buffer_.end(), nullptr, false);
    buffer_.clear();
    if (header.is_discarded() || !header.is_object()) {
        return fail("frame header is not a JSON object");
    }
    auto type = header.find("type");
    if (type == header.end() || !type->is_string()) {
        return fail("frame header has no string field \"type\"");
    }
    auto limit = limits_.max_payload ? limits_.max_payload(type->get_ref<const std::string&>()) : std::nullopt;
    if (!limit) {
        return fail("unknown message type \"" + type->get<std::string>() + "\"");
    }
    if (first_ && limits_.first_max_payload) limit = std::min(*limit, *limits_.first_max_payload);
    if (payload_length_ > *limit) {
        return fail("payload of " + std::to_string(payload_length_) + " bytes exceeds the " + std::to_string(*limit) +
                    "-byte limit for \"" + type->get<std::string>() + "\"");
    }
    current_.header = std::move(header);
    current_.payload.clear();  // payload_space() sizes it as the bytes come
    payload_filled_ = 0;
    state_ = State::payload;
    if (payload_length_ == 0) {
        finish_frame();
    }
    return {};
}

void FrameDecoder::finish_frame()
{
    first_ = false;
    ready_.push_back(std::move(current_));
    current_ = Frame{};
    payload_filled_ = 0;
    state_ = State::preamble;
}

std::optional<Frame> FrameDecoder::next()
{
    if (ready_.empty()) {
        return std::nullopt;
    }
    Frame frame = std::move(ready_.front());
    ready_.pop_front();
    return frame;
}

std::vector<std::uint8_t> encode_frame_head(const nlohmann::json& header, std::size_t payload_length)
{
    // Strings built from outside text (an error naming a file) need not be UTF-8: bad bytes become
    // U+FFFD instead of an exception. The manifest's name never relies on this (file_name_hex).
    std::string text = header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::vector<std::uint8_t> out(kPreambleSize + text.size());
    std::memcpy(out.data(), kFrameMagic, sizeof kFrameMagic);
    write_u32_be(out.data() + 4, static_cast<std::uint32_t>(text.size()));
    write_u32_be(out.data() + 8, static_cast<std::uint32_t>(payload_length));
    std::memcpy(out.data() + kPreambleSize, text.data(), text.size());
    return out;
}

}  // namespace chunkswarm

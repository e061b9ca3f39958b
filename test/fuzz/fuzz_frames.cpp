// Fuzz target: arbitrary bytes through the frame decoder and the message parser, as either side
// of a connection would receive them, fed in slices so reassembly is exercised too; with an even
// first byte, payload bytes are written into the decoder's payload space, as a connection does;
// with an odd second byte, the manifest held is one still missing hashes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "../unit/test_util.hpp"
#include "chunkswarm/core/frame_codec.hpp"
#include "chunkswarm/core/messages.hpp"

using namespace chunkswarm;

namespace {

// Limits small enough that inputs of a few hundred bytes reach them, so the bound checked below is
// one the fuzzer can break, not one no input reaches (the real limits are megabytes).
constexpr std::size_t kTightHeader = 64;
constexpr std::uint64_t kTightPayload = 256;

FrameLimits tight_limits()
{
    FrameLimits limits;
    limits.max_header = kTightHeader;
    limits.max_payload = [](std::string_view type) -> std::optional<std::uint64_t> {
        if (type == "unknown") return std::nullopt;
        return kTightPayload;
    };
    return limits;
}

// Feeds the input in slices of `step` bytes (written straight into the payload space when
// `direct`), parses whatever frames come out, and traps when the decoder holds more than `bound`
// bytes or more than it was fed.
void decode(FrameDecoder decoder, Role role, const Manifest& manifest, std::span<const std::uint8_t> input,
            std::size_t step, bool direct, std::size_t bound)
{
    for (std::size_t pos = 0; pos < input.size() && !decoder.failed(); pos += step) {
        const std::size_t length = std::min(step, input.size() - pos);
        std::span<std::uint8_t> space = decoder.payload_space();
        if (direct && space.size() >= length) {
            std::copy_n(input.data() + pos, length, space.begin());
            decoder.payload_received(length);
        } else {
            (void)decoder.feed(input.subspan(pos, length));
        }
        while (auto frame = decoder.next()) {
            auto message = parse_message(std::move(*frame), role, &manifest);
            // Whatever parses must encode again.
            if (message) (void)encode(message.value());
        }
        // Only the part being assembled (the preamble, the header or the payload: each replaces
        // the one before), within the limits, and never bytes it was not given.
        if (decoder.buffered() > bound || decoder.buffered() > pos + length) __builtin_trap();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const Manifest whole = test::small_manifest();
    // As a client holds it while the owner still hashes: hashes frames and offers are checked against it.
    static const Manifest partial = [] {
        Manifest m = test::small_manifest();
        m.chunk_sha256.resize(3);
        return m;
    }();
    const Manifest& manifest = size > 1 && data[1] % 2 == 1 ? partial : whole;
    const std::size_t step = size == 0 ? 1 : data[0] % 7 + 1;
    const bool direct = size > 0 && data[0] % 2 == 0;
    const std::span<const std::uint8_t> input(data, size);
    for (Role role : {Role::client, Role::server}) {
        // The real limits: a payload of at most 32 MiB (a chunk) is the largest part.
        decode(FrameDecoder(frame_limits(role)), role, manifest, input, step, direct, 32 * 1024 * 1024);
    }
    decode(FrameDecoder(tight_limits()), Role::client, manifest, input, step, direct,
           std::max({kPreambleSize, kTightHeader, static_cast<std::size_t>(kTightPayload)}));
    return 0;
}

// Fuzz target: arbitrary bytes through the frame decoder and the message parser, as either side
// of a connection would receive them, fed in slices so reassembly is exercised too; with an even
// first byte, payload bytes are written into the decoder's payload space, as a connection does;
// with an odd second byte, the manifest held is one still missing hashes.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "../unit/test_util.hpp"
#include "chunkswarm/frame_codec.hpp"
#include "chunkswarm/messages.hpp"

using namespace chunkswarm;

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
    for (Role role : {Role::client, Role::server}) {
        FrameDecoder decoder(frame_limits(role));
        for (std::size_t pos = 0; pos < size && !decoder.failed(); pos += step) {
            const std::size_t length = std::min(step, size - pos);
            std::span<std::uint8_t> space = decoder.payload_space();
            if (direct && space.size() >= length) {
                std::copy_n(data + pos, length, space.begin());
                decoder.payload_received(length);
            } else {
                (void)decoder.feed(std::span(data + pos, length));
            }
            while (auto frame = decoder.next()) {
                auto message = parse_message(std::move(*frame), role, &manifest);
                // Whatever parses must encode again.
                if (message) (void)encode(message.value());
            }
            // The decoder never holds more than one frame's worth of bytes.
            if (decoder.buffered() > 64 * 1024 + 32 * 1024 * 1024) __builtin_trap();
        }
    }
    return 0;
}

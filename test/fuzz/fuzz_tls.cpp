// Fuzz target: arbitrary bytes as the first thing a TLS server hears (a ClientHello, or anything),
// fed in slices, then as records after a real handshake, where they must fail their check rather
// than decrypt. The first byte picks the slice size.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "chunkswarm/net/tls_channel.hpp"

using namespace chunkswarm;
using namespace chunkswarm::net;

namespace {

void drain(TlsChannel& channel)
{
    std::vector<std::uint8_t> plain(4096);
    for (int i = 0; i < 64; ++i) {
        auto read = channel.read_plain(plain);
        if (!read || read.value() == 0) return;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const auto context = [] {
        TlsKeys keys;
        keys.secret = "fuzzing secret, long enough";
        return TlsContext::create(keys).value();
    }();
    const std::span input(data, size);
    const std::size_t step = size == 0 ? 1 : data[0] % 61 + 1;

    TlsChannel server(context, TlsSide::server);
    for (std::size_t pos = 0; pos < size; pos += step) {
        if (!server.receive(input.subspan(pos, std::min(step, size - pos)))) break;
        (void)server.take_output();
        drain(server);
    }

    // A real pair, then the input as the server's records to the client.
    TlsChannel client(context, TlsSide::client);
    TlsChannel peer(context, TlsSide::server);
    for (int round = 0; round < 4; ++round) {
        auto hello = client.take_output();
        if (!hello.empty() && !peer.receive(hello)) return 0;
        auto answer = peer.take_output();
        if (!answer.empty() && !client.receive(answer)) return 0;
    }
    if (!client.established()) __builtin_trap();  // the pair must agree, or the rest tests nothing
    if (client.receive(input)) drain(client);
    return 0;
}

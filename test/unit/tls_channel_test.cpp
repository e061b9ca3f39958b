// TLS channels paired in memory: what one side writes out is fed to the other, no sockets.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "chunkswarm/net/tls_channel.hpp"

using namespace chunkswarm;
using namespace chunkswarm::net;

namespace {

std::shared_ptr<const TlsContext> context_for(const std::string& secret)
{
    TlsKeys keys;
    keys.secret = secret;
    auto context = TlsContext::create(keys);
    REQUIRE(context);
    return context.value();
}

std::vector<std::uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

// Moves ciphertext both ways until neither side has any to send; returns the first error, and
// records what crossed the wire.
struct Pair {
    TlsChannel client;
    TlsChannel server;
    std::vector<std::uint8_t> wire;

    Result<void> pump()
    {
        for (int round = 0; round < 10; ++round) {
            auto to_server = client.take_output();
            auto to_client = server.take_output();
            if (to_server.empty() && to_client.empty()) return {};
            wire.insert(wire.end(), to_server.begin(), to_server.end());
            wire.insert(wire.end(), to_client.begin(), to_client.end());
            if (!to_server.empty()) CS_TRY(server.receive(to_server));
            if (!to_client.empty()) CS_TRY(client.receive(to_client));
        }
        return make_error("the handshake did not settle in 10 rounds");
    }
};

std::string read_all(TlsChannel& channel)
{
    std::string text;
    std::vector<std::uint8_t> buffer(7);  // small, so that reads span records and calls
    for (;;) {
        auto read = channel.read_plain(buffer);
        REQUIRE(read);
        if (read.value() == 0) return text;
        text.append(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(read.value()));
    }
}

bool contains(const std::vector<std::uint8_t>& haystack, const std::string& needle)
{
    return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}

}  // namespace

TEST_CASE("two sides with the same secret agree, and the wire carries no plaintext")
{
    auto context = context_for("a swarm secret of some length");
    Pair pair{TlsChannel(context, TlsSide::client), TlsChannel(context, TlsSide::server), {}};
    // Sent before the handshake: held, then delivered.
    REQUIRE(pair.client.send(bytes_of("hello from the client, the file name is movie.mkv")));
    REQUIRE(pair.pump());
    CHECK(pair.client.established());
    CHECK(pair.server.established());
    CHECK(read_all(pair.server) == "hello from the client, the file name is movie.mkv");
    REQUIRE(pair.server.send(bytes_of("chunk bytes from the server")));
    REQUIRE(pair.pump());
    CHECK(read_all(pair.client) == "chunk bytes from the server");
    CHECK_FALSE(contains(pair.wire, "movie.mkv"));
    CHECK_FALSE(contains(pair.wire, "chunk bytes"));
}

TEST_CASE("a large payload crosses in many records")
{
    auto context = context_for("a swarm secret of some length");
    Pair pair{TlsChannel(context, TlsSide::client), TlsChannel(context, TlsSide::server), {}};
    REQUIRE(pair.pump());
    std::string big(300 * 1024, '\0');
    for (std::size_t i = 0; i < big.size(); ++i)
        big[i] = static_cast<char>('a' + i % 26);
    REQUIRE(pair.server.send(bytes_of(big)));
    REQUIRE(pair.pump());
    CHECK(read_all(pair.client) == big);
}

TEST_CASE("another secret fails the handshake, and nothing is delivered")
{
    Pair pair{TlsChannel(context_for("the right secret, long enough"), TlsSide::client),
              TlsChannel(context_for("another secret, long enough!!"), TlsSide::server),
              {}};
    REQUIRE(pair.client.send(bytes_of("hello")));
    auto pumped = pair.pump();
    REQUIRE_FALSE(pumped);
    CHECK(pumped.error().message.find("TLS handshake failed") != std::string::npos);
    CHECK_FALSE(pair.server.established());
    CHECK(pair.server.refused());
    CHECK(read_all(pair.server).empty());
}

TEST_CASE("a record altered on the way is refused")
{
    auto context = context_for("a swarm secret of some length");
    Pair pair{TlsChannel(context, TlsSide::client), TlsChannel(context, TlsSide::server), {}};
    REQUIRE(pair.pump());
    REQUIRE(pair.server.send(bytes_of("the chunk as the owner sent it")));
    auto record = pair.server.take_output();
    REQUIRE(record.size() > 20);
    record[record.size() - 20] ^= 0x01;
    REQUIRE(pair.client.receive(record));
    std::vector<std::uint8_t> buffer(64);
    auto read = pair.client.read_plain(buffer);
    CHECK_FALSE(read);
    CHECK_FALSE(pair.client.refused());  // a fault on the way: worth a new connection
}

TEST_CASE("a plain chunkswarm frame sent to a TLS server fails its handshake")
{
    TlsChannel server(context_for("a swarm secret of some length"), TlsSide::server);
    const std::string frame("CSW1\0\0\0\x10\0\0\0\0{\"type\":\"hello\"}", 28);
    auto received = server.receive(bytes_of(frame));
    CHECK_FALSE(received);
    CHECK_FALSE(server.established());
}

TEST_CASE("certificates: each of cert, key and ca must be given and readable")
{
    TlsKeys keys;
    keys.cert = "/nonexistent/cert.pem";
    auto missing = TlsContext::create(keys);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message.find("all three") != std::string::npos);
    keys.key = "/nonexistent/key.pem";
    keys.ca = "/nonexistent/ca.pem";
    auto unreadable = TlsContext::create(keys);
    REQUIRE_FALSE(unreadable);
    CHECK(unreadable.error().message.find("/nonexistent/cert.pem") != std::string::npos);
    CHECK_FALSE(TlsContext::create(TlsKeys{}));
}

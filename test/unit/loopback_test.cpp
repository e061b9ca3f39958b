// The libuv layer on a real loopback socket, in one process: a ChunkServer and ChunkClients on
// one loop, an ephemeral port, counted callbacks, and no handle left open at the end.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <future>
#include <optional>
#include <thread>

#include "chunk_files.hpp"
#include "chunkswarm/disk/chunk_store.hpp"
#include "chunkswarm/disk/file_util.hpp"
#include "chunkswarm/net/chunk_client.hpp"
#include "chunkswarm/net/chunk_server.hpp"
#include "chunkswarm/net/loop_thread.hpp"
#include "chunkswarm/net/metrics_server.hpp"
#include "hooked_client_kind.hpp"
#include "test_ids.hpp"
#include "test_util.hpp"

using namespace chunkswarm;

namespace {

struct Swarmlet {
    test::TempDir dir;
    std::vector<std::uint8_t> original;
    ChunkStore server_store{dir.path() / "server"};
    Manifest manifest;
    uv_loop_t loop{};

    explicit Swarmlet(std::size_t size = 7 * 4096 + 100, std::uint32_t chunk_size = 4096)
        : original(test::random_bytes(size, 7))
    {
        test::write_file(dir.path() / "input.bin", original);
        manifest = test::split_file(dir.path() / "input.bin", chunk_size, server_store).value();
        uv_loop_init(&loop);
    }

    net::ServerContext context(int& done_calls, bool& done_complete)
    {
        net::ServerContext c;
        c.manifest = &manifest;
        c.store = &server_store;
        c.offered_for = [this](const Hello&) -> Result<ChunkSet> { return ChunkSet::all(manifest.chunk_count); };
        c.on_done = [&](const Hello&, const Done& done) {
            ++done_calls;
            done_complete = done.complete;
        };
        return c;
    }

    // Runs a client until no handle on the loop is active.
    void run_client(const net::ClientOptions& options, test::Hooks hooks)
    {
        net::ChunkClient client(&loop, options, test::kind(std::move(hooks)));
        client.start();
        uv_run(&loop, UV_RUN_DEFAULT);
    }

    // A port that was free a moment ago and is not listened on.
    std::uint16_t unused_port()
    {
        net::TcpListener probe(&loop, Role::server);
        REQUIRE(probe.listen(Endpoint{"127.0.0.1", 0}, [](auto) {}).ok());
        return probe.port();
    }

    // Runs a client that only records how it ended.
    Result<void> run_to_end(const net::ClientOptions& options)
    {
        Result<void> outcome = make_error("never ended");
        test::Hooks hooks;
        hooks.on_end = [&](const Result<void>& r) { outcome = r; };
        run_client(options, std::move(hooks));
        return outcome;
    }

    // After every owner of a handle is gone: lets the close callbacks run and closes the loop.
    // uv_loop_close() fails with UV_EBUSY if any handle was leaked.
    int close_loop()
    {
        uv_run(&loop, UV_RUN_DEFAULT);
        return uv_loop_close(&loop);
    }
};

// Hooks for a client that downloads every chunk into `store`, joins the file as out.bin, and
// records how it ended; `on_end` also closes `server` so that the loop can finish.
test::Hooks download_all(Swarmlet& s, const ChunkStore& store, net::ChunkServer& server, Result<void>& outcome)
{
    test::Hooks hooks;
    hooks.accept_manifest = [&s](const Manifest& m) -> Result<void> {
        CHECK(m == s.manifest);
        return {};
    };
    hooks.local_chunks = [&s] { return ChunkSet(s.manifest.chunk_count); };
    hooks.store_chunk = [&store](ChunkId id, std::span<const std::uint8_t> bytes) { return store.write(id, bytes); };
    hooks.is_finished = [](const RequestPlanner& p) { return p.complete(); };
    hooks.on_finished = [&s, &store](const RequestPlanner&) {
        return test::join_chunks(store, s.manifest, s.dir.path() / "out.bin");
    };
    hooks.on_end = [&outcome, &server](const Result<void>& r) {
        outcome = r;
        server.close();
    };
    return hooks;
}

net::ClientOptions client_options(std::uint16_t port)
{
    net::ClientOptions o;
    o.self_id = 1_peer;
    o.remote = Endpoint{"127.0.0.1", port};
    o.remote_label = "test server";
    o.connect_timeout_s = 5;
    o.settings.request_window = 3;
    return o;
}

}  // namespace

TEST_CASE("a client downloads every chunk from a server over loopback and the loop closes clean")
{
    Swarmlet s;
    int done_calls = 0;
    bool done_complete = false;
    int stored = 0;
    int ends = 0;
    Result<void> outcome = make_error("never ended");
    ChunkStore client_store(s.dir.path() / "client");
    REQUIRE(client_store.prepare().ok());
    metrics::Registry server_metrics;
    metrics::Registry client_metrics;
    {
        net::ServerContext context = s.context(done_calls, done_complete);
        context.metrics = &server_metrics;
        net::ChunkServer server(&s.loop, context);
        REQUIRE(server.listen(Endpoint{"127.0.0.1", 0}).ok());
        REQUIRE(server.port() != 0);

        test::Hooks hooks = download_all(s, client_store, server, outcome);
        hooks.store_chunk = [&](ChunkId id, std::span<const std::uint8_t> bytes) {
            ++stored;
            return client_store.write(id, bytes);
        };
        auto record_end = std::move(hooks.on_end);
        hooks.on_end = [&, record_end](const Result<void>& r) {
            ++ends;
            record_end(r);
        };
        net::ClientOptions options = client_options(server.port());
        options.metrics = &client_metrics;
        s.run_client(options, std::move(hooks));
    }
    CHECK(s.close_loop() == 0);
    CHECK(outcome.ok());
    CHECK(ends == 1);
    CHECK(stored == 8);
    CHECK(done_calls == 1);
    CHECK(done_complete);
    CHECK(test::read_file(s.dir.path() / "out.bin") == s.original);
    // Every byte is counted once on each side, and nothing is left in flight.
    const auto size = static_cast<std::int64_t>(s.original.size());
    CHECK(client_metrics.at(metrics::family::received_bytes, {{"from", "test-server"}}).get() == size);
    CHECK(server_metrics.at(metrics::family::sent_bytes, {{"to", "1"}}).get() == size);
    CHECK(client_metrics.at(metrics::family::requests_in_flight, {{"to", "test-server"}}).get() == 0);
    CHECK(client_metrics.at(metrics::family::hash_failures, {{"from", "test-server"}}).get() == 0);
}

TEST_CASE("a request for a chunk on its way to the server waits there and is answered when the chunk lands")
{
    Swarmlet s;
    int done_calls = 0;
    bool done_complete = false;
    Result<void> outcome = make_error("never ended");
    ChunkStore client_store(s.dir.path() / "client");
    REQUIRE(client_store.prepare().ok());
    const std::uint32_t count = s.manifest.chunk_count;
    REQUIRE(count == 8);
    // The server holds the first half and has asked for the rest.
    ChunkSet held(count);
    for (ChunkId id : ids_below<ChunkId>(count / 2))
        held.insert(id);
    std::vector<ChunkId> requested_ahead;
    {
        net::ServerContext context = s.context(done_calls, done_complete);
        context.offered_for = [&](const Hello&) -> Result<ChunkSet> { return held; };
        context.coming = [&] {
            ChunkSet coming = ChunkSet::all(count);
            for (ChunkId id : held.ids())
                coming.erase(id);
            return coming;
        };
        net::ChunkServer server(&s.loop, context);
        REQUIRE(server.listen(Endpoint{"127.0.0.1", 0}).ok());
        test::Hooks hooks = download_all(s, client_store, server, outcome);
        hooks.on_requested = [&](const std::vector<ChunkId>& ids) {
            for (ChunkId id : ids)
                if (!held.contains(id)) requested_ahead.push_back(id);
        };
        int stored = 0;
        hooks.store_chunk = [&](ChunkId id, std::span<const std::uint8_t> bytes) {
            // Only once the client holds the first half does the rest land at the server.
            if (++stored == static_cast<int>(count / 2)) {
                held = ChunkSet::all(count);
                server.announce_all();
            }
            return client_store.write(id, bytes);
        };
        auto options = client_options(server.port());
        options.settings.request_window = 4;
        s.run_client(options, std::move(hooks));
    }
    CHECK(s.close_loop() == 0);
    CHECK(outcome.ok());
    // Half a window of them was asked for, in the order announced, before the server held any.
    CHECK(requested_ahead == test::chunk_ids({4, 5}));
    CHECK(done_complete);
    CHECK(test::read_file(s.dir.path() / "out.bin") == s.original);
}

// The owner's way while it hashes: the manifest starts with no hash, a timer appends two at a
// time, and only hashed chunks are offered. The client must wait for the last hash, not finish
// when what is offered so far is all it holds.
TEST_CASE("a client takes the chunk hashes as the server computes them, and finishes only once it has all")
{
    Swarmlet s;
    int done_calls = 0;
    bool done_complete = false;
    Result<void> outcome = make_error("never ended");
    ChunkStore client_store(s.dir.path() / "client");
    REQUIRE(client_store.prepare().ok());
    const std::uint32_t count = s.manifest.chunk_count;
    Manifest growing = s.manifest;
    growing.chunk_sha256.clear();
    std::vector<std::uint32_t> hashed_seen;  // how many hashes the client held at each step
    bool rescue_saw_whole = false;
    Result<void> rescue_outcome = make_error("never ended");
    {
        net::ServerContext context = s.context(done_calls, done_complete);
        context.manifest = &growing;
        context.offered_for = [&](const Hello& hello) -> Result<ChunkSet> {
            ChunkSet offered(count);
            for (ChunkId id : ids_below<ChunkId>(growing.hashed()))
                if (!hello.rescue) offered.insert(id);
            return offered;
        };
        net::ChunkServer server(&s.loop, context);
        REQUIRE(server.listen(Endpoint{"127.0.0.1", 0}).ok());
        net::Timer hasher(&s.loop);
        hasher.start(
            20,
            [&] {
                const auto next = std::min<std::uint32_t>(growing.hashed() + 2, count);
                REQUIRE(
                    append_hashes(growing, growing.hashed(),
                                  std::span(s.manifest.chunk_sha256).subspan(growing.hashed(), next - growing.hashed()))
                        .ok());
                server.hashes_grew();
                server.announce_all();
                if (growing.whole()) hasher.stop();
            },
            20);
        test::Hooks hooks = download_all(s, client_store, server, outcome);
        hooks.accept_manifest = [&](const Manifest& m) -> Result<void> {
            CHECK(agrees_so_far(m, s.manifest));
            hashed_seen.push_back(m.hashed());
            return {};
        };
        hooks.accept_hashes = [&](const Manifest& m, std::uint32_t first) -> Result<void> {
            CHECK(first == hashed_seen.back());
            CHECK(agrees_so_far(m, s.manifest));
            hashed_seen.push_back(m.hashed());
            return {};
        };
        // As a peer's share session: finished once the server has nothing more to offer.
        hooks.is_finished = [](const RequestPlanner& p) { return p.remote_exhausted(); };
        int ended = 0;
        hooks.on_end = [&](const Result<void>& r) {
            outcome = r;
            if (++ended == 2) server.close();
        };
        net::ChunkClient client(&s.loop, client_options(server.port()), test::kind(std::move(hooks)));
        client.start();

        // A rescue may be offered anything: it is held back until every hash is in.
        test::Hooks rescue_hooks;
        rescue_hooks.accept_manifest = [&](const Manifest& m) -> Result<void> {
            rescue_saw_whole = m.whole();
            return {};
        };
        rescue_hooks.local_chunks = [&] { return ChunkSet(count); };
        rescue_hooks.store_chunk = [](ChunkId, std::span<const std::uint8_t>) { return Result<void>{}; };
        rescue_hooks.is_finished = [](const RequestPlanner& p) { return p.remote_exhausted(); };
        rescue_hooks.on_finished = [](const RequestPlanner&) { return Result<void>{}; };
        rescue_hooks.on_end = [&](const Result<void>& r) {
            rescue_outcome = r;
            if (++ended == 2) server.close();
        };
        auto rescue_options = client_options(server.port());
        rescue_options.self_id = 2_peer;
        rescue_hooks.ask.rescue = true;
        net::ChunkClient rescue(&s.loop, rescue_options, test::kind(std::move(rescue_hooks)));
        rescue.start();
        uv_run(&s.loop, UV_RUN_DEFAULT);
    }
    CHECK(s.close_loop() == 0);
    CHECK(outcome.ok());
    CHECK(done_complete);
    CHECK(test::read_file(s.dir.path() / "out.bin") == s.original);
    REQUIRE(hashed_seen.size() >= 3);
    CHECK(hashed_seen.front() < count);
    CHECK(hashed_seen.back() == count);
    CHECK(std::is_sorted(hashed_seen.begin(), hashed_seen.end()));
    CHECK(rescue_outcome.ok());
    CHECK(rescue_saw_whole);
}

TEST_CASE("a chunk that fails its hash is dropped and requested again, and the copy is exact")
{
    Swarmlet s;
    int done_calls = 0;
    bool done_complete = false;
    std::vector<ChunkId> rejected;
    Result<void> outcome = make_error("never ended");
    ChunkStore client_store(s.dir.path() / "client");
    REQUIRE(client_store.prepare().ok());
    metrics::Registry client_metrics;
    // The server's copy of chunk 3 is damaged on disk until the client has rejected it once.
    auto good = s.server_store.read(3_c, 4096).value();
    auto bad = good;
    bad[100] ^= 0xFF;
    REQUIRE(s.server_store.write(3_c, bad).ok());
    {
        net::ChunkServer server(&s.loop, s.context(done_calls, done_complete));
        REQUIRE(server.listen(Endpoint{"127.0.0.1", 0}).ok());
        test::Hooks hooks = download_all(s, client_store, server, outcome);
        hooks.on_bad_chunk = [&](ChunkId id) {
            rejected.push_back(id);
            REQUIRE(s.server_store.write(3_c, good).ok());
        };
        net::ClientOptions options = client_options(server.port());
        options.metrics = &client_metrics;
        s.run_client(options, std::move(hooks));
    }
    CHECK(s.close_loop() == 0);
    CHECK(outcome.ok());
    CHECK(rejected == test::chunk_ids({3}));
    CHECK(client_metrics.at(metrics::family::hash_failures, {{"from", "test-server"}}).get() == 1);
    // The rejected copy is not counted as received.
    CHECK(client_metrics.at(metrics::family::received_bytes, {{"from", "test-server"}}).get() ==
          static_cast<std::int64_t>(s.original.size()));
    CHECK(test::read_file(s.dir.path() / "out.bin") == s.original);
}

TEST_CASE("garbage gets an error frame and a closed connection while the server keeps serving")
{
    Swarmlet s;
    int done_calls = 0;
    bool done_complete = false;
    std::vector<std::string> errors;
    std::vector<std::string> close_reasons;
    Result<void> honest = make_error("never ended");
    {
        net::ChunkServer server(&s.loop, s.context(done_calls, done_complete));
        REQUIRE(server.listen(Endpoint{"127.0.0.1", 0}).ok());
        auto address = net::to_sockaddr(Endpoint{"127.0.0.1", server.port()}).value();

        // Three hostile clients: not our protocol, a request before hello, an out-of-range chunk ID.
        std::vector<std::vector<std::uint8_t>> attacks;
        attacks.push_back({'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P', '/', '1'});
        attacks.push_back(encode(Request{{0_c}}).head);
        auto hello = encode(Hello{9_peer}).head;
        auto bad_id = encode_frame_head({{"type", "request"}, {"ids", {99}}}, 0);
        hello.insert(hello.end(), bad_id.begin(), bad_id.end());
        attacks.push_back(hello);
        for (auto& bytes : attacks) {
            auto attacker = net::TcpConnection::create(&s.loop, Role::client);
            attacker->set_handlers(
                [&](Frame f) {
                    if (f.type() == "error") errors.push_back(f.header["message"]);
                },
                [&](const std::string& reason) { close_reasons.push_back(reason); });
            attacker->connect(address, [attacker, bytes](int status) {
                REQUIRE(status == 0);
                attacker->start_reading();
                attacker->send(OutFrame{bytes, {}, nullptr});
            });
        }

        ChunkStore client_store(s.dir.path() / "client");
        REQUIRE(client_store.prepare().ok());
        test::Hooks hooks = download_all(s, client_store, server, honest);
        s.run_client(client_options(server.port()), std::move(hooks));
    }
    CHECK(s.close_loop() == 0);
    CHECK(honest.ok());
    REQUIRE(errors.size() == 3);
    CHECK(close_reasons.size() == 3);
    std::sort(errors.begin(), errors.end());
    CHECK(errors[0].find("bad frame magic") != std::string::npos);
    CHECK(errors[1].find("chunk ID 99 is not in 0..7") != std::string::npos);
    CHECK(errors[2].find("the first message must be hello") != std::string::npos);
}

namespace {

// A blocking client socket for the test's own thread, while the server's loop runs on another.
class PlainClient {
public:
    explicit PlainClient(std::uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0))
    {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = connect(fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    }

    bool connected() const { return connected_; }
    // False if the server reset the connection before every byte was written.
    bool write_zeros(std::size_t count)
    {
        std::vector<char> zeros(64 * 1024);
        while (count > 0) {
            ssize_t n = ::send(fd_.get(), zeros.data(), std::min(count, zeros.size()), MSG_NOSIGNAL);
            if (n <= 0) return false;
            count -= static_cast<std::size_t>(n);
        }
        return true;
    }
    // Everything up to a clean end of stream; nothing if the stream ended in an error (a reset).
    std::optional<std::string> read_to_end()
    {
        std::string received;
        char buffer[4096];
        for (;;) {
            ssize_t n = ::recv(fd_.get(), buffer, sizeof buffer, 0);
            if (n == 0) return received;
            if (n < 0) return std::nullopt;
            received.append(buffer, static_cast<std::size_t>(n));
        }
    }

private:
    Fd fd_;
    bool connected_ = false;
};

// A server connection on its own loop thread that gets 4 MiB of garbage (far more than one read),
// so it fails on the first bytes with the rest still arriving; `closed` gets its close reason.
struct GarbageRun {
    net::LoopThread thread{"test server"};
    net::TcpListener listener{thread.loop(), Role::server};
    std::promise<std::string> closed;
    std::optional<PlainClient> client;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    bool written = false;

    GarbageRun()
    {
        auto listening = listener.listen(Endpoint{"127.0.0.1", 0}, [this](std::shared_ptr<net::TcpConnection> c) {
            c->set_handlers([](Frame) {},
                            [this](const std::string& reason) {
                                listener.close();
                                closed.set_value(reason);
                            });
            c->start_reading();
        });
        REQUIRE(listening.ok());
        const std::uint16_t port = listener.port();
        thread.start();
        // Checked by the tests, not here: a constructor that throws would skip the destructor.
        client.emplace(port);
        written = client->connected() && client->write_zeros(std::size_t{4} << 20);
    }
    GarbageRun(const GarbageRun&) = delete;
    GarbageRun& operator=(const GarbageRun&) = delete;
    // Also after a failed check: our close ends the server's connection, which ends its loop.
    ~GarbageRun()
    {
        client.reset();
        thread.post([this] { listener.close(); });
        thread.join();
    }
};

}  // namespace

TEST_CASE("an error frame ends in a clean close, not a reset, however much the other side was still sending")
{
    GarbageRun run;
    REQUIRE(run.client->connected());
    CHECK(run.written);
    auto reply = run.client->read_to_end();
    REQUIRE(reply.has_value());
    CHECK(reply->find("\"type\":\"error\"") != std::string::npos);
    CHECK(reply->find("bad frame magic") != std::string::npos);
    run.client.reset();
    CHECK(run.closed.get_future().get().find("bad frame magic") != std::string::npos);
}

TEST_CASE("after an error frame, a side that never closes its end is dropped after the drain deadline")
{
    using namespace std::chrono;
    GarbageRun run;
    REQUIRE(run.client->connected());
    REQUIRE(run.client->read_to_end().has_value());  // the error, then our side is left open
    auto closed = run.closed.get_future();
    const auto deadline = milliseconds(net::TcpConnection::kDrainDeadlineMs);
    REQUIRE(closed.wait_for(deadline + seconds(10)) == std::future_status::ready);
    // Not much before the deadline: libuv's cached loop time may lag the clock by a moment.
    CHECK(steady_clock::now() - run.started >= deadline - milliseconds(500));
    CHECK(closed.get().find("bad frame magic") != std::string::npos);
}

TEST_CASE("frames that arrive in the same read as the one a handler failed on are dropped")
{
    Swarmlet s;
    int handled = 0;
    std::string error;
    {
        net::TcpListener listener(&s.loop, Role::server);
        std::shared_ptr<net::TcpConnection> server_side;
        REQUIRE(listener
                    .listen(Endpoint{"127.0.0.1", 0},
                            [&](std::shared_ptr<net::TcpConnection> c) {
                                server_side = c;
                                c->set_handlers(
                                    [&](Frame) {
                                        ++handled;
                                        server_side->fail(WireError::protocol, "the first frame is all it takes");
                                    },
                                    [&](const std::string&) { listener.close(); });
                                c->start_reading();
                            })
                    .ok());
        // Three frames in one write, so that the server decodes them from one read.
        std::vector<std::uint8_t> three;
        for (int i = 0; i < 3; ++i) {
            auto head = encode(Hello{1_peer}).head;
            three.insert(three.end(), head.begin(), head.end());
        }
        auto client = net::TcpConnection::create(&s.loop, Role::client);
        client->set_handlers([&](Frame f) { error = f.header.value("message", ""); }, [](const std::string&) {});
        client->connect(net::to_sockaddr(Endpoint{"127.0.0.1", listener.port()}).value(), [client, three](int status) {
            REQUIRE(status == 0);
            client->start_reading();
            client->send(OutFrame{three, {}, nullptr});
        });
        uv_run(&s.loop, UV_RUN_DEFAULT);
    }
    CHECK(s.close_loop() == 0);
    CHECK(handled == 1);
    CHECK(error == "the first frame is all it takes");
}

TEST_CASE("a client gives up on an unreachable server after its budget, with a clear reason")
{
    Swarmlet s;
    auto options = client_options(s.unused_port());
    options.connect_timeout_s = 1;
    const Result<void> outcome = s.run_to_end(options);
    CHECK(s.close_loop() == 0);
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.error().message.find("could not reach test server") != std::string::npos);
    CHECK(outcome.error().message.find("connection refused") != std::string::npos);
    CHECK(outcome.error().code != ErrorCode::peer_gone);
}

TEST_CASE("a peer never reached within the connect budget counts as gone, even when its never-up limit is longer")
{
    Swarmlet s;
    auto options = client_options(s.unused_port());
    options.connect_timeout_s = 1;
    options.gone_after_s = 5;
    options.never_up_gone_after_s = 600;
    const Result<void> outcome = s.run_to_end(options);
    CHECK(s.close_loop() == 0);
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.error().code == ErrorCode::peer_gone);
    CHECK(outcome.error().message.find("could not be reached within 1 s") != std::string::npos);
}

TEST_CASE("a client that never says hello is disconnected with an error after the hello timeout")
{
    Swarmlet s;
    int done_calls = 0;
    bool done_complete = false;
    std::string error;
    std::string closed;
    {
        net::ServerContext context = s.context(done_calls, done_complete);
        context.settings.hello_timeout_s = 1;
        net::ChunkServer server(&s.loop, std::move(context));
        REQUIRE(server.listen(Endpoint{"127.0.0.1", 0}).ok());
        auto silent = net::TcpConnection::create(&s.loop, Role::client);
        silent->set_handlers([&](Frame f) { error = f.header.value("message", ""); },
                             [&](const std::string& reason) {
                                 closed = reason;
                                 server.close();
                             });
        silent->connect(net::to_sockaddr(Endpoint{"127.0.0.1", server.port()}).value(), [silent](int status) {
            REQUIRE(status == 0);
            silent->start_reading();
        });
        uv_run(&s.loop, UV_RUN_DEFAULT);
    }
    CHECK(s.close_loop() == 0);
    CHECK(error == "no hello within 1 s");
    CHECK_FALSE(closed.empty());
}

// Stopped or starved, the server's loop runs its due timers before it reads what came meanwhile:
// the hello timer must not take the server's own stall for the client's silence.
TEST_CASE("a stall of the server's own process does not count against a client's hello")
{
    Swarmlet s;
    int done_calls = 0;
    bool done_complete = false;
    std::string first_frame;
    {
        net::ServerContext context = s.context(done_calls, done_complete);
        context.settings.hello_timeout_s = 1;
        net::ChunkServer server(&s.loop, std::move(context));
        REQUIRE(server.listen(Endpoint{"127.0.0.1", 0}).ok());
        net::Timer stall(&s.loop);
        net::Timer say_hello(&s.loop);
        auto client = net::TcpConnection::create(&s.loop, Role::client);
        client->set_handlers(
            [&](Frame f) {
                if (!first_frame.empty()) return;
                first_frame = f.type();
                client->close("seen the answer");
                server.close();
            },
            [&](const std::string&) { server.close(); });
        client->connect(net::to_sockaddr(Endpoint{"127.0.0.1", server.port()}).value(), [&](int status) {
            REQUIRE(status == 0);
            client->start_reading();
            // The server has accepted (and armed its hello timer) by the next turn of the loop.
            stall.start(200, [&] {
                std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // past the timeout and its slack
                say_hello.start(300, [&] { client->send(Hello{1_peer, random_nonce()}); });
            });
        });
        uv_run(&s.loop, UV_RUN_DEFAULT);
    }
    CHECK(s.close_loop() == 0);
    CHECK(first_frame == "manifest");
}

// A hello the server found late (a slow link, or the server's own stall) is said again.
TEST_CASE("a client that the server found slow to say hello connects again")
{
    Swarmlet s;
    std::vector<std::shared_ptr<net::TcpConnection>> accepted;
    Result<void> outcome = make_error("never ended");
    {
        net::TcpListener server(&s.loop, Role::server);
        std::unique_ptr<net::ChunkClient> client;
        REQUIRE(server
                    .listen(Endpoint{"127.0.0.1", 0},
                            [&](std::shared_ptr<net::TcpConnection> connection) {
                                accepted.push_back(connection);
                                if (accepted.size() > 1) {
                                    client->abort("connected again");
                                    connection->close("test over");
                                    server.close();
                                    return;
                                }
                                connection->start_reading();
                                connection->fail(WireError::timeout, "no hello within 1 s");
                            })
                    .ok());
        test::Hooks hooks;
        hooks.on_end = [&](const Result<void>& r) {
            outcome = r;
            server.close();
        };
        client =
            std::make_unique<net::ChunkClient>(&s.loop, client_options(server.port()), test::kind(std::move(hooks)));
        client->start();
        uv_run(&s.loop, UV_RUN_DEFAULT);
    }
    const std::size_t connections = accepted.size();
    accepted.clear();
    CHECK(s.close_loop() == 0);
    CHECK(connections == 2);
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.error().message == "connected again");
}

TEST_CASE("a server that stops answering requests makes the client reconnect and ask again")
{
    Swarmlet s;
    std::vector<std::shared_ptr<net::TcpConnection>> accepted;
    int requests = 0;
    Result<void> outcome = make_error("never ended");
    {
        // Keeps announcing every 200 ms, which must not count as an answer.
        net::Timer chatter(&s.loop);
        chatter.start(
            200,
            [&] {
                if (!accepted.empty() && !accepted.back()->closing()) accepted.back()->send(Have{{0_c}});
            },
            200);
        // Answers hello like a real server, then ignores every request.
        net::TcpListener mute(&s.loop, Role::server);
        std::unique_ptr<net::ChunkClient> client;
        REQUIRE(mute.listen(Endpoint{"127.0.0.1", 0},
                            [&](std::shared_ptr<net::TcpConnection> connection) {
                                accepted.push_back(connection);
                                if (accepted.size() == 2) {
                                    client->abort("reconnected as expected");
                                    chatter.close();
                                    mute.close();
                                    for (auto& c : accepted)
                                        c->close("test over");
                                    return;
                                }
                                connection->set_handlers(
                                    [&, connection](Frame f) {
                                        if (f.type() == "request") {
                                            ++requests;
                                            return;
                                        }
                                        connection->send(ManifestMsg{s.manifest});
                                        connection->send(HaveList{ChunkSet::all(s.manifest.chunk_count)});
                                    },
                                    nullptr);
                                connection->start_reading();
                            })
                    .ok());
        test::Hooks hooks;
        hooks.accept_manifest = [](const Manifest&) -> Result<void> { return {}; };
        hooks.local_chunks = [&] { return ChunkSet(s.manifest.chunk_count); };
        hooks.is_finished = [](const RequestPlanner& p) { return p.complete(); };
        hooks.on_end = [&](const Result<void>& r) { outcome = r; };
        auto options = client_options(mute.port());
        options.settings.request_timeout_s = 1;
        client = std::make_unique<net::ChunkClient>(&s.loop, options, test::kind(std::move(hooks)));
        client->start();
        uv_run(&s.loop, UV_RUN_DEFAULT);
    }
    const std::size_t connections = accepted.size();
    accepted.clear();
    CHECK(s.close_loop() == 0);
    CHECK(connections == 2);
    CHECK(requests >= 1);
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.error().message == "reconnected as expected");
}

// The bootstrap's owner session hears nothing of what the neighbours bring: cut off, it must see
// for itself that the peer holds everything rather than wait out its connect budget for a server
// that has left; a server still there is told "done", as its upstream peer may leave on that.
TEST_CASE("a client cut off from its server ends once other sources brought everything, saying done if it can")
{
    struct Case {
        const char* name;
        bool held_before_the_drop;
        bool server_stays;
    };
    for (const Case& c :
         {Case{"held, then the server leaves", true, false}, Case{"the server leaves, then held", false, false},
          Case{"held, and the server stays", true, true}}) {
        INFO(c.name);
        Swarmlet s;
        ChunkSet held(s.manifest.chunk_count);
        std::vector<std::shared_ptr<net::TcpConnection>> accepted;
        bool done_said = false;
        int finished_calls = 0;
        Result<void> outcome = make_error("never ended");
        {
            net::Timer brought_elsewhere(&s.loop);
            net::TcpListener server(&s.loop, Role::server);
            // Answers hello; drops a connection at its first request. The third connection is
            // one too many: the client keeps asking for what it holds.
            REQUIRE(server
                        .listen(Endpoint{"127.0.0.1", 0},
                                [&](std::shared_ptr<net::TcpConnection> connection) {
                                    accepted.push_back(connection);
                                    if (accepted.size() > 2) {
                                        connection->close("test over");
                                        server.close();
                                        return;
                                    }
                                    connection->set_handlers(
                                        [&, connection](Frame f) {
                                            if (f.type() == "done") {
                                                done_said = true;
                                                connection->close("done");
                                                return;
                                            }
                                            if (f.type() != "request") {
                                                connection->send(ManifestMsg{s.manifest});
                                                connection->send(HaveList{ChunkSet::all(s.manifest.chunk_count)});
                                                return;
                                            }
                                            if (!c.server_stays) server.close();  // connects are refused from now on
                                            if (c.held_before_the_drop) {
                                                held = ChunkSet::all(s.manifest.chunk_count);
                                            } else {
                                                brought_elsewhere.start(
                                                    300, [&] { held = ChunkSet::all(s.manifest.chunk_count); });
                                            }
                                            connection->close("server left");
                                        },
                                        nullptr);
                                    connection->start_reading();
                                })
                        .ok());
            test::Hooks hooks;
            hooks.local_chunks = [&] { return held; };
            hooks.on_finished = [&](const RequestPlanner&) -> Result<void> {
                ++finished_calls;
                return {};
            };
            hooks.on_end = [&](const Result<void>& r) {
                outcome = r;
                server.close();
            };
            net::ChunkClient client(&s.loop, client_options(server.port()), test::kind(std::move(hooks)));
            client.start();
            uv_run(&s.loop, UV_RUN_DEFAULT);
        }
        const std::size_t connections = accepted.size();
        for (auto& connection : accepted)
            if (!connection->closing()) connection->close("test over");
        accepted.clear();
        CHECK(s.close_loop() == 0);
        CHECK(finished_calls == 1);
        CHECK_MESSAGE(outcome.ok(), (outcome.ok() ? "" : outcome.error().message));
        CHECK(done_said == c.server_stays);
        CHECK(connections == (c.server_stays ? 2 : 1));
    }
}

TEST_CASE("with a swarm secret, only a client that holds it gets anything")
{
    const std::string secret = "correct horse battery staple";
    struct Case {
        const char* name;
        std::string client_secret;
        std::string server_secret;
        const char* expect;  // nullptr: the download completes
    };
    std::vector<Case> cases = {
        {"both hold it", secret, secret, nullptr},
        {"client has none", "", secret, "refused: this swarm needs its secret"},
        {"client holds another", "a different secret, also long", secret, "failed the swarm secret check"},
        {"server has none", secret, "", "did not prove it knows the swarm secret"},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        Swarmlet s;
        int done_calls = 0;
        bool done_complete = false;
        int stored = 0;
        Result<void> outcome = make_error("never ended");
        ChunkStore client_store(s.dir.path() / "client");
        REQUIRE(client_store.prepare().ok());
        {
            net::ServerContext context = s.context(done_calls, done_complete);
            context.secret = c.server_secret;
            net::ChunkServer server(&s.loop, std::move(context));
            REQUIRE(server.listen(Endpoint{"127.0.0.1", 0}).ok());
            test::Hooks hooks = download_all(s, client_store, server, outcome);
            hooks.store_chunk = [&](ChunkId id, std::span<const std::uint8_t> bytes) {
                ++stored;
                return client_store.write(id, bytes);
            };
            auto options = client_options(server.port());
            options.secret = c.client_secret;
            s.run_client(options, std::move(hooks));
        }
        CHECK(s.close_loop() == 0);
        if (!c.expect) {
            CHECK(outcome.ok());
            CHECK(stored == 8);
        } else {
            REQUIRE_FALSE(outcome.ok());
            CHECK_MESSAGE(outcome.error().message.find(c.expect) != std::string::npos, outcome.error().message);
            CHECK(stored == 0);
            CHECK(done_calls == 0);
        }
    }
}

TEST_CASE("a client that forges its proof gets an error frame and never the manifest")
{
    Swarmlet s;
    int done_calls = 0;
    bool done_complete = false;
    std::vector<std::string> received;
    {
        net::ServerContext context = s.context(done_calls, done_complete);
        context.secret = "correct horse battery staple";
        net::ChunkServer server(&s.loop, std::move(context));
        REQUIRE(server.listen(Endpoint{"127.0.0.1", 0}).ok());
        auto forger = net::TcpConnection::create(&s.loop, Role::client);
        forger->set_handlers(
            [&, forger](Frame f) {
                received.push_back(f.type());
                // Answer the server's challenge with a proof made up without the secret.
                if (f.type() == "auth") forger->send(Auth{std::nullopt, Digest{}});
            },
            [&](const std::string&) { server.close(); });
        forger->connect(net::to_sockaddr(Endpoint{"127.0.0.1", server.port()}).value(), [forger](int status) {
            REQUIRE(status == 0);
            forger->start_reading();
            forger->send(Hello{1_peer, random_nonce()});
        });
        uv_run(&s.loop, UV_RUN_DEFAULT);
    }
    CHECK(s.close_loop() == 0);
    CHECK(received == std::vector<std::string>{"auth", "error"});
}

TEST_CASE("a server whose send budget holds less than one chunk still serves three clients to the end")
{
    Swarmlet s;
    int done_calls = 0;
    bool done_complete = false;
    std::vector<std::unique_ptr<ChunkStore>> stores;
    std::vector<Result<void>> outcomes(3, make_error("never ended"));
    int ended = 0;
    {
        net::ServerContext context = s.context(done_calls, done_complete);
        context.settings.send_budget = 1;  // every read waits until nothing else is held
        net::ChunkServer server(&s.loop, context);
        REQUIRE(server.listen(Endpoint{"127.0.0.1", 0}).ok());
        std::vector<std::unique_ptr<net::ChunkClient>> clients;
        for (int i = 0; i < 3; ++i) {
            stores.push_back(std::make_unique<ChunkStore>(s.dir.path() / ("client" + std::to_string(i))));
            REQUIRE(stores.back()->prepare().ok());
            test::Hooks hooks = download_all(s, *stores.back(), server, outcomes[i]);
            hooks.on_finished = [](const RequestPlanner&) -> Result<void> { return {}; };
            hooks.on_end = [&, i](const Result<void>& r) {
                outcomes[i] = r;
                if (++ended == 3) server.close();
            };
            net::ClientOptions options = client_options(server.port());
            options.self_id = PeerId(static_cast<std::uint32_t>(i + 1));
            clients.push_back(std::make_unique<net::ChunkClient>(&s.loop, options, test::kind(std::move(hooks))));
            clients.back()->start();
        }
        uv_run(&s.loop, UV_RUN_DEFAULT);
    }
    CHECK(s.close_loop() == 0);
    CHECK(ended == 3);
    CHECK(done_calls == 3);
    for (int i = 0; i < 3; ++i) {
        CHECK(outcomes[i].ok());
        CHECK(stores[i]->scan(s.manifest).held.count() == s.manifest.chunk_count);
    }
}

TEST_CASE("a capped server sends a helper only what its other clients leave of the cap")
{
    // 64 chunks of 16 KiB at 1 MB/s: about a second, the first 128 KiB (the cap's burst) at once.
    Swarmlet s(64 * 16384, 16384);
    int done_calls = 0;
    bool done_complete = false;
    std::array<std::uint32_t, 2> received{};  // the ring's client, the helper
    std::optional<std::uint32_t> helper_had_when_ring_done;
    int ended = 0;
    {
        net::ServerContext context = s.context(done_calls, done_complete);
        context.settings.max_upload_rate = 1'000'000;
        net::ChunkServer server(&s.loop, context);
        REQUIRE(server.listen(Endpoint{"127.0.0.1", 0}).ok());
        std::vector<std::unique_ptr<net::ChunkClient>> clients;
        for (std::size_t i = 0; i < 2; ++i) {
            test::Hooks hooks;
            hooks.ask.helper = i == 1;
            hooks.local_chunks = [&s] { return ChunkSet(s.manifest.chunk_count); };
            hooks.store_chunk = [&, i](ChunkId, std::span<const std::uint8_t>) -> Result<void> {
                ++received[i];
                return {};
            };
            hooks.on_end = [&, i](const Result<void>& r) {
                CHECK(r.ok());
                if (i == 0) helper_had_when_ring_done = received[1];
                if (++ended == 2) server.close();
            };
            net::ClientOptions options = client_options(server.port());
            options.self_id = PeerId(static_cast<std::uint32_t>(i + 1));
            options.settings.request_window = 8;
            clients.push_back(std::make_unique<net::ChunkClient>(&s.loop, options, test::kind(std::move(hooks))));
            clients.back()->start();
        }
        uv_run(&s.loop, UV_RUN_DEFAULT);
    }
    CHECK(s.close_loop() == 0);
    CHECK(ended == 2);
    CHECK(received[0] == 64);
    CHECK(received[1] == 64);
    // Taking turns alike, the two would finish together (the helper near 64); served from what
    // is left, the helper gets the burst and the moments the other has nothing asked.
    REQUIRE(helper_had_when_ring_done);
    CHECK(*helper_had_when_ring_done <= 32);
}

TEST_CASE("a peer that answers hello and then falls silent counts as gone; one that pings does not")
{
    Swarmlet s;
    auto quiet_hooks = [&s](Result<void>& outcome) {
        test::Hooks hooks;
        hooks.accept_manifest = [](const Manifest&) -> Result<void> { return {}; };
        hooks.local_chunks = [&s] { return ChunkSet(s.manifest.chunk_count); };
        hooks.is_finished = [](const RequestPlanner& p) { return p.complete(); };
        hooks.on_end = [&outcome](const Result<void>& r) { outcome = r; };
        return hooks;
    };
    auto gone_options = [](std::uint16_t port) {
        net::ClientOptions options = client_options(port);
        options.gone_after_s = 1;
        return options;
    };
    Result<void> silent_outcome = make_error("never ended");
    Result<void> pinged_outcome = make_error("never ended");
    std::vector<std::shared_ptr<net::TcpConnection>> accepted;
    const auto started = std::chrono::steady_clock::now();
    {
        // Answers hello like a server holding nothing, then never sends another byte (as a
        // process paused with SIGSTOP, or one behind a cut link, would).
        net::TcpListener mute(&s.loop, Role::server);
        REQUIRE(mute.listen(Endpoint{"127.0.0.1", 0},
                            [&](std::shared_ptr<net::TcpConnection> connection) {
                                accepted.push_back(connection);
                                connection->set_handlers(
                                    [&s, connection](Frame f) {
                                        if (f.type() != "hello") return;
                                        connection->send(ManifestMsg{s.manifest});
                                        connection->send(HaveList{ChunkSet(s.manifest.chunk_count)});
                                    },
                                    nullptr);
                                connection->start_reading();
                            })
                    .ok());
        // A real server holding nothing either: it pings every 500 ms.
        int done_calls = 0;
        bool done_complete = false;
        net::ServerContext context = s.context(done_calls, done_complete);
        context.settings.neighbor_gone_s = 1;
        context.offered_for = [&s](const Hello&) -> Result<ChunkSet> { return ChunkSet(s.manifest.chunk_count); };
        net::ChunkServer live(&s.loop, context);
        REQUIRE(live.listen(Endpoint{"127.0.0.1", 0}).ok());

        net::ChunkClient to_mute(&s.loop, gone_options(mute.port()), test::kind(quiet_hooks(silent_outcome)));
        net::ChunkClient to_live(&s.loop, gone_options(live.port()), test::kind(quiet_hooks(pinged_outcome)));
        to_mute.start();
        to_live.start();
        net::Timer end_of_test(&s.loop);
        end_of_test.start(3000, [&] {
            to_live.abort("still hearing from it after 3 s");
            mute.close();
            live.close();
            for (auto& c : accepted)
                c->close("test over");
        });
        uv_run(&s.loop, UV_RUN_DEFAULT);
    }
    CHECK(s.close_loop() == 0);
    REQUIRE_FALSE(silent_outcome.ok());
    CHECK(silent_outcome.error().code == ErrorCode::peer_gone);
    CHECK(silent_outcome.error().message.find("has sent nothing for 1 s") != std::string::npos);
    REQUIRE_FALSE(pinged_outcome.ok());
    CHECK(pinged_outcome.error().code == ErrorCode::failed);
    CHECK(pinged_outcome.error().message == "still hearing from it after 3 s");
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(20));
}

namespace {

// One blocking HTTP exchange with 127.0.0.1:`port`: sends `request` and reads until the server
// closes.
std::string http_exchange(std::uint16_t port, const std::string& request)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
    std::string answer;
    char buffer[4096];
    for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;)
        answer.append(buffer, static_cast<std::size_t>(n));
    ::close(fd);
    return answer;
}

}  // namespace

TEST_CASE("the metrics server answers a scrape with the registry as it is then, and closes")
{
    metrics::Registry registry;
    int refreshes = 0;
    net::MetricsServer server(registry, [&] { registry.at(metrics::family::chunks_held).set(++refreshes); });
    REQUIRE(server.start(Endpoint{"127.0.0.1", 0}).ok());
    REQUIRE(server.port() != 0);

    const std::string first = http_exchange(server.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(first.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(first.find("Content-Type: text/plain; version=0.0.4") != std::string::npos);
    CHECK(first.find("\nchunkswarm_chunks_held 1\n") != std::string::npos);
    const std::string body = first.substr(first.find("\r\n\r\n") + 4);
    CHECK(first.find("Content-Length: " + std::to_string(body.size()) + "\r\n") != std::string::npos);

    // A query string is ignored; every scrape refreshes.
    const std::string second = http_exchange(server.port(), "GET /metrics?x=1 HTTP/1.0\r\n\r\n");
    CHECK(second.find("\nchunkswarm_chunks_held 2\n") != std::string::npos);
    CHECK(http_exchange(server.port(), "GET /other HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404", 0) == 0);
    server.stop();
}

TEST_CASE("a port in use is reported when the metrics server starts, with the fix")
{
    metrics::Registry registry;
    net::MetricsServer first(registry, {});
    REQUIRE(first.start(Endpoint{"127.0.0.1", 0}).ok());
    net::MetricsServer second(registry, {});
    auto started = second.start(Endpoint{"127.0.0.1", first.port()});
    REQUIRE_FALSE(started.ok());
    CHECK(started.error().message.find("pick another for --metrics") != std::string::npos);
}

TEST_CASE("an HTTP answer for each kind of request")
{
    const auto body = [] { return std::string("x 1\n"); };
    CHECK(net::http_response("GET /metrics HTTP/1.1\r\n\r\n", body).find("200 OK") != std::string::npos);
    const std::string head = net::http_response("HEAD /metrics HTTP/1.1\r\n\r\n", body);
    CHECK(head.find("Content-Length: 4\r\n") != std::string::npos);
    CHECK(head.substr(head.size() - 4) == "\r\n\r\n");  // no body
    CHECK(net::http_response("PUT /metrics HTTP/1.1\r\n\r\n", body).rfind("HTTP/1.1 405", 0) == 0);
    CHECK(net::http_response("GET / HTTP/1.1\r\n\r\n", body).rfind("HTTP/1.1 404", 0) == 0);
    CHECK(net::http_response("garbage\r\n\r\n", body).rfind("HTTP/1.1 400", 0) == 0);
    CHECK(net::http_response("GET /metrics\r\n\r\n", body).rfind("HTTP/1.1 400", 0) == 0);
    CHECK(net::http_response(std::string(9000, 'a'), body).rfind("HTTP/1.1 400", 0) == 0);
}

// Test helper: plays peer --id of a config as a neighbour that misbehaves (about chunk --chunk).
//   damage       serves a copy of it with a flipped byte, every time it is asked
//   missing      lists it but cannot serve it (its file is gone)
//   repeat       sends every chunk it is asked for twice
//   unrequested  adds a chunk that was not asked for to every answer
// It splits the real file into its data directory, serves every chunk, and tells its upload
// neighbour (the victim) that it is complete, so the victim can finish once it has what it needs.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <vector>

#include "../unit/chunk_files.hpp"
#include "../unit/test_ids.hpp"
#include "chunkswarm/cli_support.hpp"
#include "chunkswarm/core/config.hpp"
#include "chunkswarm/disk/chunk_store.hpp"
#include "chunkswarm/disk/config_file.hpp"
#include "chunkswarm/log.hpp"
#include "chunkswarm/net/chunk_client.hpp"
#include "chunkswarm/net/chunk_server.hpp"
#include "chunkswarm/net/loop_thread.hpp"

using namespace chunkswarm;

namespace {

struct Flags {
    std::string config;
    std::string file;
    std::string data_dir = "hostile-peer";
    std::string mode = "damage";
    std::uint32_t id = 0;
    ChunkId chunk;
};

Result<void> flip_first_byte(const std::filesystem::path& path)
{
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    char c = 0;
    f.get(c);
    f.seekp(0);
    f.put(static_cast<char>(c ^ 0x5A));
    if (!f) return make_error("cannot damage " + path.string());
    return {};
}

class HostilePeer {
public:
    HostilePeer(uv_loop_t* loop, const Flags& flags, const Manifest& manifest, const ChunkStore& store)
        : loop_(loop),
          flags_(flags),
          manifest_(manifest),
          store_(store),
          raw_listener_(loop, Role::server)
    {
    }

    Result<void> serve(const Endpoint& endpoint)
    {
        if (flags_.mode == "damage" || flags_.mode == "missing") return serve_with_chunk_server(endpoint);
        return raw_listener_.listen(endpoint, [this](std::shared_ptr<net::TcpConnection> c) { misbehave_on(c); });
    }

    // Tells the victim this side is complete, so that it may exit once it is complete too.
    void greet(const PeerConfig& victim)
    {
        net::ClientOptions options;
        options.self_id = PeerId(flags_.id);
        options.remote = victim.endpoint;
        options.remote_label = "peer " + to_string(victim.id);
        options.connect_timeout_s = 120;
        greeter_ = std::make_unique<net::ChunkClient>(loop_, options, std::make_unique<Greeting>(*this));
        greeter_->start();
    }

private:
    // Holds every chunk already: it only says hello and done.
    class Greeting final : public net::ClientKind {
    public:
        explicit Greeting(HostilePeer& peer) : peer_(peer) {}
        Result<void> accept_manifest(const Manifest&) override { return {}; }
        ChunkSet local_chunks() override { return ChunkSet::all(peer_.manifest_.chunk_count); }
        Result<void> store_chunk(ChunkId id, std::span<const std::uint8_t>) override
        {
            return make_error("chunk " + to_string(id) + " was never asked for");
        }
        bool is_finished(const RequestPlanner& planner) const override { return planner.complete(); }
        void on_end(const Result<void>&) override
        {
            peer_.told_victim_ = true;
            peer_.stop_if_finished();
        }

    private:
        HostilePeer& peer_;
    };

    Result<void> serve_with_chunk_server(const Endpoint& endpoint)
    {
        net::ServerContext context;
        context.manifest = &manifest_;
        context.store = &store_;
        context.offered_for = [this](const Hello&) -> Result<ChunkSet> { return ChunkSet::all(manifest_.chunk_count); };
        context.on_done = [this](const Hello&, const Done& done) { on_victim_done(done.complete); };
        server_ = std::make_unique<net::ChunkServer>(loop_, std::move(context));
        return server_->listen(endpoint);
    }

    void misbehave_on(const std::shared_ptr<net::TcpConnection>& connection)
    {
        connections_.push_back(connection);
        std::weak_ptr<net::TcpConnection> weak = connection;
        connection->set_handlers([this, weak](Frame frame) { on_frame(weak.lock(), std::move(frame)); }, nullptr);
        connection->start_reading();
    }

    void on_frame(const std::shared_ptr<net::TcpConnection>& connection, Frame frame)
    {
        auto message = parse_message(std::move(frame), Role::server, &manifest_);
        if (!connection || !message) return;
        if (std::holds_alternative<Hello>(message.value())) {
            connection->send(ManifestMsg{manifest_});
            connection->send(HaveList{ChunkSet::all(manifest_.chunk_count)});
        } else if (const auto* request = std::get_if<Request>(&message.value())) {
            answer(*connection, request->ids);
        } else if (const auto* done = std::get_if<Done>(&message.value())) {
            on_victim_done(done->complete);
            connection->close("victim done");
        }
    }

    void answer(net::TcpConnection& connection, const std::vector<ChunkId>& ids)
    {
        if (flags_.mode == "unrequested") {
            // First, any chunk outside this request (e.g. one the victim already holds).
            for (ChunkId extra : ids_below<ChunkId>(manifest_.chunk_count)) {
                if (std::find(ids.begin(), ids.end(), extra) == ids.end()) {
                    send_chunk(connection, extra);
                    break;
                }
            }
        }
        for (ChunkId id : ids) {
            send_chunk(connection, id);
            if (flags_.mode == "repeat") send_chunk(connection, id);
        }
    }

    void send_chunk(net::TcpConnection& connection, ChunkId id)
    {
        auto bytes = store_.read(id, manifest_.chunk_length(id));
        if (bytes) connection.send(encode_chunk(id, std::move(bytes).value()));
    }

    void on_victim_done(bool complete)
    {
        victim_done_ = victim_done_ || complete;
        stop_if_finished();
    }

    void stop_if_finished()
    {
        if (!victim_done_ || !told_victim_) return;
        if (server_) server_->close();
        raw_listener_.close();
        for (auto& c : connections_) {
            if (!c->closing()) c->close("finished");
        }
    }

    uv_loop_t* loop_;
    const Flags& flags_;
    const Manifest& manifest_;
    const ChunkStore& store_;
    std::unique_ptr<net::ChunkServer> server_;
    net::TcpListener raw_listener_;
    std::vector<std::shared_ptr<net::TcpConnection>> connections_;
    std::unique_ptr<net::ChunkClient> greeter_;
    bool victim_done_ = false;
    bool told_victim_ = false;
};

}  // namespace

int main(int argc, char** argv)
{
    cli::prepare_process();
    Flags flags;
    CLI::App app("A neighbour that misbehaves about one chunk (a test helper).", "hostile_peer");
    app.add_option("--config", flags.config)->required();
    app.add_option("--id", flags.id)->required();
    app.add_option("--file", flags.file)->required();
    app.add_option_function<std::uint32_t>("--chunk", [&flags](std::uint32_t chunk) { flags.chunk = ChunkId(chunk); })
        ->required();
    app.add_option("--data-dir", flags.data_dir);
    app.add_option("--mode", flags.mode)->check(CLI::IsMember({"damage", "missing", "repeat", "unrequested"}));
    if (int code = cli::parse(app, argc, argv); code >= 0) return code;
    log::init("hostile peer " + std::to_string(flags.id), log::Level::info);

    auto config = load_config(flags.config);
    if (!config) return cli::fail("hostile_peer", config.error().message);
    const PeerConfig* self = config->find_peer(PeerId(flags.id));
    const PeerConfig* victim = self ? config->upload_neighbor_of(PeerId(flags.id)) : nullptr;
    if (!victim) return cli::fail("hostile_peer", "no such peer, or nobody downloads from it");

    ChunkStore store(flags.data_dir);
    auto manifest = test::split_file(flags.file, config->chunk_size, store);
    if (!manifest) return cli::fail("hostile_peer", manifest.error().message);
    if (flags.mode == "missing") std::filesystem::remove(store.chunk_path(flags.chunk));
    if (flags.mode == "damage") {
        if (auto r = flip_first_byte(store.chunk_path(flags.chunk)); !r)
            return cli::fail("hostile_peer", r.error().message);
    }

    uv_loop_t loop{};
    uv_loop_init(&loop);
    int code = 0;
    {
        HostilePeer peer(&loop, flags, manifest.value(), store);
        if (auto listening = peer.serve(self->endpoint); !listening) {
            code = cli::fail("hostile_peer", listening.error().message);
        } else {
            log::info("serving every chunk; misbehaving about chunk {} ({})", flags.chunk, flags.mode);
            peer.greet(*victim);
            uv_run(&loop, UV_RUN_DEFAULT);
        }
    }
    net::close_loop(&loop);
    log::shutdown();
    return code;
}

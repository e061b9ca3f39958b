// Test helper: plays peer --id of a config with a bad copy of one chunk. It splits the real file
// into its data directory, then flips a byte in chunk --damage (--mode damage) or deletes it while
// still listing it (--mode missing), serves every chunk, and tells its upload neighbour that it is
// complete, so the victim can finish normally once it has got a good copy elsewhere.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>

#include "chunkswarm/chunk_store.hpp"
#include "chunkswarm/cli_support.hpp"
#include "chunkswarm/config.hpp"
#include "chunkswarm/log.hpp"
#include "chunkswarm/net/chunk_client.hpp"
#include "chunkswarm/net/chunk_server.hpp"
#include "chunkswarm/net/loop_thread.hpp"

using namespace chunkswarm;

namespace {

Result<void> damage(const ChunkStore& store, ChunkId id)
{
    std::fstream f(store.chunk_path(id), std::ios::in | std::ios::out | std::ios::binary);
    char c = 0;
    f.seekg(0);
    f.get(c);
    f.seekp(0);
    f.put(static_cast<char>(c ^ 0x5A));
    if (!f) return make_error("cannot damage chunk " + std::to_string(id));
    return {};
}

}  // namespace

int main(int argc, char** argv)
{
    cli::prepare_process();
    std::string config_path, file, data_dir = "damaging-peer", mode = "damage";
    std::uint32_t id = 0, damaged = 0;
    CLI::App app("Serves a damaged chunk to its upload neighbour (a test helper).", "damaging_peer");
    app.add_option("--config", config_path)->required();
    app.add_option("--id", id)->required();
    app.add_option("--file", file)->required();
    app.add_option("--damage", damaged)->required();
    app.add_option("--data-dir", data_dir);
    app.add_option("--mode", mode)->check(CLI::IsMember({"damage", "missing"}));
    if (int code = cli::parse(app, argc, argv); code >= 0) return code;
    log::init("damaging peer " + std::to_string(id), log::Level::info);

    auto config = load_config(config_path);
    if (!config) return cli::fail("damaging_peer", config.error().message);
    const PeerConfig* self = config->find_peer(id);
    const PeerConfig* victim = self ? config->upload_neighbor_of(id) : nullptr;
    if (!victim) return cli::fail("damaging_peer", "no such peer, or nobody downloads from it");

    ChunkStore store(data_dir);
    auto manifest = split_file(file, config->chunk_size, store);
    if (!manifest) return cli::fail("damaging_peer", manifest.error().message);
    if (mode == "missing") {
        std::filesystem::remove(store.chunk_path(damaged));
    } else if (auto r = damage(store, damaged); !r) {
        return cli::fail("damaging_peer", r.error().message);
    }

    uv_loop_t loop{};
    uv_loop_init(&loop);
    {
        bool victim_done = false;
        bool told_victim = false;
        net::ChunkServer* server_ptr = nullptr;
        auto finish_if_both = [&] {
            if (victim_done && told_victim) server_ptr->close();
        };
        net::ServerContext context;
        context.manifest = &manifest.value();
        context.store = &store;
        context.offered_for = [&](std::uint32_t, bool) -> Result<ChunkSet> {
            return ChunkSet::all(manifest->chunk_count);
        };
        context.on_done = [&](std::uint32_t, bool complete) {
            victim_done = complete;
            finish_if_both();
        };
        net::ChunkServer server(&loop, std::move(context));
        server_ptr = &server;
        if (auto listening = server.listen(self->endpoint); !listening) {
            return cli::fail("damaging_peer", listening.error().message);
        }
        log::info("serving every chunk, chunk {} {}", damaged, mode == "missing" ? "listed but missing" : "damaged");

        net::ClientOptions options;
        options.self_id = id;
        options.remote = victim->endpoint;
        options.remote_label = "peer " + std::to_string(victim->id);
        options.connect_timeout_s = 120;
        net::ClientHooks hooks;
        hooks.accept_manifest = [](const Manifest&) -> Result<void> { return {}; };
        hooks.local_chunks = [&] { return ChunkSet::all(manifest->chunk_count); };
        hooks.is_finished = [](const RequestPlanner& planner) { return planner.complete(); };
        hooks.on_finished = [](const RequestPlanner&) -> Result<void> { return {}; };
        hooks.on_end = [&](const Result<void>&) {
            told_victim = true;
            finish_if_both();
        };
        net::ChunkClient greeter(&loop, options, std::move(hooks));
        greeter.start();
        uv_run(&loop, UV_RUN_DEFAULT);
    }
    net::close_loop(&loop);
    log::shutdown();
    return 0;
}

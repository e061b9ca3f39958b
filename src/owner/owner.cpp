#include "owner.hpp"

#include <uv.h>

#include "chunkswarm/log.hpp"
#include "chunkswarm/chunk_store.hpp"
#include "chunkswarm/cli_support.hpp"
#include "chunkswarm/file_util.hpp"
#include "chunkswarm/net/chunk_server.hpp"
#include "chunkswarm/net/loop_thread.hpp"
#include "chunkswarm/shares.hpp"

namespace chunkswarm::owner {
namespace {

Result<Manifest> prepare_chunks(const OwnerOptions& options, const ChunkStore& store)
{
    auto manifest = split_file(options.file, options.chunk_size, store);
    if (!manifest) return manifest.error();
    CS_TRY(save_manifest(manifest.value(), options.data_dir / kManifestFileName));
    const Manifest& m = manifest.value();
    log::info("split {} ({} bytes) into {} chunks of {} bytes in {}; SHA-256 {}", options.file.string(), m.file_size,
                 m.chunk_count, m.chunk_size, store.dir().string(), to_hex(m.file_sha256));
    return manifest;
}

// Runs the listener until every slot's peer has said it holds its share (or forever with linger).
int serve(const OwnerOptions& options, const Manifest& manifest, const ChunkStore& store)
{
    SlotTable slots = options.peer_ids.empty() ? SlotTable::by_join_order(options.peer_count)
                                               : SlotTable::fixed(options.peer_ids);
    uv_loop_t loop{};
    uv_loop_init(&loop);
    int exit_code = 0;
    {
        net::ChunkServer* server_ptr = nullptr;
        net::ServerContext context;
        context.manifest = &manifest;
        context.store = &store;
        context.settings = options.settings;
        context.offered_for = [&](std::uint32_t peer_id) -> Result<ChunkSet> {
            auto slot = slots.slot_for(peer_id);
            if (!slot) return slot.error();
            return share_for(slot.value(), slots.slots(), manifest.chunk_count);
        };
        context.on_done = [&](std::uint32_t peer_id, bool) {
            if (!slots.mark_served(peer_id)) return;
            log::info("peer {} holds its share; {} of {} peers served", peer_id, slots.served_count(), slots.slots());
            if (slots.all_served() && !options.linger) {
                log::info("every share is delivered, so every chunk is in the swarm; the owner exits");
                server_ptr->close();
            }
        };
        net::ChunkServer server(&loop, std::move(context));
        server_ptr = &server;
        if (auto listening = server.listen(options.bind); !listening) {
            exit_code = cli::fail("owner", listening.error().message);
        } else {
            log::info("listening on {}:{} for {} peer(s); chunk i goes to the peer in slot i mod {}", options.bind.host,
                         server.port(), slots.slots(), slots.slots());
            uv_run(&loop, UV_RUN_DEFAULT);
        }
    }
    net::close_loop(&loop);
    return exit_code;
}

}  // namespace

int run_owner(const OwnerOptions& options)
{
    if (auto ready = ensure_directory(options.data_dir); !ready) return cli::fail("owner", ready.error().message);
    auto lock = DirectoryLock::acquire(options.data_dir);
    if (!lock) return cli::fail("owner", lock.error().message);
    ChunkStore store(options.data_dir);
    auto manifest = prepare_chunks(options, store);
    if (!manifest) return cli::fail("owner", manifest.error().message);
    return serve(options, manifest.value(), store);
}

}  // namespace chunkswarm::owner

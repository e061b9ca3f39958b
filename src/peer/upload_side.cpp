#include "upload_side.hpp"

#include <cassert>

#include "chunkswarm/log.hpp"

namespace chunkswarm::peer {

UploadSide::UploadSide(PeerCore& core)
    : core_(core),
      watch_(core.options().upload_neighbor, std::uint64_t{core.settings().idle_exit_s} * 1000)
{
}

Result<void> UploadSide::listen()
{
    server_ = std::make_unique<net::ChunkServer>(thread_.loop(), context());
    CS_TRY(server_->listen(core_.options().listen));
    log::event("listening", {{"port", server_->port()}}, "upload server listening on {}:{}",
               core_.options().listen.host, server_->port());
    return {};
}

net::ServerContext UploadSide::context()
{
    net::ServerContext context;
    // The manifest arrives during bootstrap; no session runs before the loop starts after it.
    context.manifest = nullptr;
    context.store = &core_.store();
    context.settings = core_.settings();
    // The ring as far as this peer knows it (all of it from a config).
    context.max_sessions =
        session_cap(context.settings, static_cast<std::uint32_t>(core_.options().upstream.size()) + 1);
    context.secret = core_.options().secret;
    context.tls = core_.options().tls;
    context.metrics = &core_.metrics();
    context.sent_total = &core_.sent_total();
    context.offered_for = [this](const Hello&) -> Result<ChunkSet> { return core_.inventory().snapshot(); };
    context.coming = [this] { return core_.inventory().coming(); };
    context.on_done = [this](const Hello& hello, const Done& done) { on_done(hello, done); };
    context.on_session_opened = [this](const Hello& hello) { watch_.on_session_opened(hello.peer_id); };
    context.on_session_closed = [this](const Hello& hello) { watch_.on_session_closed(hello.peer_id); };
    context.on_activity = [this] { watch_.on_activity(uv_now(thread_.loop())); };
    // Told to every client, so that a client can route around this peer if it dies.
    if (!core_.options().upstream.empty()) {
        const PeerRef& first = core_.options().upstream.front();
        context.upstream = Upstream{first.id, first.endpoint.host, first.endpoint.port};
    }
    return context;
}

void UploadSide::start()
{
    server_->set_manifest(&core_.manifest());
    exit_timer_ = std::make_unique<net::Timer>(thread_.loop());
    thread_.start();
}

void UploadSide::join() { thread_.join(); }

void UploadSide::announce_soon()
{
    if (!announce_pending_.exchange(true)) {
        thread_.post([this] {
            announce_pending_ = false;
            server_->announce_all();
        });
    }
}

void UploadSide::self_complete()
{
    thread_.post([this] { on_self_complete(); });
}

void UploadSide::stop()
{
    thread_.post([this] {
        exit_timer_->close();
        server_->close();
    });
}

void UploadSide::on_done(const Hello& hello, const Done& done)
{
    assert(thread_.is_current());
    watch_.on_client_done(hello.peer_id, done, hello.skipped);
    leave_if_no_one_needs_this();
}

void UploadSide::on_self_complete()
{
    assert(thread_.is_current());
    watch_.on_self_complete(uv_now(thread_.loop()));
    exit_timer_->start(
        1000, [this] { leave_if_no_one_needs_this(); }, 1000);
    leave_if_no_one_needs_this();
}

// A complete peer stays while a live peer downstream may still need it.
void UploadSide::leave_if_no_one_needs_this()
{
    switch (watch_.verdict(uv_now(thread_.loop()))) {
        case DownstreamWatch::Verdict::stay: return;
        case DownstreamWatch::Verdict::downstream_complete: exit_reason_ = "its downstream holds it too"; break;
        case DownstreamWatch::Verdict::idle:
            exit_reason_ = "no peer downstream has asked it for anything in " +
                           std::to_string(core_.settings().idle_exit_s) + " s";
            break;
    }
    exit_timer_->close();
    server_->close();
}

}  // namespace chunkswarm::peer

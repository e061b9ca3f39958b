// A peer's upload side: its own loop on its own thread, serving its upload neighbour (and any
// peer that routes around a gone one to it), announcing each new chunk, and deciding when the
// peer may leave: once it is complete and no live peer downstream still needs it.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "chunkswarm/core/downstream_watch.hpp"
#include "chunkswarm/net/chunk_server.hpp"
#include "chunkswarm/net/loop_thread.hpp"
#include "peer_core.hpp"

namespace chunkswarm::peer {

class UploadSide {
public:
    explicit UploadSide(PeerCore& core);
    UploadSide(const UploadSide&) = delete;
    UploadSide& operator=(const UploadSide&) = delete;

    // Main thread, before start(): bound early, so a port in use is reported before any download
    // (a neighbour connecting meanwhile waits in the backlog).
    Result<void> listen();
    // Main thread, once the manifest is settled.
    void start();
    void join();
    // After join(): why the peer left.
    const std::string& exit_reason() const { return exit_reason_; }

    // Any thread.
    void announce_soon();
    void self_complete();
    // A failure elsewhere: close every session now.
    void stop();

private:
    net::ServerContext context();
    void on_done(const Hello& hello, const Done& done);
    void on_self_complete();
    void leave_if_no_one_needs_this();

    PeerCore& core_;
    // Declared before the handles living on it, so the loop is closed last.
    net::LoopThread thread_{"upload"};
    // Upload loop only (made on the main thread before the loop starts). The server's hooks use
    // the watch, so it is declared first and outlives the server.
    DownstreamWatch watch_;
    std::string exit_reason_;
    std::unique_ptr<net::ChunkServer> server_;
    std::unique_ptr<net::Timer> exit_timer_;
    // Any thread: one pending announcement covers every chunk stored before it runs.
    std::atomic<bool> announce_pending_{false};
};

}  // namespace chunkswarm::peer

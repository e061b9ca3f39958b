// Every tunable, with its default and why. Loaded from the config's optional "settings" object.
#pragma once

#include <cstdint>
#include <string_view>

#include "chunkswarm/core/result.hpp"

namespace chunkswarm {

// The range of max_upload_rate and max_download_rate (bytes per second) other than 0 (no cap).
// A chunk goes whole, so under a low cap a connection waits a chunk's time between chunks; below
// about a chunk a second that wait reaches the timers that count a silent neighbour as gone.
inline constexpr std::uint64_t kMinRate = 100'000;
inline constexpr std::uint64_t kMaxRate = 1'000'000'000'000;

// A rate as a person writes it on a command line: bytes per second, with an optional suffix,
// k/M/G (powers of 1000) or Ki/Mi/Gi (powers of 1024): "12500000", "12.5M", "10Mi"; 0 is no cap.
Result<std::uint64_t> parse_rate(std::string_view text);

struct Settings {
    // Chunk requests in flight per neighbour. One round trip per chunk (window 1) leaves the link
    // idle while each chunk is read, hashed and stored; 16 x 100 KiB keeps a loopback pipe full.
    std::uint32_t request_window = 16;
    // The same for a peer's connection to the owner; the owner deals a peer this many chunks and a
    // quarter more at once, then keeps a quarter ahead of its requests. Where several peers share
    // a slow owner link, a small window keeps the owner's queue short and its deals current (five
    // peers with 16 each queue 0.65 s at 100 Mbit/s; 4 was 0.05-0.1 s faster in the namespace
    // test). On one busy machine a small one starves the owner (32 peers on loopback: shares held
    // after 3.1-4.6 s with 4 or 8, 1.4-2.4 s with 16), hence the default.
    std::uint32_t owner_request_window = 16;
    // First and longest wait between connection attempts; doubles in between.
    std::uint32_t retry_initial_ms = 100;
    std::uint32_t retry_max_ms = 2000;
    // How long a peer keeps trying to reach the owner before it gives up and exits non-zero.
    std::uint32_t owner_connect_timeout_s = 60;
    // Neighbours are started by hand, one at a time, so the wait for one is longer.
    std::uint32_t neighbor_connect_timeout_s = 300;
    // The summary file is rewritten at most this often while chunks arrive (and always at the end).
    // Each rewrite makes a new file and drops the old one: at 200 ms, 100 peers on one machine
    // spent a tenth of the swarm's CPU on it (101 s against 91 s at 1000 ms, 64 MiB).
    std::uint32_t summary_interval_ms = 1000;
    // With requests outstanding and no chunk for this long, a client reconnects and asks again, so a
    // neighbour that hangs cannot stall the end of a download.
    std::uint32_t request_timeout_s = 15;
    // A download neighbour counts as gone (and the peer downloads from the next live peer upstream
    // instead) once it has been unreachable this long after it had been up, or has sent no chunk
    // this long with requests outstanding: a paused process or a cut link sends no reset. Seconds,
    // so that a ring repairs itself quickly; a false alarm costs only a detour.
    std::uint32_t neighbor_gone_s = 5;
    // How long an absent peer is waited for. The owner gives up on a peer that never connects, or
    // is gone this long, and deals what it had not drawn to the others; a peer routes around a
    // download neighbour that has never been up after this long. A minute, because the original brief's
    // procedure has a person start the peers one at a time.
    std::uint32_t give_up_s = 60;
    // A complete peer whose downstream has not said it is complete exits once no client has sent it
    // anything for this long: longer than neighbor_gone_s plus a reconnect, so a peer routing
    // around a gone one reaches it first.
    std::uint32_t idle_exit_s = 10;
    // A chunk that fails its hash this often from one neighbour is fetched from the owner instead.
    std::uint32_t max_chunk_failures = 3;
    // A client that has not said hello this long after connecting is disconnected.
    std::uint32_t hello_timeout_s = 10;
    // A server stops reading chunks from disk while this many bytes wait to be sent to one client.
    std::uint32_t send_high_watermark = 4 * 1024 * 1024;
    // The same across all of a server's clients together (chunk bytes queued or being read), so an
    // owner with many peers holds a bounded amount of chunk data whatever their number.
    std::uint32_t send_budget = 8 * 1024 * 1024;
    // Connections a server holds at once; more are refused with an error frame (code overloaded)
    // and the client tries again later. 0: sized from the swarm, 64 plus 8 per peer (a peer keeps
    // up to four connections to the owner, and helpers and rescues come and go).
    std::uint32_t max_sessions = 0;
    // The most chunks the owner makes of a file when no chunk size is given: a larger file gets
    // larger chunks (fit_chunk_size). Lowered only to try large-file handling on small files.
    std::uint32_t max_chunks = 400000;
    // The owner and every peer store each chunk as its own file, as the original brief asks (a
    // peer also in the joined file as it grows). With false a peer writes only the joined file and
    // serves from it, and the owner serves from its source and writes no chunk files: every byte
    // is written once instead of twice.
    bool keep_chunk_files = true;
    // Every chunk is checked against its SHA-256 in the manifest before it is stored, which covers
    // every byte of the joined file. With true a peer also reads the joined file back before the
    // rename and checks every chunk again: each byte read and hashed twice.
    bool verify_joined_file = false;
    // The original brief has the owner send a peer "one or several" chunks, which it stores, writes its
    // summary, and then starts its two threads. With true (the default) that happens once its first
    // chunk from the owner is stored, and the rest of its share keeps arriving while it trades, so
    // the owner's link and the neighbours' links are busy at once. With false it waits for its
    // whole share first (see docs/performance.md).
    bool early_trading = true;
    // A peer whose download neighbour delivers much less than the peer has shown it can take also
    // downloads from the next peer upstream, or the owner (HelperPolicy). False: only the
    // neighbour, and the owner for what a gone peer held (a test of one mechanism alone).
    bool helpers = true;
    // Caps on what this process sends and receives, in bytes per second, all connections together
    // (0: none), so that a distribution leaves room for other traffic on the same links. Held on
    // average over a few seconds; a chunk is never split, a send or a read that overdraws the cap
    // is paid for by waiting before the next.
    std::uint64_t max_upload_rate = 0;
    std::uint64_t max_download_rate = 0;
};

// max_sessions, or its default for a swarm of `peers`.
inline std::uint32_t session_cap(const Settings& settings, std::uint32_t peers)
{
    return settings.max_sessions != 0 ? settings.max_sessions : 64 + 8 * peers;
}

}  // namespace chunkswarm

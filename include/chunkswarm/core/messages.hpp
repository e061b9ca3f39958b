// The chunkswarm messages, parsed from and encoded to frames. No I/O here.
// docs/protocol.md describes the conversation; each type's name, receiver, limit and parser are in
// one table, kMessages in messages.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "chunkswarm/core/auth.hpp"
#include "chunkswarm/core/chunk_set.hpp"
#include "chunkswarm/core/frame_codec.hpp"
#include "chunkswarm/core/manifest.hpp"

namespace chunkswarm {

inline constexpr int kProtocolVersion = 1;
// IDs in one request or have message; larger sets are sent as several messages.
inline constexpr std::size_t kMaxIdsPerMessage = 1024;

// Splits an ID list into pieces that each fit one request or have message.
std::vector<std::vector<ChunkId>> split_for_messages(const std::vector<ChunkId>& ids);

// Client to server: who I am; the answer is the manifest and the server's chunk ID list.
struct Hello {
    PeerId peer_id;
    // Present when the client holds a swarm secret: the server must prove it knows it too.
    std::optional<Nonce> nonce = std::nullopt;
    // To the owner, after a neighbour kept sending damaged data: offer every chunk, not just my share.
    // With `skipped`: offer what those gone peers were dealt, and deal me what they had not drawn.
    bool rescue = false;
    // Gone peers this client routes around: it downloads from this server in their place.
    std::vector<PeerId> skipped = {};
    // To the owner: this connection only carries my reports (Report) while I trade, so the owner
    // knows I am alive, and knows it within seconds once the connection drops. Nothing is sent back
    // but the handshake and pings.
    bool presence = false;
    // Beside the client's download neighbour (a helper): a capped server sends to it only what its
    // other clients leave of the cap, so helping never slows the ring.
    bool helper = false;
};
// Swarm secret handshake: the server answers hello with its nonce and proof, the client with its proof.
struct Auth {
    std::optional<Nonce> nonce = std::nullopt;
    Digest proof{};
};
// From the owner, the manifest may hold only the first chunks' hashes; the rest follow in Hashes.
struct ManifestMsg {
    Manifest manifest;
};
// Owner to client: the hashes of chunks `first`.. (first is how many the client holds), as the
// owner computes them. A server offers a chunk only after its hash.
struct Hashes {
    std::uint32_t first = 0;
    std::vector<Digest> hashes;
};
// Whom a peer's server downloads from, so a client can route around the server if it dies.
struct Upstream {
    PeerId id;
    std::string host;
    std::uint16_t port = 0;
};
// The full chunk ID list, as a bitfield payload.
struct HaveList {
    ChunkSet have;
    std::optional<Upstream> upstream = std::nullopt;  // peers only
};
// Chunks the server gained since its last list.
struct Have {
    std::vector<ChunkId> ids;
};
// Chunks the server has asked for itself and does not hold yet. The client may request them at
// once: the server keeps such a request and answers it when the chunk arrives, which saves a
// chunk relayed round a ring one announcement and one request per hop.
struct Coming {
    std::vector<ChunkId> ids;
};
struct Request {
    std::vector<ChunkId> ids;
};
struct ChunkData {
    ChunkId id;
    std::vector<std::uint8_t> bytes;
};
// Client to server: I am finished with you; `complete` says I hold the whole file.
struct Done {
    bool complete = false;
};
// Peer to owner, on a presence connection, every second or so and at the end: how far it is.
struct Report {
    std::uint32_t held = 0;
    bool complete = false;
    // The peer's download neighbour is slow to send what it owes (a slow upload), so the peer heads
    // a chain that must take the whole file from outside it: the owner deals to it first.
    bool deal_first = false;
    // The chunks it holds (a bitfield payload), sent now and then, and the share of its upload cap
    // it left unused over the last report's period (absent when uncapped: counted as all spare):
    // from these the owner tells a chain's head where the chunks it lacks are to be had (Hint).
    std::optional<ChunkSet> have = std::nullopt;
    std::optional<std::uint32_t> spare_permille = std::nullopt;
};
// Owner to a peer that heads a chain, on its presence connection: peers that hold chunks it lacks
// and have upload to spare, the most promising first. The peer takes its next helpers from these.
struct Hint {
    std::vector<PeerId> helpers;
};
// Owner to a peer whose report claims the whole file: prove it (possession.hpp). The nonce picks
// the chunks; until the answer checks out, the claim counts for nothing.
struct Challenge {
    Nonce nonce{};
};
// The answer: PossessionProof over the chunks the challenge's nonce picks.
struct Possession {
    Digest proof{};
};
// What went wrong, for the other side's program; the message is for people. On the wire as the
// error frame's "code" (wire_error_name); a code this side does not know reads as `failed`.
enum class WireError {
    failed,            // none of the below
    malformed,         // a frame or message that does not parse, or breaks a limit
    protocol,          // a well-formed message at the wrong time or place
    auth,              // the swarm secret handshake: missing, wrong, or out of order
    encryption,        // one side speaks TLS and the other does not
    refused,           // not admitted: another swarm or content, an unknown peer, no room
    timeout,           // the other side was too slow (no hello in time)
    overloaded,        // too many requests outstanding, or connections: try again later
    unreadable_chunk,  // this side cannot read a chunk it offered (`chunk` names it when known)
};
std::string_view wire_error_name(WireError code);
WireError wire_error_from(std::string_view name);

struct ErrorMsg {
    std::string message;
    // Set when one chunk is the problem (a server that cannot read it), so the client can count it.
    std::optional<ChunkId> chunk = std::nullopt;
    WireError code = WireError::failed;
};

// Server to client, when it has sent nothing else for a while: it is alive. A paused process or
// a cut link sends no reset, so a client tells a gone peer from a quiet one by this.
struct Ping {};

using Message = std::variant<Hello, ManifestMsg, HaveList, Have, Request, ChunkData, Done, ErrorMsg, Auth, Coming, Ping,
                             Hashes, Report, Hint, Challenge, Possession>;

// Which side of a connection is decoding; each accepts only what the other side may send.
enum class Role { client, server };

FrameLimits frame_limits(Role receiver);
// `manifest` is null until the client has one; messages that carry chunk IDs need it.
Result<Message> parse_message(Frame frame, Role receiver, const Manifest* manifest);

struct OutFrame {
    std::vector<std::uint8_t> head;
    std::vector<std::uint8_t> payload;
    // Instead of `payload`: bytes many frames send, such as the manifest's hashes to every session.
    std::shared_ptr<const std::vector<std::uint8_t>> shared_payload;

    std::span<const std::uint8_t> payload_bytes() const
    {
        if (shared_payload) return *shared_payload;
        return payload;
    }
};
OutFrame encode(const Message& message);
// Copies of the frame share one payload, so a server encodes its manifest once for all sessions
// (once it is whole; before, each session gets the hashes known when it joins).
OutFrame encode_manifest(const Manifest& manifest);
// The hot path: moves the chunk bytes into the frame instead of copying them.
OutFrame encode_chunk(ChunkId id, std::vector<std::uint8_t> bytes);
// A chunk frame's head alone, for a payload sent straight from a file.
std::vector<std::uint8_t> encode_chunk_head(ChunkId id, std::size_t length);

}  // namespace chunkswarm

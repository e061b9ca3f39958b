#include "chunkswarm/core/messages.hpp"

#include "chunkswarm/core/json_util.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <type_traits>

namespace chunkswarm {
namespace {

constexpr std::uint64_t kMaxManifestBytes = std::uint64_t{kMaxChunkCount} * sizeof(Digest) + kMaxTreeListingBytes;

Result<std::uint64_t> unsigned_field(const nlohmann::json& header, const char* name)
{
    auto it = header.find(name);
    auto value = it == header.end() ? std::nullopt : as_unsigned(*it);
    if (!value) {
        return make_error(std::string("field \"") + name + "\" must be a non-negative integer");
    }
    return *value;
}

Result<bool> optional_bool(const nlohmann::json& header, const char* name)
{
    auto it = header.find(name);
    if (it == header.end()) return false;
    if (!it->is_boolean()) return make_error(std::string("field \"") + name + "\" must be a boolean");
    return it->get<bool>();
}

// At most a ring's worth of peer ids (the config allows as many peers as there are chunks, but
// a route skips only the gone ones).
constexpr std::size_t kMaxSkipped = 1024;

Result<std::vector<PeerId>> peer_id_list(const nlohmann::json& header, const char* name)
{
    std::vector<PeerId> ids;
    auto it = header.find(name);
    if (it == header.end()) return ids;
    if (!it->is_array() || it->size() > kMaxSkipped) {
        return make_error(std::string("field \"") + name + "\" must be an array of at most " +
                          std::to_string(kMaxSkipped) + " peer ids");
    }
    for (const auto& value : *it) {
        auto id = as_unsigned(value);
        if (!id || *id > UINT32_MAX) return make_error(std::string("field \"") + name + "\" holds a bad peer id");
        ids.emplace_back(static_cast<std::uint32_t>(*id));
    }
    return ids;
}

Result<std::optional<Upstream>> upstream_field(const nlohmann::json& header)
{
    auto it = header.find("upstream");
    if (it == header.end()) return std::optional<Upstream>{};
    const Error bad = make_error("field \"upstream\" must be {\"id\": N, \"host\": \"...\", \"port\": P}");
    if (!it->is_object()) return bad;
    auto id = it->find("id");
    auto port = it->find("port");
    auto host = it->find("host");
    if (id == it->end() || port == it->end() || host == it->end() || !host->is_string()) return bad;
    const std::uint64_t id_value = as_unsigned(*id).value_or(std::uint64_t{UINT32_MAX} + 1);
    const std::uint64_t port_value = as_unsigned(*port).value_or(0);
    const std::string& host_value = host->get_ref<const std::string&>();
    if (id_value > UINT32_MAX || port_value == 0 || port_value > 65535 || host_value.empty() ||
        host_value.size() > 255) {
        return bad;
    }
    return std::optional<Upstream>{
        Upstream{PeerId(static_cast<std::uint32_t>(id_value)), host_value, static_cast<std::uint16_t>(port_value)}};
}

Result<ChunkId> chunk_id(const nlohmann::json& value, const Manifest& manifest)
{
    auto id = as_unsigned(value);
    if (!id || *id >= manifest.chunk_count) {
        return make_error("chunk ID " + value.dump() + " is not in 0.." + std::to_string(manifest.chunk_count - 1));
    }
    return static_cast<ChunkId>(*id);
}

Result<std::vector<ChunkId>> id_list(const nlohmann::json& header, const Manifest* manifest)
{
    if (!manifest) return make_error("chunk IDs sent before the manifest");
    auto it = header.find("ids");
    if (it == header.end() || !it->is_array() || it->empty() || it->size() > kMaxIdsPerMessage) {
        return make_error("field \"ids\" must be an array of 1.." + std::to_string(kMaxIdsPerMessage) + " chunk IDs");
    }
    std::vector<ChunkId> ids;
    ids.reserve(it->size());
    for (const auto& value : *it) {
        auto id = chunk_id(value, *manifest);
        if (!id) return id.error();
        ids.push_back(id.value());
    }
    std::vector<ChunkId> sorted = ids;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
        return make_error("field \"ids\" repeats a chunk ID");
    }
    return ids;
}

// A server offers (or sends) a chunk only after its hash, so a client can check every chunk.
Result<void> check_hashed(const std::vector<ChunkId>& ids, const Manifest& manifest)
{
    for (ChunkId id : ids) {
        if (id.value() >= manifest.hashed()) {
            return make_error("chunk " + to_string(id) + " is offered before its hash (" +
                              std::to_string(manifest.hashed()) + " of " + std::to_string(manifest.chunk_count) +
                              " chunk hashes sent)");
        }
    }
    return {};
}

// A 64-hex-digit field decoded by `decode` (a nonce or a proof).
template <class T, class Decode>
Result<T> hex_field(const nlohmann::json& header, const char* name, Decode decode)
{
    auto it = header.find(name);
    std::optional<T> value = it != header.end() && it->is_string() ? decode(it->get<std::string>()) : std::nullopt;
    if (!value) return make_error(std::string("field \"") + name + "\" must be 64 hex digits");
    return *value;
}

Result<Message> parse_auth(Frame& frame, const Manifest*)
{
    const nlohmann::json& header = frame.header;
    auto proof = hex_field<Digest>(header, "proof", digest_from_hex);
    if (!proof) return proof.error();
    Auth auth{std::nullopt, proof.value()};
    if (header.contains("nonce")) {
        auto nonce = hex_field<Nonce>(header, "nonce", nonce_from_hex);
        if (!nonce) return nonce.error();
        auth.nonce = nonce.value();
    }
    return Message{auth};
}

Result<Message> parse_manifest(Frame& frame, const Manifest*)
{
    auto manifest = manifest_from_wire(frame.header, frame.payload);
    if (!manifest) return manifest.error();
    return Message{ManifestMsg{std::move(manifest).value()}};
}

Result<Message> parse_hashes(Frame& frame, const Manifest* manifest)
{
    if (!manifest) return make_error("chunk hashes sent before the manifest");
    auto first = unsigned_field(frame.header, "first");
    if (!first) return first.error();
    if (frame.payload.empty() || frame.payload.size() % sizeof(Digest) != 0) {
        return make_error("hashes: the payload must hold one or more 32-byte SHA-256 digests");
    }
    const std::uint64_t count = frame.payload.size() / sizeof(Digest);
    if (auto follows = check_hashes_follow(*manifest, first.value(), count); !follows) {
        return make_error("hashes: " + follows.error().message);
    }
    Hashes hashes{manifest->hashed(), std::vector<Digest>(count)};
    std::memcpy(hashes.hashes.data(), frame.payload.data(), frame.payload.size());
    return Message{std::move(hashes)};
}

Result<Message> parse_have_list(Frame& frame, const Manifest* manifest)
{
    if (!manifest) return make_error("chunk ID list sent before the manifest");
    auto set = ChunkSet::from_bytes(frame.payload, manifest->chunk_count);
    if (!set) return set.error();
    if (!manifest->whole()) {
        const std::vector<ChunkId> ids = set->ids();
        CS_TRY(check_hashed(ids, *manifest));
    }
    auto upstream = upstream_field(frame.header);
    if (!upstream) return upstream.error();
    return Message{HaveList{std::move(set).value(), std::move(upstream).value()}};
}

Result<Message> parse_chunk(Frame& frame, const Manifest* manifest)
{
    if (!manifest) return make_error("chunk sent before the manifest");
    auto it = frame.header.find("id");
    if (it == frame.header.end()) return make_error("chunk has no field \"id\"");
    auto id = chunk_id(*it, *manifest);
    if (!id) return id.error();
    CS_TRY(check_hashed({id.value()}, *manifest));
    if (frame.payload.size() != manifest->chunk_length(id.value())) {
        return make_error("chunk " + to_string(id.value()) + " carries " + std::to_string(frame.payload.size()) +
                          " bytes, expected " + std::to_string(manifest->chunk_length(id.value())));
    }
    return Message{ChunkData{id.value(), std::move(frame.payload)}};
}

// One parser per message type, each given the frame and the manifest (null until the receiver
// has one); what may be sent to whom, and how large, is in kMessages below.
Result<Message> parse_hello(Frame& frame, const Manifest*)
{
    auto version = unsigned_field(frame.header, "version");
    if (!version) return version.error();
    if (version.value() != kProtocolVersion) {
        return make_error("protocol version " + std::to_string(version.value()) +
                          " is not supported (this side speaks " + std::to_string(kProtocolVersion) + ")");
    }
    auto id = unsigned_field(frame.header, "peer_id");
    if (!id) return id.error();
    if (id.value() > UINT32_MAX) return make_error("field \"peer_id\" is out of range");
    Hello hello{PeerId(static_cast<std::uint32_t>(id.value())), std::nullopt, false};
    CS_TRY_ASSIGN(hello.rescue, optional_bool(frame.header, "rescue"));
    if (frame.header.contains("nonce")) {
        auto nonce = hex_field<Nonce>(frame.header, "nonce", nonce_from_hex);
        if (!nonce) return nonce.error();
        hello.nonce = nonce.value();
    }
    CS_TRY_ASSIGN(hello.skipped, peer_id_list(frame.header, "skipped"));
    CS_TRY_ASSIGN(hello.presence, optional_bool(frame.header, "presence"));
    CS_TRY_ASSIGN(hello.helper, optional_bool(frame.header, "helper"));
    if (hello.presence && (hello.rescue || hello.helper)) {
        return make_error("a presence hello cannot also ask for a rescue or help");
    }
    return Message{hello};
}

Result<Message> parse_request(Frame& frame, const Manifest* manifest)
{
    auto ids = id_list(frame.header, manifest);
    if (!ids) return ids.error();
    return Message{Request{std::move(ids).value()}};
}

// From a server: IDs it offers, so each must come after its hash.
template <class T>
Result<Message> parse_offered_ids(Frame& frame, const Manifest* manifest)
{
    auto ids = id_list(frame.header, manifest);
    if (!ids) return ids.error();
    CS_TRY(check_hashed(ids.value(), *manifest));
    return Message{T{std::move(ids).value()}};
}

Result<Message> parse_done(Frame& frame, const Manifest*)
{
    auto it = frame.header.find("complete");
    if (it == frame.header.end() || !it->is_boolean()) return make_error("field \"complete\" must be a boolean");
    return Message{Done{it->get<bool>()}};
}

Result<Message> parse_report(Frame& frame, const Manifest* manifest)
{
    Report report;
    auto held = unsigned_field(frame.header, "held");
    if (!held) return held.error();
    if (held.value() > kMaxChunkCount) return make_error("field \"held\" is out of range");
    report.held = static_cast<std::uint32_t>(held.value());
    CS_TRY_ASSIGN(report.complete, optional_bool(frame.header, "complete"));
    CS_TRY_ASSIGN(report.deal_first, optional_bool(frame.header, "deal_first"));
    if (!frame.payload.empty()) {
        if (!manifest) return make_error("report: a chunk ID list before the manifest");
        auto have = ChunkSet::from_bytes(frame.payload, manifest->chunk_count);
        if (!have) return make_error("report: " + have.error().message);
        report.have = std::move(have).value();
    }
    if (frame.header.contains("spare")) {
        auto spare = unsigned_field(frame.header, "spare");
        if (!spare || spare.value() > 1000) return make_error("field \"spare\" must be 0-1000 (per mille)");
        report.spare_permille = static_cast<std::uint32_t>(spare.value());
    }
    return Message{std::move(report)};
}

Result<Message> parse_hint(Frame& frame, const Manifest*)
{
    Hint hint;
    CS_TRY_ASSIGN(hint.helpers, peer_id_list(frame.header, "helpers"));
    return Message{std::move(hint)};
}

Result<Message> parse_error(Frame& frame, const Manifest* manifest)
{
    auto it = frame.header.find("message");
    ErrorMsg error{it != frame.header.end() && it->is_string() ? it->get<std::string>() : "(no message)"};
    if (auto code = frame.header.find("code"); code != frame.header.end() && code->is_string()) {
        error.code = wire_error_from(code->get_ref<const std::string&>());
    }
    // A chunk ID that does not check out is ignored: the error stands either way.
    if (auto chunk = frame.header.find("chunk"); chunk != frame.header.end() && manifest) {
        if (auto id = chunk_id(*chunk, *manifest)) error.chunk = id.value();
    }
    return Message{error};
}

Result<Message> parse_ping(Frame&, const Manifest*) { return Message{Ping{}}; }

Result<Message> parse_challenge(Frame& frame, const Manifest*)
{
    auto nonce = hex_field<Nonce>(frame.header, "nonce", nonce_from_hex);
    if (!nonce) return nonce.error();
    return Message{Challenge{nonce.value()}};
}

Result<Message> parse_possession(Frame& frame, const Manifest*)
{
    auto proof = hex_field<Digest>(frame.header, "proof", digest_from_hex);
    if (!proof) return proof.error();
    return Message{Possession{proof.value()}};
}

enum class Receivers { server, client, both };

struct MessageSpec {
    std::string_view type;
    Receivers receivers;  // the side(s) that accept it
    std::uint64_t max_payload;
    Result<Message> (*parse)(Frame& frame, const Manifest* manifest);
};

constexpr std::uint64_t kBitfieldBytes = (kMaxChunkCount + 7) / 8;

// Every message type, in the order of Message's alternatives: its name on the wire, who accepts it,
// its largest payload, its parser. The encoders (Encoder below) take their names from here.
constexpr MessageSpec kMessages[] = {
    {"hello", Receivers::server, 0, parse_hello},
    {"manifest", Receivers::client, kMaxManifestBytes, parse_manifest},
    {"have_list", Receivers::client, kBitfieldBytes, parse_have_list},
    {"have", Receivers::client, 0, parse_offered_ids<Have>},
    {"request", Receivers::server, 0, parse_request},
    {"chunk", Receivers::client, kMaxChunkSize, parse_chunk},
    {"done", Receivers::server, 0, parse_done},
    {"error", Receivers::both, 0, parse_error},
    {"auth", Receivers::both, 0, parse_auth},
    {"coming", Receivers::client, 0, parse_offered_ids<Coming>},
    {"ping", Receivers::client, 0, parse_ping},
    {"hashes", Receivers::client, std::uint64_t{kMaxChunkCount} * sizeof(Digest), parse_hashes},
    {"report", Receivers::server, kBitfieldBytes, parse_report},
    {"hint", Receivers::client, 0, parse_hint},
    {"challenge", Receivers::client, 0, parse_challenge},
    {"possession", Receivers::server, 0, parse_possession},
};
static_assert(std::size(kMessages) == std::variant_size_v<Message>, "one kMessages entry per Message type");

const MessageSpec* spec_for(Role receiver, std::string_view type)
{
    for (const MessageSpec& spec : kMessages) {
        if (spec.type != type) continue;
        const bool accepted =
            spec.receivers == Receivers::both || (spec.receivers == Receivers::server) == (receiver == Role::server);
        return accepted ? &spec : nullptr;
    }
    return nullptr;
}

template <class T, std::size_t I = 0>
constexpr std::size_t index_of()
{
    if constexpr (std::is_same_v<std::variant_alternative_t<I, Message>, T>) {
        return I;
    } else {
        return index_of<T, I + 1>();
    }
}

// Message T's header: `fields` and its type, as kMessages names it.
template <class T>
nlohmann::json head(nlohmann::json fields = nlohmann::json::object())
{
    fields["type"] = std::string(kMessages[index_of<T>()].type);
    return fields;
}

}  // namespace

std::vector<std::vector<ChunkId>> split_for_messages(const std::vector<ChunkId>& ids)
{
    std::vector<std::vector<ChunkId>> pieces;
    for (std::size_t start = 0; start < ids.size(); start += kMaxIdsPerMessage) {
        std::size_t end = std::min(ids.size(), start + kMaxIdsPerMessage);
        pieces.emplace_back(ids.begin() + static_cast<std::ptrdiff_t>(start),
                            ids.begin() + static_cast<std::ptrdiff_t>(end));
    }
    return pieces;
}

namespace {

constexpr std::pair<WireError, std::string_view> kWireErrorNames[] = {
    {WireError::failed, "failed"},
    {WireError::malformed, "malformed"},
    {WireError::protocol, "protocol"},
    {WireError::auth, "auth"},
    {WireError::encryption, "encryption"},
    {WireError::refused, "refused"},
    {WireError::timeout, "timeout"},
    {WireError::overloaded, "overloaded"},
    {WireError::unreadable_chunk, "unreadable_chunk"},
};

}  // namespace

std::string_view wire_error_name(WireError code)
{
    for (auto [value, name] : kWireErrorNames)
        if (value == code) return name;
    return "failed";
}

WireError wire_error_from(std::string_view name)
{
    for (auto [value, known] : kWireErrorNames)
        if (known == name) return value;
    return WireError::failed;
}

FrameLimits frame_limits(Role receiver)
{
    FrameLimits limits;
    // A server's first frame is a hello with no payload: at most 1024 skipped peer ids (11 KiB). A
    // client's may be the manifest; with a secret its server has proved the key in the TLS
    // handshake before any frame, and without one the payload grows only as its bytes arrive.
    if (receiver == Role::server) {
        limits.first_max_header = 16 * 1024;
        limits.first_max_payload = 0;
    }
    limits.max_payload = [receiver](std::string_view type) -> std::optional<std::uint64_t> {
        const MessageSpec* spec = spec_for(receiver, type);
        if (!spec) return std::nullopt;
        return spec->max_payload;
    };
    return limits;
}

Result<Message> parse_message(Frame frame, Role receiver, const Manifest* manifest)
{
    const std::string type = frame.type();
    const MessageSpec* spec = spec_for(receiver, type);
    if (!spec) return make_error("unexpected message type \"" + type + "\"");
    return spec->parse(frame, manifest);
}

namespace {

OutFrame make_frame(nlohmann::json header, std::vector<std::uint8_t> payload = {})
{
    OutFrame out;
    out.head = encode_frame_head(header, payload.size());
    out.payload = std::move(payload);
    return out;
}

struct Encoder {
    OutFrame operator()(const Hello& m) const
    {
        nlohmann::json header = head<Hello>({{"version", kProtocolVersion}, {"peer_id", m.peer_id}});
        if (m.nonce) header["nonce"] = nonce_to_hex(*m.nonce);
        if (m.rescue) header["rescue"] = true;
        if (m.presence) header["presence"] = true;
        if (m.helper) header["helper"] = true;
        if (!m.skipped.empty()) header["skipped"] = m.skipped;
        return make_frame(std::move(header));
    }
    OutFrame operator()(const Auth& m) const
    {
        nlohmann::json header = head<Auth>({{"proof", to_hex(m.proof)}});
        if (m.nonce) header["nonce"] = nonce_to_hex(*m.nonce);
        return make_frame(std::move(header));
    }
    OutFrame operator()(const ManifestMsg& m) const { return encode_manifest(m.manifest); }
    OutFrame operator()(const HaveList& m) const
    {
        nlohmann::json header = head<HaveList>({{"count", m.have.count()}});
        if (m.upstream) {
            header["upstream"] = {{"id", m.upstream->id}, {"host", m.upstream->host}, {"port", m.upstream->port}};
        }
        return make_frame(std::move(header), m.have.bytes());
    }
    OutFrame operator()(const Have& m) const { return make_frame(head<Have>({{"ids", m.ids}})); }
    OutFrame operator()(const Coming& m) const { return make_frame(head<Coming>({{"ids", m.ids}})); }
    OutFrame operator()(const Ping&) const { return make_frame(head<Ping>()); }
    OutFrame operator()(const Hashes& m) const
    {
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(m.hashes.data());
        return make_frame(head<Hashes>({{"first", m.first}}),
                          std::vector<std::uint8_t>(bytes, bytes + m.hashes.size() * sizeof(Digest)));
    }
    OutFrame operator()(const Request& m) const { return make_frame(head<Request>({{"ids", m.ids}})); }
    OutFrame operator()(const ChunkData& m) const { return make_frame(head<ChunkData>({{"id", m.id}}), m.bytes); }
    OutFrame operator()(const Done& m) const { return make_frame(head<Done>({{"complete", m.complete}})); }
    OutFrame operator()(const Report& m) const
    {
        nlohmann::json header = head<Report>({{"held", m.held}, {"complete", m.complete}});
        if (m.deal_first) header["deal_first"] = true;
        if (m.spare_permille) header["spare"] = *m.spare_permille;
        return make_frame(std::move(header), m.have ? m.have->bytes() : std::vector<std::uint8_t>{});
    }
    OutFrame operator()(const Hint& m) const { return make_frame(head<Hint>({{"helpers", m.helpers}})); }
    OutFrame operator()(const Challenge& m) const
    {
        return make_frame(head<Challenge>({{"nonce", nonce_to_hex(m.nonce)}}));
    }
    OutFrame operator()(const Possession& m) const
    {
        return make_frame(head<Possession>({{"proof", to_hex(m.proof)}}));
    }
    OutFrame operator()(const ErrorMsg& m) const
    {
        nlohmann::json header = head<ErrorMsg>({{"code", wire_error_name(m.code)}, {"message", m.message}});
        if (m.chunk) header["chunk"] = *m.chunk;
        return make_frame(std::move(header));
    }
};

}  // namespace

OutFrame encode(const Message& message) { return std::visit(Encoder{}, message); }

OutFrame encode_manifest(const Manifest& manifest)
{
    nlohmann::json header = head<ManifestMsg>(manifest_head_to_json(manifest));
    OutFrame frame;
    frame.shared_payload = std::make_shared<const std::vector<std::uint8_t>>(manifest_payload(manifest));
    // What follows the chunk hashes is the tree's listing.
    const std::size_t hash_bytes = manifest.chunk_sha256.size() * sizeof(Digest);
    if (manifest.is_tree()) header["tree_bytes"] = frame.shared_payload->size() - hash_bytes;
    if (!manifest.whole()) header["hashed"] = manifest.hashed();
    frame.head = encode_frame_head(header, frame.shared_payload->size());
    return frame;
}

OutFrame encode_chunk(ChunkId id, std::vector<std::uint8_t> bytes)
{
    return make_frame(head<ChunkData>({{"id", id}}), std::move(bytes));
}

std::vector<std::uint8_t> encode_chunk_head(ChunkId id, std::size_t length)
{
    return encode_frame_head(head<ChunkData>({{"id", id}}), length);
}

}  // namespace chunkswarm

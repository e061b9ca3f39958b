#include "chunkswarm/core/config.hpp"

#include <arpa/inet.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <map>
#include <set>
#include <sstream>

#include "chunkswarm/core/json_util.hpp"
#include "chunkswarm/core/manifest.hpp"

namespace chunkswarm {
namespace {

using nlohmann::json;

// Reads fields of one JSON object, naming the full path of whatever is wrong.
class FieldReader {
public:
    FieldReader(const json& object, std::string path) : object_(object), path_(std::move(path)) {}

    Result<void> only_keys(std::initializer_list<const char*> allowed) const
    {
        for (const auto& [key, value] : object_.items()) {
            bool known = false;
            for (const char* k : allowed)
                known = known || key == k;
            if (!known) return make_error(where(key) + ": unknown field (allowed: " + list(allowed) + ")");
        }
        return {};
    }

    template <class T>
    Result<T> number(const char* key, std::uint64_t min, std::uint64_t max,
                     std::optional<T> fallback = std::nullopt) const
    {
        auto it = object_.find(key);
        if (it == object_.end()) {
            if (fallback) return *fallback;
            return make_error(where(key) + ": missing (an integer " + range(min, max) + ")");
        }
        auto value = as_unsigned(*it);
        if (!value || *value < min || *value > max) {
            return make_error(where(key) + ": " + it->dump() + " is not an integer " + range(min, max));
        }
        return static_cast<T>(*value);
    }

    Result<std::string> string(const char* key, std::optional<std::string> fallback = std::nullopt) const
    {
        auto it = object_.find(key);
        if (it == object_.end()) {
            if (fallback) return *fallback;
            return make_error(where(key) + ": missing (a string)");
        }
        if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
            return make_error(where(key) + ": " + it->dump() + " is not a non-empty string");
        }
        return it->get<std::string>();
    }

    Result<bool> boolean(const char* key, bool fallback) const
    {
        auto it = object_.find(key);
        if (it == object_.end()) return fallback;
        if (!it->is_boolean()) return make_error(where(key) + ": " + it->dump() + " is not true or false");
        return it->get<bool>();
    }

    std::string where(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
    const json* find(const char* key) const
    {
        auto it = object_.find(key);
        return it == object_.end() ? nullptr : &*it;
    }

private:
    static std::string range(std::uint64_t min, std::uint64_t max)
    {
        return "in " + std::to_string(min) + ".." + std::to_string(max);
    }
    static std::string list(std::initializer_list<const char*> keys)
    {
        std::string out;
        for (const char* k : keys)
            out += (out.empty() ? "" : ", ") + std::string(k);
        return out;
    }

    const json& object_;
    std::string path_;
};

Result<Endpoint> read_endpoint(const FieldReader& reader, const char* host_key, std::uint32_t default_port)
{
    Endpoint endpoint;
    CS_TRY_ASSIGN(endpoint.host, reader.string(host_key, std::string("127.0.0.1")));
    if (auto r = check_host(endpoint.host); !r) return make_error(reader.where(host_key) + ": " + r.error().message);
    if (endpoint.host == "localhost") endpoint.host = "127.0.0.1";
    std::optional<std::uint16_t> fallback;
    if (default_port >= 1 && default_port <= 65535) fallback = static_cast<std::uint16_t>(default_port);
    CS_TRY_ASSIGN(endpoint.port, reader.number<std::uint16_t>("port", 1, 65535, fallback));
    return endpoint;
}

// 0 (no cap), or kMinRate to kMaxRate: the same for the config and the command line.
bool valid_rate(double bytes_per_second)
{
    return bytes_per_second == 0 ||
           (bytes_per_second >= static_cast<double>(kMinRate) && bytes_per_second <= static_cast<double>(kMaxRate));
}

// A number of bytes per second, or a string with units as on the command line ("12.5M", "10Mi").
Result<std::uint64_t> read_rate(const FieldReader& r, const char* key, std::uint64_t fallback)
{
    if (const json* text = r.find(key); text != nullptr && text->is_string()) {
        auto rate = parse_rate(text->get_ref<const std::string&>());
        if (!rate) return make_error(r.where(key) + ": " + rate.error().message);
        return rate;
    }
    CS_TRY_ASSIGN(fallback, r.number<std::uint64_t>(key, 0, kMaxRate, fallback));
    if (!valid_rate(static_cast<double>(fallback))) {
        return make_error(std::string("settings.") + key + ": " + std::to_string(fallback) +
                          " bytes per second is too slow (a chunk would take seconds); use 0 (no cap) or at least " +
                          std::to_string(kMinRate));
    }
    return fallback;
}

Result<Settings> read_settings(const json& object)
{
    if (!object.is_object()) return make_error("settings: must be an object");
    FieldReader r(object, "settings");
    CS_TRY(r.only_keys({"request_window",
                        "owner_request_window",
                        "retry_initial_ms",
                        "retry_max_ms",
                        "owner_connect_timeout_s",
                        "neighbor_connect_timeout_s",
                        "summary_interval_ms",
                        "send_high_watermark",
                        "send_budget",
                        "max_sessions",
                        "max_chunks",
                        "request_timeout_s",
                        "max_chunk_failures",
                        "hello_timeout_s",
                        "keep_chunk_files",
                        "verify_joined_file",
                        "early_trading",
                        "helpers",
                        "neighbor_gone_s",
                        "give_up_s",
                        "idle_exit_s",
                        "max_upload_rate",
                        "max_download_rate"}));
    Settings s;
    CS_TRY_ASSIGN(s.request_window, r.number<std::uint32_t>("request_window", 1, 1024, s.request_window));
    CS_TRY_ASSIGN(s.owner_request_window,
                  r.number<std::uint32_t>("owner_request_window", 1, 1024, s.owner_request_window));
    CS_TRY_ASSIGN(s.retry_initial_ms, r.number<std::uint32_t>("retry_initial_ms", 1, 60000, s.retry_initial_ms));
    CS_TRY_ASSIGN(s.retry_max_ms, r.number<std::uint32_t>("retry_max_ms", s.retry_initial_ms, 600000, s.retry_max_ms));
    CS_TRY_ASSIGN(s.owner_connect_timeout_s,
                  r.number<std::uint32_t>("owner_connect_timeout_s", 1, 86400, s.owner_connect_timeout_s));
    CS_TRY_ASSIGN(s.neighbor_connect_timeout_s,
                  r.number<std::uint32_t>("neighbor_connect_timeout_s", 1, 86400, s.neighbor_connect_timeout_s));
    CS_TRY_ASSIGN(s.request_timeout_s, r.number<std::uint32_t>("request_timeout_s", 1, 3600, s.request_timeout_s));
    CS_TRY_ASSIGN(s.max_chunk_failures, r.number<std::uint32_t>("max_chunk_failures", 1, 100, s.max_chunk_failures));
    CS_TRY_ASSIGN(s.neighbor_gone_s, r.number<std::uint32_t>("neighbor_gone_s", 1, 3600, s.neighbor_gone_s));
    CS_TRY_ASSIGN(s.give_up_s, r.number<std::uint32_t>("give_up_s", 1, 86400, s.give_up_s));
    CS_TRY_ASSIGN(s.idle_exit_s, r.number<std::uint32_t>("idle_exit_s", 1, 86400, s.idle_exit_s));
    CS_TRY_ASSIGN(s.hello_timeout_s, r.number<std::uint32_t>("hello_timeout_s", 1, 3600, s.hello_timeout_s));
    CS_TRY_ASSIGN(s.summary_interval_ms,
                  r.number<std::uint32_t>("summary_interval_ms", 10, 60000, s.summary_interval_ms));
    CS_TRY_ASSIGN(s.send_high_watermark,
                  r.number<std::uint32_t>("send_high_watermark", 64 * 1024, 1u << 30, s.send_high_watermark));
    CS_TRY_ASSIGN(s.send_budget, r.number<std::uint32_t>("send_budget", 64 * 1024, 1u << 30, s.send_budget));
    CS_TRY_ASSIGN(s.max_sessions, r.number<std::uint32_t>("max_sessions", 0, 1'000'000, s.max_sessions));
    CS_TRY_ASSIGN(s.max_chunks, r.number<std::uint32_t>("max_chunks", kMinChunkCount, kMaxChunkCount, s.max_chunks));
    CS_TRY_ASSIGN(s.keep_chunk_files, r.boolean("keep_chunk_files", s.keep_chunk_files));
    CS_TRY_ASSIGN(s.verify_joined_file, r.boolean("verify_joined_file", s.verify_joined_file));
    CS_TRY_ASSIGN(s.early_trading, r.boolean("early_trading", s.early_trading));
    CS_TRY_ASSIGN(s.helpers, r.boolean("helpers", s.helpers));
    CS_TRY_ASSIGN(s.max_upload_rate, read_rate(r, "max_upload_rate", s.max_upload_rate));
    CS_TRY_ASSIGN(s.max_download_rate, read_rate(r, "max_download_rate", s.max_download_rate));
    return s;
}

// A peer is an object, or just its host. What is left out follows from the list: the id is the
// position (from 1), the port kDefaultOwnerPort plus the id, the download neighbour the peer before
// it (the first downloads from the last), so that a list of hosts is a ring.
Result<PeerConfig> read_peer(const json& entry, std::size_t index, std::uint32_t previous_id)
{
    std::string path = "peers[" + std::to_string(index) + "]";
    const json object = entry.is_string() ? json{{"host", entry}} : entry;
    if (!object.is_object()) return make_error(path + ": must be an object or a host name");
    FieldReader r(object, path);
    CS_TRY(r.only_keys({"id", "host", "port", "download_neighbor", "data_dir"}));
    PeerConfig peer;
    std::uint32_t id = 0;
    CS_TRY_ASSIGN(id, r.number<std::uint32_t>("id", 0, UINT32_MAX, static_cast<std::uint32_t>(index + 1)));
    peer.id = PeerId(id);
    CS_TRY_ASSIGN(peer.endpoint, read_endpoint(r, "host", kDefaultOwnerPort + id));
    std::uint32_t download_neighbor = 0;
    CS_TRY_ASSIGN(download_neighbor, r.number<std::uint32_t>("download_neighbor", 0, UINT32_MAX, previous_id));
    peer.download_neighbor = PeerId(download_neighbor);
    CS_TRY_ASSIGN(peer.data_dir, r.string("data_dir", std::string()));
    return peer;
}

// The id each peer's default download neighbour has: the one listed before it, the last for the
// first. Ids are read first, since a neighbour may be listed after the peer.
Result<std::vector<std::uint32_t>> listed_ids(const json& peers)
{
    std::vector<std::uint32_t> ids;
    for (std::size_t i = 0; i < peers.size(); ++i) {
        std::uint32_t id = static_cast<std::uint32_t>(i + 1);
        if (peers[i].is_object()) {
            FieldReader r(peers[i], "peers[" + std::to_string(i) + "]");
            CS_TRY_ASSIGN(id, r.number<std::uint32_t>("id", 0, UINT32_MAX, id));
        }
        ids.push_back(id);
    }
    return ids;
}

Result<void> check_unique(const SwarmConfig& config)
{
    std::map<PeerId, std::size_t> ids;
    std::map<std::string, std::string> endpoints{{config.owner.to_string(), "owner"}};
    for (std::size_t i = 0; i < config.peers.size(); ++i) {
        const PeerConfig& p = config.peers[i];
        std::string path = "peers[" + std::to_string(i) + "]";
        if (auto [it, fresh] = ids.emplace(p.id, i); !fresh) {
            return make_error(path + ".id: " + to_string(p.id) + " is already used by peers[" +
                              std::to_string(it->second) + "]");
        }
        if (auto [it, fresh] = endpoints.emplace(p.endpoint.to_string(), path); !fresh) {
            return make_error(path + ".port: " + p.endpoint.to_string() + " is already used by " + it->second);
        }
    }
    for (std::size_t i = 0; i < config.peers.size(); ++i) {
        const PeerConfig& p = config.peers[i];
        std::string path = "peers[" + std::to_string(i) + "].download_neighbor";
        if (!ids.count(p.download_neighbor)) {
            return make_error(path + ": " + to_string(p.download_neighbor) + " is not the id of any peer");
        }
        if (p.download_neighbor == p.id) return make_error(path + ": a peer cannot download from itself");
    }
    return {};
}

}  // namespace

const PeerConfig* SwarmConfig::find_peer(PeerId id) const
{
    for (const PeerConfig& p : peers) {
        if (p.id == id) return &p;
    }
    return nullptr;
}

const PeerConfig* SwarmConfig::upload_neighbor_of(PeerId id) const
{
    for (const PeerConfig& p : peers) {
        if (p.download_neighbor == id) return &p;
    }
    return nullptr;
}

std::string SwarmConfig::peer_data_dir(const PeerConfig& peer) const
{
    return peer.data_dir.empty() ? data_dir + "/peer-" + to_string(peer.id) : peer.data_dir;
}

std::string SwarmConfig::resolved_owner_data_dir() const
{
    return owner_data_dir.empty() ? data_dir + "/owner" : owner_data_dir;
}

namespace {

// RFC 1123: labels of letters, digits and hyphens, 1-63 long, not starting or ending with a hyphen.
bool is_host_name(std::string_view name)
{
    if (name.empty() || name.size() > 253) return false;
    if (name.back() == '.') name.remove_suffix(1);  // a fully qualified name
    while (true) {
        const std::size_t dot = name.find('.');
        const std::string_view label = name.substr(0, dot);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
        for (char c : label)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
        if (dot == std::string_view::npos) return true;
        name.remove_prefix(dot + 1);
    }
}

}  // namespace

Result<void> check_host(const std::string& host)
{
    unsigned char buf[16];
    if (inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1 ||
        is_host_name(host)) {
        return {};
    }
    return make_error("\"" + host + "\" is neither an IPv4 or IPv6 address nor a host name");
}

Result<Endpoint> parse_endpoint(std::string_view text)
{
    const std::string shown = "\"" + std::string(text) + "\"";
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return make_error(shown + " is not HOST:PORT (for example 127.0.0.1:9100)");
    std::string host(text.substr(0, colon));
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (host.empty()) host = "0.0.0.0";
    if (host == "localhost") host = "127.0.0.1";
    CS_TRY(check_host(host));
    const std::string_view digits = text.substr(colon + 1);
    unsigned port = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() || port > 65535) {
        return make_error(shown + ": the port must be a number from 0 to 65535");
    }
    return Endpoint{host, static_cast<std::uint16_t>(port)};
}

Result<void> check_topology(const std::vector<PeerConfig>& peers)
{
    std::map<PeerId, PeerId> download_from;
    for (const PeerConfig& p : peers)
        download_from[p.id] = p.download_neighbor;
    for (const PeerConfig& p : peers) {
        // Chunks reach p only along its chain of download neighbours, which ends in a cycle.
        std::set<PeerId> reaches{p.id};
        std::string chain = to_string(p.id);
        for (PeerId at = download_from[p.id]; reaches.insert(at).second; at = download_from[at]) {
            chain += " <- " + to_string(at);
        }
        std::string starved_of;
        for (const PeerConfig& q : peers) {
            if (!reaches.count(q.id)) starved_of += (starved_of.empty() ? "" : ", ") + to_string(q.id);
        }
        if (!starved_of.empty()) {
            return make_error("peer " + to_string(p.id) + " would starve: chunks that start at peer(s) " + starved_of +
                              " never reach it (it downloads along " + chain +
                              "); wire download_neighbor so that the peers form one ring");
        }
    }
    return {};
}

namespace {

// A command as a string split at spaces, or as an array of strings; only {host} and {name} may
// appear in braces.
Result<std::vector<std::string>> read_command(const json& value, const std::string& where)
{
    std::vector<std::string> words;
    if (value.is_string()) {
        std::istringstream split(value.get<std::string>());
        for (std::string word; split >> word;)
            words.push_back(word);
    } else if (value.is_array()) {
        for (const json& word : value) {
            if (!word.is_string() || word.get_ref<const std::string&>().empty()) break;
            words.push_back(word.get<std::string>());
        }
        if (words.size() != value.size()) words.clear();  // a word that is not a non-empty string
    }
    if (words.empty()) {
        return make_error(where + ": " + value.dump() +
                          " is not a command (a string such as \"ssh {host}\", or an array of strings)");
    }
    for (const std::string& word : words) {
        for (std::size_t open = word.find('{'); open != std::string::npos; open = word.find('{', open + 1)) {
            const std::string_view rest = std::string_view(word).substr(open);
            if (rest.rfind("{host}", 0) != 0 && rest.rfind("{name}", 0) != 0) {
                return make_error(where + ": \"" + word + "\" has an unknown placeholder (only {host} and {name})");
            }
        }
    }
    return words;
}

Result<std::vector<std::string>> read_strings(const json& value, const std::string& where)
{
    if (!value.is_array()) return make_error(where + ": " + value.dump() + " is not an array of strings");
    std::vector<std::string> out;
    for (const json& item : value) {
        if (!item.is_string()) return make_error(where + ": " + item.dump() + " is not a string");
        out.push_back(item.get<std::string>());
    }
    return out;
}

// One host's launch fields (or every host's, at the top of "launch").
enum class LaunchScope { every_host, one_host };

Result<HostLaunch> read_host_launch(const json& object, const std::string& path, LaunchScope scope)
{
    if (!object.is_object()) return make_error(path + ": must be an object");
    FieldReader r(object, path);
    if (scope == LaunchScope::every_host) {
        CS_TRY(r.only_keys({"command", "bin_dir", "work_dir", "args", "hosts"}));
    } else {
        CS_TRY(r.only_keys({"command", "bin_dir", "work_dir", "args"}));
    }
    HostLaunch launch;
    if (auto it = object.find("command"); it != object.end()) {
        CS_TRY_ASSIGN(launch.command, read_command(*it, r.where("command")));
    }
    if (auto it = object.find("args"); it != object.end())
        CS_TRY_ASSIGN(launch.args, read_strings(*it, r.where("args")));
    CS_TRY_ASSIGN(launch.bin_dir, r.string("bin_dir", std::string()));
    CS_TRY_ASSIGN(launch.work_dir, r.string("work_dir", std::string()));
    for (const std::string* dir : {&launch.bin_dir, &launch.work_dir}) {
        if (!dir->empty() && dir->front() != '/') {
            return make_error(r.where(dir == &launch.bin_dir ? "bin_dir" : "work_dir") + ": \"" + *dir +
                              "\" must be an absolute path (it names a directory on that host)");
        }
    }
    return launch;
}

Result<LaunchConfig> read_launch(const json& object, const SwarmConfig& config)
{
    LaunchConfig launch;
    CS_TRY_ASSIGN(launch.all, read_host_launch(object, "launch", LaunchScope::every_host));
    auto hosts = object.find("hosts");
    if (hosts == object.end()) return launch;
    if (!hosts->is_object()) return make_error("launch.hosts: must be an object keyed by host");
    for (const auto& [host, entry] : hosts->items()) {
        bool named = config.owner.host == host;
        for (const PeerConfig& peer : config.peers)
            named = named || peer.endpoint.host == host;
        if (!named) {
            return make_error("launch.hosts." + host +
                              ": no process of the config is on this host (use the owner's "
                              "or a peer's \"host\" exactly)");
        }
        CS_TRY_ASSIGN(launch.hosts[host], read_host_launch(entry, "launch.hosts." + host, LaunchScope::one_host));
    }
    return launch;
}

}  // namespace

HostLaunch LaunchConfig::for_host(const std::string& host) const
{
    HostLaunch merged = all;
    auto it = hosts.find(host);
    if (it == hosts.end()) return merged;
    const HostLaunch& own = it->second;
    if (!own.command.empty()) merged.command = own.command;
    if (!own.bin_dir.empty()) merged.bin_dir = own.bin_dir;
    if (!own.work_dir.empty()) merged.work_dir = own.work_dir;
    merged.args.insert(merged.args.end(), own.args.begin(), own.args.end());
    return merged;
}

Result<SwarmConfig::Tls> read_tls(const json& node)
{
    if (!node.is_object()) return make_error("tls: must be an object with cert, key and ca (PEM file paths)");
    FieldReader r(node, "tls");
    CS_TRY(r.only_keys({"cert", "key", "ca"}));
    SwarmConfig::Tls tls;
    CS_TRY_ASSIGN(tls.cert, r.string("cert", std::string()));
    CS_TRY_ASSIGN(tls.key, r.string("key", std::string()));
    CS_TRY_ASSIGN(tls.ca, r.string("ca", std::string()));
    if (tls.cert.empty() || tls.key.empty() || tls.ca.empty()) {
        return make_error("tls: give all three of cert, key and ca (PEM file paths)");
    }
    return tls;
}

Result<SwarmConfig> parse_config(const json& root)
{
    if (!root.is_object()) return make_error("the config must be a JSON object");
    FieldReader r(root, "");
    CS_TRY(r.only_keys({"description", "owner", "chunk_size", "data_dir", "peers", "settings", "secret", "content_id",
                        "tls", "launch"}));
    SwarmConfig config;
    auto owner = root.find("owner");
    if (owner == root.end() || !owner->is_object()) return make_error("owner: missing (an object with its host)");
    FieldReader o(*owner, "owner");
    CS_TRY(o.only_keys({"host", "port", "data_dir"}));
    CS_TRY_ASSIGN(config.owner, read_endpoint(o, "host", kDefaultOwnerPort));
    CS_TRY_ASSIGN(config.owner_data_dir, o.string("data_dir", std::string()));
    CS_TRY_ASSIGN(config.chunk_size,
                  r.number<std::uint32_t>("chunk_size", kMinChunkSize, kMaxChunkSize, kDefaultChunkSize));
    config.chunk_size_given = root.contains("chunk_size");
    CS_TRY_ASSIGN(config.data_dir, r.string("data_dir", config.data_dir));
    CS_TRY_ASSIGN(config.secret, r.string("secret", std::string()));
    std::string content_id;
    CS_TRY_ASSIGN(content_id, r.string("content_id", std::string()));
    if (!content_id.empty()) {
        auto pinned = parse_content_id(content_id);
        if (!pinned) return make_error("content_id: " + pinned.error().message);
        config.content_id = std::move(pinned).value();
    }
    if (auto s = root.find("settings"); s != root.end()) CS_TRY_ASSIGN(config.settings, read_settings(*s));
    if (auto t = root.find("tls"); t != root.end()) CS_TRY_ASSIGN(config.tls, read_tls(*t));

    auto peers = root.find("peers");
    if (peers == root.end() || !peers->is_array() || peers->size() < 2) {
        return make_error("peers: must be an array of at least 2 peers");
    }
    if (peers->size() > kMaxPeers) {
        return make_error("peers: " + std::to_string(peers->size()) + " peers; one swarm may have at most " +
                          std::to_string(kMaxPeers));
    }
    std::vector<std::uint32_t> ids;
    CS_TRY_ASSIGN(ids, listed_ids(*peers));
    for (std::size_t i = 0; i < peers->size(); ++i) {
        PeerConfig peer;
        CS_TRY_ASSIGN(peer, read_peer((*peers)[i], i, ids[i == 0 ? ids.size() - 1 : i - 1]));
        config.peers.push_back(std::move(peer));
    }
    CS_TRY(check_unique(config));
    CS_TRY(check_topology(config.peers));
    if (auto launch = root.find("launch"); launch != root.end())
        CS_TRY_ASSIGN(config.launch, read_launch(*launch, config));
    return config;
}

Result<std::uint64_t> parse_rate(std::string_view text)
{
    const std::string shown(text);
    const std::string usage = "bytes per second, optionally with k, M, G (x1000) or Ki, Mi, Gi (x1024): 12.5M, 10Mi";
    std::size_t digits = 0;
    while (digits < text.size() && (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.'))
        ++digits;
    double number = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + digits, number);
    if (digits == 0 || error != std::errc() || end != text.data() + digits) {
        return make_error("'" + shown + "' is not a rate: " + usage);
    }
    static constexpr std::pair<std::string_view, double> kUnits[] = {
        {"", 1},    {"k", 1e3},     {"K", 1e3},        {"M", 1e6},
        {"G", 1e9}, {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}};
    const std::string_view suffix = text.substr(digits);
    for (const auto& [unit, factor] : kUnits) {
        if (suffix != unit) continue;
        const double bytes = number * factor;
        if (!valid_rate(bytes)) {
            return make_error("'" + shown +
                              "' is outside 100k (a chunk a second) to 1T bytes per second; use 0 "
                              "for no cap");
        }
        return static_cast<std::uint64_t>(bytes);
    }
    return make_error("'" + shown + "' has an unknown unit: " + usage);
}

}  // namespace chunkswarm

#include "swarm_run.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "../free_ports.hpp"
#include "chunkswarm/core/json_util.hpp"
#include "chunkswarm/core/manifest.hpp"

namespace chunkswarm::bench {
namespace {

// Peer k downloads from peer k-1, peer 1 from the last: one ring.
nlohmann::json ring_config(const SwarmSetup& setup, const std::vector<std::uint16_t>& ports)
{
    nlohmann::json peers = nlohmann::json::array();
    for (std::uint32_t id = 1; id <= setup.peers; ++id) {
        peers.push_back({{"id", id},
                         {"host", "127.0.0.1"},
                         {"port", ports[id]},
                         {"download_neighbor", id == 1 ? setup.peers : id - 1}});
    }
    nlohmann::json settings = {{"request_window", setup.window}, {"keep_chunk_files", setup.keep_chunk_files}};
    if (!setup.helpers) settings["helpers"] = false;  // only then: a build from before the setting refuses it
    if (setup.early_trading) settings["early_trading"] = *setup.early_trading;
    if (setup.link_rate != 0) {
        settings["max_upload_rate"] = setup.link_rate;
        settings["max_download_rate"] = setup.link_rate;
    }
    nlohmann::json config = {{"description", "chunkswarm bench ring"},
                             {"owner", {{"host", "127.0.0.1"}, {"port", ports[0]}}},
                             {"chunk_size", setup.chunk_size},
                             {"data_dir", (setup.dir / "data").string()},
                             {"settings", settings},
                             {"peers", peers}};
    if (!setup.secret.empty()) config["secret"] = setup.secret;
    return config;
}

// Seconds since `start` of an event's time ("2026-11-25T20:36:19.168123Z", UTC).
std::optional<double> event_time(const nlohmann::json& event, std::chrono::system_clock::time_point start)
{
    const std::string stamp = event.value("time", "");
    std::tm tm{};
    double seconds = 0;
    if (std::sscanf(stamp.c_str(), "%d-%d-%dT%d:%d:%lfZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                    &seconds) != 6) {
        return std::nullopt;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    const auto at =
        std::chrono::system_clock::from_time_t(timegm(&tm)) +
        std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(seconds));
    return std::chrono::duration<double>(at - start).count();
}

// The kernel's ru_maxrss for a child starts from the peak of the process that forked it, so a
// process's own figure (VmHWM, its last event) is the one to trust.
LogFacts read_log_facts(const std::filesystem::path& events, std::chrono::system_clock::time_point start)
{
    LogFacts facts;
    std::ifstream in(events);
    std::string line;
    while (std::getline(in, line)) {
        const nlohmann::json event = parse_event_line(line);
        if (event.is_null()) continue;
        const std::string name = event["event"].get<std::string>();
        if (!facts.first_chunk_s && name == "chunk_received") {
            facts.first_chunk_s = event_time(event, start);
        } else if (!facts.split_s && name == "split") {
            facts.split_s = event_time(event, start);
        } else if (!facts.bootstrap_s && name == "share_held") {
            facts.bootstrap_s = event_time(event, start);
        } else if (!facts.joined_s && name == "joined") {
            facts.joined_s = event_time(event, start);
        } else if (name == "resources") {
            facts.peak_rss_mib = event.value("peak_kib", 0.0) / 1024;
        }
    }
    return facts;
}

// Waits, a look every 20 ms, until the owner's log says the file is hashed; false if the owner
// exited or `limit` passed first.
bool wait_for_split(const ChildGroup& group, const std::filesystem::path& log, std::chrono::seconds limit)
{
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline && !group.exited(0)) {
        std::ifstream in(log);
        std::string line;
        while (std::getline(in, line))
            if (const nlohmann::json event = parse_event_line(line); !event.is_null() && event["event"] == "split")
                return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

std::string describe_failure(const ChildResult& child, const std::filesystem::path& log)
{
    std::string how = child.signal ? "was killed by signal " + std::to_string(child.signal)
                                   : "exited " + std::to_string(child.exit_code);
    return child.name + " " + how + " (log: " + log.string() + ")";
}

}  // namespace

std::filesystem::path peer_output(const SwarmSetup& setup, std::uint32_t id)
{
    return setup.dir / "data" / ("peer-" + std::to_string(id)) / setup.input.filename();
}

SwarmResult run_swarm(const SwarmSetup& setup)
{
    SwarmResult result;
    std::filesystem::remove_all(setup.dir);
    std::filesystem::create_directories(setup.dir / "logs");
    auto ports = chunkswarm::tools::free_loopback_ports(setup.peers + 1);
    if (ports.size() != setup.peers + 1) {
        result.error = "cannot find free ports on 127.0.0.1";
        return result;
    }
    // The config names the data directories, which JSON can only hold as UTF-8.
    if (!is_valid_utf8(setup.dir.string())) {
        result.error = "the work directory " + printable_name(setup.dir.string()) +
                       " is not UTF-8, which a config cannot name; pass --work with another directory";
        return result;
    }
    const auto config = setup.dir / "ring.json";
    std::ofstream(config) << ring_config(setup, ports).dump(2) << "\n";
    // Each process's event stream (and its stderr), as the launcher keeps them.
    auto log_of = [&](const std::string& name) { return setup.dir / "logs" / (name + ".events.jsonl"); };

    ChildGroup group{std::chrono::seconds(setup.timeout_s)};
    const auto wall_start = std::chrono::system_clock::now();
    if (!group.start("owner", {setup.owner_bin, "--config", config, "--file", setup.input, "--log-format", "json"},
                     log_of("owner"))) {
        result.error = "cannot start the owner";
        return result;
    }
    if (setup.ready_owner) {
        if (!wait_for_split(group, log_of("owner"), std::chrono::seconds(setup.timeout_s))) {
            result.error = "the owner did not hash its file (log: " + log_of("owner").string() + ")";
            group.abort();
            group.wait_all();
            return result;
        }
        result.ready_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - group.started_at()).count();
    }
    for (std::uint32_t id = 1; id <= setup.peers; ++id) {
        std::string name = "peer-" + std::to_string(id);
        std::vector<std::string> argv{setup.peer_bin,     "--config",     config, "--id",
                                      std::to_string(id), "--log-format", "json"};
        if (auto slow = setup.slow_peers.find(id); slow != setup.slow_peers.end()) {
            for (const std::string& flag : setup.slow_flags)
                argv.insert(argv.end(), {flag, std::to_string(slow->second)});
        }
        if (!group.start(name, argv, log_of(name))) {
            result.error = "cannot start " + name;
            group.abort();
            break;
        }
    }
    for (std::uint32_t id : setup.killed)
        // Child 0 is the owner, so peer k is child k.
        group.kill_later(id, setup.kill_after + std::chrono::milliseconds(std::lround(result.ready_s * 1000)));
    std::vector<ChildResult> children = group.wait_all();
    if (!result.error.empty()) return result;
    result.owner = children.front();
    result.peers.assign(children.begin() + 1, children.end());
    for (std::size_t i = 0; i < children.size(); ++i) {
        const auto& child = children[i];
        result.wall_s = std::max(result.wall_s, child.wall_s);
        const bool killed = std::find(setup.killed.begin(), setup.killed.end(), i) != setup.killed.end();
        if (killed && child.signal == SIGKILL) continue;
        if (result.error.empty() && (child.exit_code != 0 || child.signal != 0)) {
            result.error = describe_failure(child, log_of(child.name));
        }
    }
    if (group.timed_out()) result.error = "the swarm did not finish within " + std::to_string(setup.timeout_s) + " s";
    result.owner_facts = read_log_facts(log_of("owner"), wall_start);
    for (const auto& peer : result.peers)
        result.peer_facts.push_back(read_log_facts(log_of(peer.name), wall_start));
    return result;
}

}  // namespace chunkswarm::bench

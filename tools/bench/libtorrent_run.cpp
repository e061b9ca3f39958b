#include "libtorrent_run.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "child_process.hpp"

namespace chunkswarm::bench {
namespace {

// The script prints its figures as one JSON object, the last line of its output.
std::string last_line(const std::filesystem::path& log)
{
    std::ifstream in(log);
    std::string line;
    std::string last;
    while (std::getline(in, line))
        if (!line.empty()) last = line;
    return last;
}

LibtorrentResult parse_figures(const std::string& line, const std::filesystem::path& log)
{
    LibtorrentResult result;
    auto json = nlohmann::json::parse(line, nullptr, false);
    try {
        if (json.is_discarded() || !json.is_object() || !json.contains("wall_s")) {
            throw std::runtime_error("no JSON object with wall_s");
        }
        result.wall_s = json.at("wall_s").get<double>();
        result.create_torrent_s = json.value("create_torrent_s", 0.0);
        result.listening_s = json.value("listening_s", 0.0);
        result.ready_s = json.value("ready_s", 0.0);
        result.piece_bytes = json.value("piece_bytes", 0u);
        result.version = json.value("libtorrent_version", std::string("?"));
        result.seed_cpu_s = json.at("seed").value("cpu_s", 0.0);
        result.seed_peak_rss_mib = json.at("seed").value("peak_rss_mib", 0.0);
        for (const auto& peer : json.at("peers")) {
            result.peers_cpu_s += peer.value("cpu_s", 0.0);
            result.peer_peak_rss_mib = std::max(result.peer_peak_rss_mib, peer.value("peak_rss_mib", 0.0));
        }
        for (const auto& output : json.at("outputs"))
            result.outputs.emplace_back(output.get<std::string>());
    } catch (const std::exception& e) {
        result = LibtorrentResult{};
        result.error =
            "the libtorrent swarm printed no usable figures (" + std::string(e.what()) + "; see " + log.string() + ")";
    }
    return result;
}

}  // namespace

std::string libtorrent_missing(const std::filesystem::path& python)
{
    ChildGroup group(std::chrono::seconds(60));
    if (!group.start("python", {python.string(), "-c", "import libtorrent"}, "/dev/null")) {
        return "cannot run " + python.string();
    }
    auto results = group.wait_all();
    if (results.empty() || results.front().exit_code != 0) {
        return python.string() +
               " cannot import libtorrent: install Debian's python3-libtorrent "
               "(apt-get install python3-libtorrent)";
    }
    return {};
}

LibtorrentResult run_libtorrent(const LibtorrentSetup& setup)
{
    std::filesystem::remove_all(setup.dir);
    std::filesystem::create_directories(setup.dir);
    const auto log = setup.dir / "libtorrent.log";
    // The script enforces the timeout itself; the watchdog is for a script that hangs anyway.
    ChildGroup group(std::chrono::seconds(setup.timeout_s + 60));
    std::vector<std::string> argv = {setup.python.string(),
                                     setup.script.string(),
                                     "--input",
                                     setup.input.string(),
                                     "--peers",
                                     std::to_string(setup.peers),
                                     "--dir",
                                     (setup.dir / "data").string(),
                                     "--timeout",
                                     std::to_string(setup.timeout_s),
                                     "--kind",
                                     setup.kind};
    if (setup.ready_seed) argv.emplace_back("--ready-seed");
    LibtorrentResult result;
    if (!group.start("libtorrent", argv, log)) {
        result.error = "cannot start " + setup.script.string();
        return result;
    }
    auto children = group.wait_all();
    if (group.timed_out() || children.empty() || children.front().exit_code != 0) {
        result.error = "the libtorrent swarm failed (see " + log.string() + ")";
        return result;
    }
    return parse_figures(last_line(log), log);
}

}  // namespace chunkswarm::bench

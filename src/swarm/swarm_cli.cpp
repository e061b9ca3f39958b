// swarm: runs a whole chunkswarm swarm on this machine with one command and shows it live.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <uv.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <fstream>
#include <iostream>
#include <set>

#include "chunkswarm/cli_support.hpp"
#include "chunkswarm/core/auth.hpp"
#include "chunkswarm/core/manifest.hpp"
#include "chunkswarm/disk/config_file.hpp"
#include "chunkswarm/disk/sample_file.hpp"
#include "chunkswarm/net/resolve.hpp"
#include "launch_plan.hpp"
#include "launcher.hpp"
#include "swarm_cli.hpp"

using namespace chunkswarm;

namespace {

struct Flags {
    std::string config;
    std::string file;
    std::string sample_size = "5M";
    std::string work = "swarm-run";
    std::string bin_dir;
    std::string display = "auto";
    std::string report;
    double interval_s = 2.0;
    double timeout_s = 0;
    bool together = false;
    std::vector<std::string> kills;
    std::string expect;
    std::string output;
    bool print_config = false;
    bool resume = false;
    std::string hosts;
    cli::MetricsFlags metrics;
};

// --hosts: "h1,h2,..." or a file with one host a line ('#' starts a comment).
Result<std::vector<std::string>> read_hosts(const std::string& arg)
{
    std::vector<std::string> hosts;
    auto add = [&hosts](std::string host) {
        host.erase(0, host.find_first_not_of(" \t\r"));
        host.erase(host.find_last_not_of(" \t\r") + 1);
        if (!host.empty()) hosts.push_back(std::move(host));
    };
    std::error_code ec;
    if (std::filesystem::is_regular_file(arg, ec)) {
        std::ifstream in(arg);
        for (std::string line; std::getline(in, line);)
            add(line.substr(0, line.find('#')));
    } else {
        for (std::size_t start = 0, comma; start <= arg.size(); start = comma + 1) {
            comma = std::min(arg.find(',', start), arg.size());
            add(arg.substr(start, comma - start));
        }
    }
    if (hosts.size() < 2) {
        return make_error("--hosts " + arg + ": give at least 2 hosts, as h1,h2,... or a file of one host a line");
    }
    return hosts;
}

// The config as the processes will read it: the file, its peers replaced by --hosts (in ring
// order, ids and ports by position) when given. `text` gets its bytes.
Result<SwarmConfig> config_with_hosts(const std::string& path, const std::string& hosts, std::string& text)
{
    auto config = load_config(path, &text);
    if (!config || hosts.empty()) return config;
    std::vector<std::string> list;
    CS_TRY_ASSIGN(list, read_hosts(hosts));
    auto edited = text.empty() ? nlohmann::ordered_json::object() : nlohmann::ordered_json::parse(text);
    edited["peers"] = list;
    text = edited.dump(2) + "\n";
    auto parsed = parse_config(nlohmann::json::parse(text));
    if (!parsed) return make_error("--hosts " + hosts + ": " + parsed.error().message);
    return parsed;
}

// The config with what it leaves out filled in: ids, ports, neighbours, directories.
int print_config(const std::string& path, const std::string& hosts)
{
    std::string text;
    auto config = config_with_hosts(path, hosts, text);
    if (!config) {
        std::cerr << "swarm: error: " << config.error().message << "\n";
        return 2;
    }
    // What the user wrote stays (settings, launch, ...); a config from standard input has no text.
    auto full = text.empty() ? nlohmann::ordered_json::object() : nlohmann::ordered_json::parse(text);
    full["owner"] = {
        {"host", config->owner.host}, {"port", config->owner.port}, {"data_dir", config->resolved_owner_data_dir()}};
    full["chunk_size"] = config->chunk_size;
    full["data_dir"] = config->data_dir;
    full["peers"] = nlohmann::ordered_json::array();
    for (const PeerConfig& peer : config->peers) {
        full["peers"].push_back({{"id", peer.id},
                                 {"host", peer.endpoint.host},
                                 {"port", peer.endpoint.port},
                                 {"download_neighbor", peer.download_neighbor},
                                 {"data_dir", config->peer_data_dir(peer)}});
    }
    std::cout << full.dump(2) << "\n";
    return 0;
}

std::filesystem::path own_directory()
{
    char path[4096];
    std::size_t size = sizeof(path);
    if (uv_exepath(path, &size) != 0) return ".";
    return std::filesystem::path(std::string(path, size)).parent_path();
}

Result<swarm::Display> display_of(const std::string& name)
{
    if (name == "auto") return ::isatty(STDOUT_FILENO) ? swarm::Display::live : swarm::Display::plain;
    if (name == "live") return swarm::Display::live;
    if (name == "plain") return swarm::Display::plain;
    if (name == "lines") return swarm::Display::lines;
    if (name == "quiet") return swarm::Display::quiet;
    return make_error("--display must be auto, live, plain, lines or quiet, not \"" + name + "\"");
}

// The work directory is emptied first (unless resuming), so it must be one this launcher made (or
// new).
Result<void> prepare_work(const std::filesystem::path& work, const std::filesystem::path& file, bool resume)
{
    const std::filesystem::path marker = work / ".chunkswarm-run";
    std::error_code ec;
    if (std::filesystem::exists(work) && !std::filesystem::is_empty(work, ec) && !std::filesystem::exists(marker)) {
        return make_error(work.string() + " exists and was not made by swarm; pass --work with a new directory");
    }
    // What every process holds stays; each peer goes on from the chunks that verify.
    if (resume && std::filesystem::exists(marker)) return {};
    auto relative = std::filesystem::relative(file, work, ec);
    if (!file.empty() && !ec && !relative.empty() && relative.native().rfind("..", 0) != 0) {
        return make_error(file.string() +
                          " is inside the work directory, which is emptied first; move it or pass --work");
    }
    std::filesystem::remove_all(work, ec);
    std::filesystem::create_directories(work / "logs", ec);
    if (ec) return make_error("cannot create " + (work / "logs").string() + ": " + ec.message());
    std::ofstream(marker) << "made by swarm; emptied at the start of every run\n";
    return {};
}

// Peers that may share a file system: any two run here, or through a command other than ssh
// (ip netns exec, sudo), or on one host.
bool peers_may_share_disk(const SwarmConfig& config)
{
    std::set<std::string> hosts;
    for (const PeerConfig& peer : config.peers) {
        const std::vector<std::string>& command = config.launch.for_host(peer.endpoint.host).command;
        if (command.empty() || command.front() != "ssh" || !hosts.insert(peer.endpoint.host).second) {
            return config.peers.size() > 1;
        }
    }
    return false;
}

// --output: an absolute path (each peer reads it on its own host), one per peer wherever peers may
// share a disk, never the owner's file, and (here, on a fresh run) not a directory left from before.
Result<std::string> check_output(const std::string& text, const SwarmConfig& config, const Flags& flags)
{
    if (text.empty()) return text;
    std::string output = text;
    const bool all_here = std::all_of(config.peers.begin(), config.peers.end(), [&config](const PeerConfig& peer) {
        return config.launch.for_host(peer.endpoint.host).command.empty();
    });
    if (output.front() != '/') {
        if (!all_here) return make_error("--output must be an absolute path: each peer reads it on its own host");
        output = std::filesystem::absolute(output).lexically_normal().string();
    }
    if (output.find("{id}") == std::string::npos && peers_may_share_disk(config)) {
        return make_error(
            "peers may share a disk (they run here, or on one host, or through a command other than "
            "ssh), so --output " +
            output +
            " would be one file for several; put {id} in it (for "
            "example " +
            output + "-{id})");
    }
    if (!all_here || flags.resume) return output;
    for (const PeerConfig& peer : config.peers) {
        const std::string copy = swarm::output_for(output, peer.id);
        std::error_code ec;
        if (!flags.file.empty() && std::filesystem::equivalent(copy, flags.file, ec)) {
            return make_error("--output " + copy + " is the file being sent; give the copies another path");
        }
        if (std::filesystem::is_directory(copy, ec)) {
            return make_error("--output " + copy +
                              " is a directory from an earlier run; remove it, or pass --resume "
                              "to go on with it");
        }
    }
    return output;
}

// The owner and peer programs must be in --bin-dir if any process runs here without a bin_dir of
// its own; elsewhere they are the hosts' business (a missing one fails that process's start).
Result<void> check_programs_here(const swarm::LaunchOptions& options)
{
    const SwarmConfig& config = options.config;
    std::vector<std::pair<const char*, std::string>> uses{{"owner", config.owner.host}};
    for (const PeerConfig& peer : config.peers)
        uses.emplace_back("peer", peer.endpoint.host);
    for (const auto& [program, host] : uses) {
        const HostLaunch launch = config.launch.for_host(host);
        if (!launch.command.empty() || !launch.bin_dir.empty()) continue;
        const std::string file = options.subcommands ? "chunkswarm" : program;
        if (::access((options.bin_dir / file).c_str(), X_OK) != 0) {
            return make_error("no " + file + " program in " + options.bin_dir.string() +
                              "; build the project or pass --bin-dir");
        }
    }
    return {};
}

Result<swarm::LaunchOptions> resolve(const Flags& flags, cli::Invocation invocation)
{
    swarm::LaunchOptions options;
    options.subcommands = invocation == cli::Invocation::subcommand;
    // Checked before anything is started or emptied.
    if (!(flags.interval_s > 0) || !std::isfinite(flags.interval_s))
        return make_error("--interval must be more than 0 seconds");
    if (!(flags.timeout_s >= 0) || !std::isfinite(flags.timeout_s))
        return make_error("--timeout must be 0 (no limit) or more seconds");
    options.config_path = std::filesystem::absolute(flags.config);
    auto config = config_with_hosts(options.config_path, flags.hosts, options.config_text);
    if (!config) return config.error();  // it names the file
    options.config = std::move(config).value();
    // The processes would refuse a short secret only once started.
    CS_TRY(resolve_secret(options.config.secret));
    CS_TRY_ASSIGN(options.output, check_output(flags.output, options.config, flags));
    if (!flags.expect.empty()) {
        auto pinned = parse_content_id(flags.expect);
        if (!pinned) return make_error("--expect: " + pinned.error().message);
        options.expect = std::move(pinned).value();
    }
    CS_TRY_ASSIGN(options.display, display_of(flags.display));
    CS_TRY_ASSIGN(options.metrics, cli::metrics_options(flags.metrics));
    if (options.metrics.bind) CS_TRY(net::resolve_endpoint(*options.metrics.bind, "--metrics"));
    options.work = std::filesystem::absolute(flags.work).lexically_normal();
    options.bin_dir = flags.bin_dir.empty() ? own_directory() : std::filesystem::path(flags.bin_dir);
    CS_TRY(check_programs_here(options));
    const bool owner_here = options.config.launch.for_host(options.config.owner.host).command.empty();
    if (!owner_here) {
        if (flags.file.empty() || flags.file.front() != '/') {
            return make_error(
                "the owner runs on another host (the config's launch command): give --file as the "
                "file's absolute path on that host");
        }
        options.file = flags.file;
    } else if (!flags.file.empty()) {
        options.file = std::filesystem::absolute(flags.file).lexically_normal();
        if (options.file.filename().empty()) options.file = options.file.parent_path();  // "dir/"
        CS_TRY(cli::check_source_path(options.file));
    }
    CS_TRY(prepare_work(options.work, options.file, flags.resume));
    if (!flags.hosts.empty()) {
        // Processes here read the config from a file: the one with the peers from --hosts.
        options.config_path = options.work / "config.json";
        std::ofstream(options.config_path) << options.config_text;
        if (!std::filesystem::exists(options.config_path)) {
            return make_error("cannot write " + options.config_path.string());
        }
    }
    const std::filesystem::path sample = options.work / "sample.bin";
    if (options.file.empty() && flags.resume && std::filesystem::exists(sample)) {
        options.file = sample;  // the same content as the run it resumes
        std::cout << "swarm: resuming with the sample " << sample.string() << "\n";
    } else if (options.file.empty()) {
        auto size = parse_size(flags.sample_size);
        if (!size || *size == 0)
            return make_error("--sample-size \"" + flags.sample_size + "\" is not a size like 5M or 1GiB");
        options.file = sample;
        if (!write_random_file(options.file, *size)) return make_error("cannot write " + options.file.string());
        std::cout << "swarm: no --file given; generated " << options.file.string() << " (" << *size
                  << " random bytes)\n";
    }
    options.interval_s = flags.interval_s;
    options.timeout_s = flags.timeout_s;
    options.together = flags.together;
    options.resume = flags.resume;
    for (const std::string& kill : flags.kills)
        CS_TRY_ASSIGN(options.kills.emplace_back(), swarm::parse_kill(kill, options.config));
    if (!flags.report.empty()) options.report = std::filesystem::absolute(flags.report);
    return options;
}

}  // namespace

int chunkswarm::swarm_cli(int argc, char** argv, cli::Invocation invocation)
{
    cli::prepare_process();
    Flags flags;
    CLI::App app(
        "Runs a whole chunkswarm swarm on this machine: the owner of the config, then its peers one at\n"
        "a time; shows each peer's progress, checks every copy and prints a verdict per peer.",
        cli::program_name("swarm", invocation));
    // The last of a repeated option counts, so wrappers can put defaults first.
    app.add_option("--config,-c", flags.config, "swarm config (configs/*.json)")
        ->required()
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    app.add_option("--file,-f", flags.file,
                   "the file or directory tree to distribute (default: a generated random sample)");
    app.add_option("--sample-size", flags.sample_size, "size of the generated sample (e.g. 5M, 1GiB)")
        ->capture_default_str();
    app.add_option("--work,-w", flags.work,
                   "directory for every process's data and log (emptied first, unless --resume)")
        ->capture_default_str()
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    app.add_flag("--together", flags.together, "start every peer at once instead of one at a time");
    app.add_option("--report", flags.report, "write a self-contained HTML report (charts and table) to this file");
    app.add_option("--display", flags.display,
                   "live (redrawn in place), plain (a progress line every --interval), lines (every "
                   "activity line of every program), quiet, or auto (live on a terminal, else plain)")
        ->capture_default_str();
    app.add_option("--interval", flags.interval_s, "seconds between plain progress lines")->capture_default_str();
    app.add_option("--timeout", flags.timeout_s, "stop everything after this many seconds (0: no limit)")
        ->capture_default_str();
    app.add_option("--kill", flags.kills,
                   "PEER@SECONDS: SIGKILL that peer this long after it starts, to watch the others route "
                   "around it (repeatable)");
    app.add_option("--output,-o", flags.output,
                   "where each peer puts the file (or tree), on its host; {id} becomes the peer's id, and is "
                   "needed when peers may share a disk: here, on one host, or through a command other than ssh "
                   "(default: in each peer's data directory)");
    app.add_option("--expect", flags.expect,
                   "the content id every peer must get (16-64 hex digits, as the owner prints it), passed to each "
                   "peer it starts: any other content is refused");
    app.add_option("--bin-dir", flags.bin_dir,
                   invocation == cli::Invocation::subcommand
                       ? "where the chunkswarm program is, for its owner and peer commands (default: beside this one)"
                       : "where the owner and peer programs are (default: beside swarm)");
    app.add_option("--hosts", flags.hosts,
                   "the peers, in ring order, as h1,h2,... or a file of one host a line: they replace the config's "
                   "peers (ids, ports and neighbours by position; the owner, settings and launch stay)");
    app.add_flag("--resume", flags.resume,
                 "go on from what an earlier run in the same --work left: nothing is emptied, each peer keeps the "
                 "chunks that verify (on other hosts too)");
    cli::add_metrics_flags(app, flags.metrics);
    app.add_flag("--print-config", flags.print_config,
                 "print the config in full (ids, ports, download neighbours and directories filled in) and exit");
    const int parsed = cli::parse(app, argc, argv, {"--config configs/ring5.json --file big.iso --report report.html"});
    if (parsed >= 0) return parsed;
    if (flags.print_config) return print_config(flags.config, flags.hosts);
    auto options = resolve(flags, invocation);
    if (!options) {
        std::cerr << "swarm: error: " << options.error().message << "\n";
        return 2;
    }
    const SwarmConfig& config = options->config;
    // As the processes it starts will see it (a short secret is theirs to refuse).
    const auto secret = resolve_secret(config.secret);  // checked in resolve()
    const net::TlsKeys keys{secret ? secret.value() : config.secret, config.tls.cert, config.tls.key, config.tls.ca};
    if (!keys.enabled()) std::cerr << "swarm: note: " << cli::unprotected_notice() << "\n";
    return swarm::launch(options.value());
}

// bench: the copy floor against the swarm on one machine, alternating runs, with figures to stdout
// and to JSON. See `bench --help` and the README's Performance section.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <random>

#include "chunkswarm/core/manifest.hpp"
#include "chunkswarm/core/settings.hpp"
#include "chunkswarm/core/sha256.hpp"
#include "chunkswarm/disk/file_digest.hpp"
#include "chunkswarm/disk/sample_file.hpp"
#include "copy_floor.hpp"
#include "libtorrent_run.hpp"
#include "swarm_run.hpp"

namespace chunkswarm::bench {
namespace {

struct Options {
    std::string size_text = "256MiB";
    std::uint64_t size = 0;
    std::uint32_t peers = 5;
    std::uint32_t runs = 3;
    std::uint32_t window = Settings{}.request_window;
    std::uint32_t chunk_size = kDefaultChunkSize;
    std::uint32_t timeout_s = 900;
    std::filesystem::path work = "bench-work";
    std::filesystem::path json;
    std::filesystem::path bin_dir;
    std::filesystem::path against_bin_dir;
    bool tls = false;      // this build with a swarm secret beside it without, in place of --against
    bool all_tls = false;  // every swarm with a secret: an A/B of two builds' TLS
    bool skip_floor = false;
    bool keep = false;
    bool drop_chunks = false;
    bool no_helpers = false;
    bool early_trading = false;
    bool after_share = false;
    bool libtorrent = false;
    std::string libtorrent_kind = "v1";
    bool ready_source = false;  // peers start once the owner (libtorrent's seed) is ready
    std::string link_rate_text;
    std::uint64_t link_rate = 0;  // bytes per second; 0: no cap
    std::string slow_text;        // K@RATE
    std::string kill_text;        // K@SECONDS
    std::uint64_t seed = 0;       // picks the slow and the killed peers; printed
    // Chosen from the seed once, the same peers in every run.
    std::map<std::uint32_t, std::uint64_t> slow_peers;
    std::string slow_way = "upload";  // which of the slow peers' caps: upload, download or both
    std::vector<std::uint32_t> killed;
    std::chrono::milliseconds kill_after{0};
    std::filesystem::path python = "/usr/bin/python3";
};

// Random bytes, so no chunk hashes like another; kept between runs of the bench.
bool make_input(const std::filesystem::path& path, std::uint64_t size)
{
    std::error_code ec;
    if (std::filesystem::file_size(path, ec) == size && !ec) return true;
    std::cout << "bench: writing a " << size << "-byte random input to " << path.string() << "\n";
    return write_random_file(path, size);
}

// Checks every copy against the input, two at a time (this machine has two cores).
std::string verify_copies(const std::vector<std::filesystem::path>& copies, const Digest& expected)
{
    std::vector<std::future<std::string>> checks;
    std::string error;
    for (std::size_t i = 0; i < copies.size(); ++i) {
        checks.push_back(std::async(std::launch::async, [&expected, path = copies[i]] {
            auto digest = sha256_of_file(path);
            if (!digest) return path.string() + " is missing";
            return *digest == expected ? std::string() : path.string() + " differs from the input";
        }));
        if (checks.size() == 2 || i + 1 == copies.size()) {
            for (auto& check : checks) {
                std::string outcome = check.get();
                if (error.empty()) error = outcome;
            }
            checks.clear();
        }
    }
    return error;
}

std::string verify_outputs(const SwarmSetup& setup, const Digest& expected)
{
    std::vector<std::filesystem::path> copies;
    for (std::uint32_t id = 1; id <= setup.peers; ++id)
        if (std::find(setup.killed.begin(), setup.killed.end(), id) == setup.killed.end())
            copies.push_back(peer_output(setup, id));
    return verify_copies(copies, expected);
}

// Each timed run starts with nothing waiting to be written back, so no run pays for the dirty
// pages the one before it left (the swarm writes far more than the floor does).
void settle_disk() { ::sync(); }

// A finished run's files are set aside rather than deleted until the bench ends, when the disk has
// room: on ext4 without a journal (this VM's root), creating a file skips every inode deleted in
// the last one to six minutes (`recently_deleted` in find_inode_bit), so deleting one run's sixty
// thousand chunk files made the next run's owner split take twice as long. Their pages are
// dropped (after sync, so they are clean) so the next run still finds the memory free.
class SpentRuns {
public:
    explicit SpentRuns(std::filesystem::path dir) : dir_(std::move(dir)) { std::filesystem::remove_all(dir_); }
    ~SpentRuns() { std::filesystem::remove_all(dir_); }
    SpentRuns(const SpentRuns&) = delete;
    SpentRuns& operator=(const SpentRuns&) = delete;

    // Returns false (and deletes `run_dir`) when keeping it would leave too little for `next_run_bytes`.
    bool set_aside(const std::filesystem::path& run_dir, std::uint64_t next_run_bytes)
    {
        std::error_code ec;
        const auto space = std::filesystem::space(run_dir, ec);
        if (ec || space.available < next_run_bytes + next_run_bytes / 4) {
            std::filesystem::remove_all(run_dir);
            return false;
        }
        std::filesystem::create_directories(dir_);
        std::filesystem::rename(run_dir, dir_ / ("run-" + std::to_string(++count_)));
        settle_disk();
        drop_cached_pages(dir_);
        return true;
    }

private:
    static void drop_cached_pages(const std::filesystem::path& dir)
    {
        std::error_code ec;
        for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
            if (!entry.is_regular_file(ec)) continue;
            int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) continue;
            ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
            ::close(fd);
        }
    }

    std::filesystem::path dir_;
    std::uint32_t count_ = 0;
};

struct Figure {
    std::string name;
    std::string unit;
    std::vector<double> values;
};

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    std::size_t n = v.size();
    return n == 0 ? 0 : (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
}

class Report {
public:
    // A figure a run's logs did not give (NaN) is left out rather than spoiling the median.
    void add(const std::string& name, const std::string& unit, double value)
    {
        if (std::isnan(value)) return;
        auto it = std::find_if(figures_.begin(), figures_.end(), [&](const Figure& f) { return f.name == name; });
        if (it == figures_.end()) it = figures_.insert(figures_.end(), Figure{name, unit, {}});
        it->values.push_back(value);
    }
    double median_of(const std::string& name) const
    {
        for (const auto& f : figures_)
            if (f.name == name) return median(f.values);
        return 0;
    }
    void print() const
    {
        std::printf("%-38s %10s %10s %10s\n", "figure", "min", "median", "max");
        for (const auto& f : figures_) {
            auto [lo, hi] = std::minmax_element(f.values.begin(), f.values.end());
            std::printf("%-38s %10.2f %10.2f %10.2f\n", (f.name + " (" + f.unit + ")").c_str(), *lo, median(f.values),
                        *hi);
        }
    }
    nlohmann::json to_json() const
    {
        nlohmann::json out = nlohmann::json::object();
        for (const auto& f : figures_) {
            auto [lo, hi] = std::minmax_element(f.values.begin(), f.values.end());
            out[f.name] = {
                {"unit", f.unit}, {"min", *lo}, {"median", median(f.values)}, {"max", *hi}, {"values", f.values}};
        }
        return out;
    }

private:
    std::vector<Figure> figures_;
};

constexpr double kMiB = 1024.0 * 1024.0;

// A ratio of two medians, as one more line under a figure table.
void print_ratio_line(const char* name, double ratio) { std::printf("%-38s %10s %10.2f\n", name, "", ratio); }

// Where this bench program lives (build/tools): the libtorrent script is copied next to it.
std::filesystem::path bench_dir() { return std::filesystem::canonical("/proc/self/exe").parent_path(); }

constexpr double kGiB = 1024.0 * kMiB;

enum class Pick { earliest, latest };

// The earliest (or latest) of a figure over the peers' logs; NaN when no log has it.
double across_peers(const SwarmResult& swarm, std::optional<double> LogFacts::*fact, Pick pick)
{
    const bool latest = pick == Pick::latest;
    double found = NAN;
    for (const auto& facts : swarm.peer_facts) {
        const double value = (facts.*fact).value_or(NAN);
        if (std::isnan(found) || (latest ? value > found : value < found)) found = value;
    }
    return found;
}

// When a run reached each milestone (seconds since the owner started), so that its time splits into
// phases: the owner's split, the shares, the trading, the join and the exits.
void record_milestones(Report& report, const SwarmResult& swarm)
{
    report.add("owner split done (manifest ready)", "s", swarm.owner_facts.split_s.value_or(NAN));
    report.add("first chunk stored at a peer", "s", across_peers(swarm, &LogFacts::first_chunk_s, Pick::earliest));
    report.add("bootstrap from owner, first peer", "s", across_peers(swarm, &LogFacts::bootstrap_s, Pick::earliest));
    report.add("bootstrap from owner, last peer", "s", across_peers(swarm, &LogFacts::bootstrap_s, Pick::latest));
    report.add("last peer joined", "s", across_peers(swarm, &LogFacts::joined_s, Pick::latest));
}

// The q-quantile (0..1) of `values`, nearest rank; NaN for none.
double quantile(std::vector<double> values, double q)
{
    if (values.empty()) return NAN;
    std::sort(values.begin(), values.end());
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size())));
    return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

// When each peer held the file (its join; its exit if the log has none) as p50, p90, p99 and max,
// the slow peers (--slow) apart from the others, leaving out the peers killed on purpose (--kill);
// the owner's exit after the last of them; and with a link rate U the total time T against the
// ideal F/U (file size over one host's upload rate).
void record_finishes(Report& report, const SwarmResult& swarm, const SwarmSetup& setup, std::uint64_t size)
{
    std::vector<double> others, slow;
    for (std::size_t i = 0; i < swarm.peers.size(); ++i) {
        const auto id = static_cast<std::uint32_t>(i + 1);
        if (std::find(setup.killed.begin(), setup.killed.end(), id) != setup.killed.end()) continue;
        const double at = swarm.peer_facts[i].joined_s.value_or(swarm.peers[i].wall_s);
        (setup.slow_peers.count(id) != 0 ? slow : others).push_back(at);
    }
    const double last = std::max(quantile(others, 1.0), slow.empty() ? 0.0 : quantile(slow, 1.0));
    const std::string who = slow.empty() ? "peer" : "other peers'";
    report.add(who + " finish p50", "s", quantile(others, 0.50));
    report.add(who + " finish p90", "s", quantile(others, 0.90));
    report.add(who + " finish p99", "s", quantile(others, 0.99));
    report.add(who + " finish max", "s", quantile(others, 1.0));
    report.add(who + " finish p99 / p50", "x", quantile(others, 0.99) / quantile(others, 0.50));
    if (!slow.empty()) report.add("slow peers' finish max", "s", quantile(slow, 1.0));
    report.add("owner exit after the last peer", "s", swarm.owner.wall_s - last);
    if (setup.link_rate == 0) return;
    const double ideal_s = static_cast<double>(size) / static_cast<double>(setup.link_rate);
    report.add("T / (F/U)", "x", swarm.wall_s / ideal_s);
    report.add(who + " finish max / (F/U)", "x", quantile(others, 1.0) / ideal_s);
    if (!slow.empty()) report.add("slow peers' finish max / (F/U)", "x", quantile(slow, 1.0) / ideal_s);
}

void record_swarm(Report& report, const SwarmResult& swarm, const SwarmSetup& setup, std::uint64_t size,
                  nlohmann::json& run_json)
{
    double peer_rss = 0, peer_cpu = 0;
    nlohmann::json peers = nlohmann::json::array();
    for (std::size_t i = 0; i < swarm.peers.size(); ++i) {
        const auto& peer = swarm.peers[i];
        const auto& facts = swarm.peer_facts[i];
        const double rss = facts.peak_rss_mib.value_or(NAN);
        peer_rss = std::max(peer_rss, rss);
        peer_cpu += peer.cpu_s;
        peers.push_back({{"id", i + 1},
                         {"exit_s", peer.wall_s},
                         {"first_chunk_s", facts.first_chunk_s.value_or(NAN)},
                         {"bootstrap_s", facts.bootstrap_s.value_or(NAN)},
                         {"joined_s", facts.joined_s.value_or(NAN)},
                         {"peak_rss_mib", rss},
                         {"cpu_s", peer.cpu_s}});
    }
    const double delivered_gib = static_cast<double>(size) * static_cast<double>(swarm.peers.size()) / kGiB;
    report.add("swarm", "s", swarm.wall_s);
    if (setup.ready_owner) {
        report.add("owner hashing before the peers started", "s", swarm.ready_s);
        report.add("swarm from a ready owner", "s", swarm.wall_s - swarm.ready_s);
    }
    report.add("throughput per peer", "MiB/s", static_cast<double>(size) / kMiB / swarm.wall_s);
    const double owner_rss = swarm.owner_facts.peak_rss_mib.value_or(NAN);
    report.add("owner peak RSS", "MiB", owner_rss);
    report.add("peer peak RSS, largest", "MiB", peer_rss);
    report.add("owner CPU", "s", swarm.owner.cpu_s);
    report.add("peer CPU, all peers", "s", peer_cpu);
    report.add("CPU, every process", "s", swarm.owner.cpu_s + peer_cpu);
    report.add("CPU per GiB delivered", "s", (swarm.owner.cpu_s + peer_cpu) / delivered_gib);
    record_milestones(report, swarm);
    record_finishes(report, swarm, setup, size);
    run_json["swarm_s"] = swarm.wall_s;
    if (setup.ready_owner) run_json["swarm_from_ready_owner_s"] = swarm.wall_s - swarm.ready_s;
    run_json["owner"] = {{"exit_s", swarm.owner.wall_s},
                         {"split_s", swarm.owner_facts.split_s.value_or(NAN)},
                         {"peak_rss_mib", owner_rss},
                         {"cpu_s", swarm.owner.cpu_s}};
    run_json["peers"] = peers;
}

void print_bootstraps(const SwarmResult& swarm)
{
    std::printf("bootstrap times, last run (s since the owner started, peer 1 first):");
    for (const auto& facts : swarm.peer_facts)
        std::printf(" %.2f", facts.bootstrap_s.value_or(NAN));
    std::printf("\n");
}

// "K@VALUE" into K and VALUE's text; K must be 1..peers.
std::optional<std::pair<std::uint32_t, std::string>> split_count_at(const std::string& text, std::uint32_t peers)
{
    const auto at = text.find('@');
    if (at == std::string::npos || at == 0) return std::nullopt;
    char* end = nullptr;
    const unsigned long count = std::strtoul(text.c_str(), &end, 10);
    if (end != text.c_str() + at || count == 0 || count > peers) return std::nullopt;
    return std::pair{static_cast<std::uint32_t>(count), text.substr(at + 1)};
}

// Chooses the --slow and --kill peers from the seed (disjoint sets); an error message, or "".
std::string pick_faulty_peers(Options& options)
{
    if (options.slow_text.empty() && options.kill_text.empty()) return "";
    if (options.seed == 0) options.seed = static_cast<std::uint64_t>(std::time(nullptr));
    std::vector<std::uint32_t> ids(options.peers);
    std::iota(ids.begin(), ids.end(), 1u);
    std::shuffle(ids.begin(), ids.end(), std::mt19937_64(options.seed));
    std::size_t next = 0;
    if (!options.slow_text.empty()) {
        // At least one peer is not slow: the others' figures are the point.
        auto slow = split_count_at(options.slow_text, options.peers - 1);
        auto rate = slow ? chunkswarm::parse_rate(slow->second) : make_error("no rate");
        if (!slow || !rate || rate.value() < chunkswarm::kMinRate) {
            return "--slow " + options.slow_text +
                   " is not K@RATE with K 1..--peers-1 and RATE at least 100k (try 10@200k)";
        }
        for (std::uint32_t i = 0; i < slow->first; ++i)
            options.slow_peers[ids[next++]] = rate.value();
    }
    if (!options.kill_text.empty()) {
        auto kill = split_count_at(options.kill_text, options.peers);
        char* end = nullptr;
        const double seconds = kill ? std::strtod(kill->second.c_str(), &end) : -1;
        if (!kill || end == kill->second.c_str() || *end != '\0' || !(seconds >= 0) ||
            next + kill->first >= options.peers) {
            return "--kill " + options.kill_text +
                   " is not K@SECONDS with K peers (fewer than --peers, with the --slow ones) and SECONDS >= 0 (try "
                   "5@30)";
        }
        options.kill_after = std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
        for (std::uint32_t i = 0; i < kill->first; ++i)
            options.killed.push_back(ids[next++]);
        std::sort(options.killed.begin(), options.killed.end());
    }
    return "";
}

constexpr const char* kBenchSecret = "chunkswarm bench secret, 32 bytes";

// The input, a directory named `name` under --work, the peers and the time limit.
RunSetup run_setup(const Options& options, const std::filesystem::path& input, const char* name)
{
    return RunSetup{.input = input,
                    .dir = std::filesystem::absolute(options.work / name),
                    .peers = options.peers,
                    .timeout_s = options.timeout_s};
}

SwarmSetup swarm_setup(const Options& options, const std::filesystem::path& input, const std::filesystem::path& bin_dir)
{
    SwarmSetup setup;
    static_cast<RunSetup&>(setup) = run_setup(options, input, "swarm");
    setup.owner_bin = bin_dir / "owner";
    setup.peer_bin = bin_dir / "peer";
    setup.chunk_size = options.chunk_size;
    setup.window = options.window;
    setup.keep_chunk_files = !options.drop_chunks;
    setup.helpers = !options.no_helpers;
    setup.link_rate = options.link_rate;
    setup.slow_peers = options.slow_peers;
    if (options.all_tls) setup.secret = kBenchSecret;
    setup.slow_flags.clear();
    if (options.slow_way != "download") setup.slow_flags.push_back("--max-upload-rate");
    if (options.slow_way != "upload") setup.slow_flags.push_back("--max-download-rate");
    setup.killed = options.killed;
    setup.kill_after = options.kill_after;
    if (options.early_trading) setup.early_trading = true;
    if (options.after_share) setup.early_trading = false;
    setup.ready_owner = options.ready_source;
    return setup;
}

// The same swarm with a secret in its config: every connection TLS.
SwarmSetup tls_setup(const Options& options, const std::filesystem::path& input)
{
    SwarmSetup setup = swarm_setup(options, input, options.bin_dir);
    setup.secret = kBenchSecret;
    return setup;
}

LibtorrentSetup libtorrent_setup(const Options& options, const std::filesystem::path& input)
{
    LibtorrentSetup setup;
    static_cast<RunSetup&>(setup) = run_setup(options, input, "libtorrent");
    setup.python = options.python;
    setup.script = bench_dir() / "libtorrent_swarm.py";
    setup.kind = options.libtorrent_kind;
    setup.ready_seed = options.ready_source;
    return setup;
}

void record_libtorrent(Report& report, const LibtorrentResult& run, std::uint64_t size, std::uint32_t peers,
                       nlohmann::json& run_json)
{
    report.add("libtorrent swarm", "s", run.wall_s);
    report.add("throughput per peer", "MiB/s", static_cast<double>(size) / kMiB / run.wall_s);
    report.add("torrent creation (hashing)", "s", run.create_torrent_s);
    report.add("every process listening", "s", run.listening_s);
    if (run.ready_s > 0) {
        report.add("seed ready (torrent made, listening)", "s", run.ready_s);
        report.add("libtorrent from a ready seed", "s", run.wall_s - run.ready_s);
    }
    report.add("seed peak RSS", "MiB", run.seed_peak_rss_mib);
    report.add("peer peak RSS, largest", "MiB", run.peer_peak_rss_mib);
    report.add("seed CPU", "s", run.seed_cpu_s);
    report.add("peer CPU, all peers", "s", run.peers_cpu_s);
    report.add("CPU, every process", "s", run.seed_cpu_s + run.peers_cpu_s);
    report.add("CPU per GiB delivered", "s",
               (run.seed_cpu_s + run.peers_cpu_s) / (static_cast<double>(size) * peers / kGiB));
    run_json["libtorrent"] = {{"wall_s", run.wall_s},
                              {"create_torrent_s", run.create_torrent_s},
                              {"listening_s", run.listening_s},
                              {"from_ready_seed_s", run.ready_s > 0 ? run.wall_s - run.ready_s : NAN},
                              {"seed_cpu_s", run.seed_cpu_s},
                              {"peers_cpu_s", run.peers_cpu_s},
                              {"seed_peak_rss_mib", run.seed_peak_rss_mib},
                              {"peer_peak_rss_mib", run.peer_peak_rss_mib}};
}

// One invocation: its runs of the floor, of this build's swarm, of the --against build's and of
// libtorrent's.
class Bench {
public:
    Bench(const Options& options, const std::filesystem::path& input, const Digest& expected)
        : options_(options),
          input_(input),
          expected_(expected),
          setup_(swarm_setup(options, input, options.bin_dir)),
          against_setup_(options.tls ? tls_setup(options, input)
                                     : swarm_setup(options, input, options.against_bin_dir)),
          libtorrent_setup_(libtorrent_setup(options, input)),
          spent_(options.work / "spent")
    {
    }

    bool run_all()
    {
        for (std::uint32_t r = 1; r <= options_.runs; ++r) {
            nlohmann::json run_json = {{"run", r}};
            if (!options_.skip_floor && !floor_run(r, run_json)) return false;
            if (!swarm_runs(r, run_json)) return false;
            std::fflush(stdout);
            runs_.push_back(run_json);
        }
        if (options_.keep) {
            std::printf("the last swarm's data, config and logs are kept in %s\n", setup_.dir.string().c_str());
        }
        return true;
    }

    void print() const
    {
        std::printf("\n");
        report_.print();
        if (!options_.skip_floor) print_ratio(report_);
        print_bootstraps(last_);
        if (options_.libtorrent) print_libtorrent();
        if (!comparing()) return;
        std::printf("\nagainst %s (its runs alternate with this build's):\n", other_label().c_str());
        against_.print();
        if (!options_.skip_floor) print_ratio(against_);
    }

    nlohmann::json to_json() const
    {
        const double ratio = options_.skip_floor ? 0 : over_floor(report_);
        nlohmann::json against;
        if (comparing())
            against = {
                {"bin_dir", options_.against_bin_dir.string()}, {"tls", options_.tls}, {"figures", against_.to_json()}};
        nlohmann::json libtorrent;
        if (options_.libtorrent) {
            libtorrent = {{"version", libtorrent_version_},
                          {"torrent", options_.libtorrent_kind},
                          {"piece_bytes", libtorrent_piece_bytes_},
                          {"swarm_over_libtorrent", over_libtorrent()},
                          {"cpu_swarm_over_libtorrent",
                           report_.median_of("CPU, every process") / libtorrent_.median_of("CPU, every process")},
                          {"figures", libtorrent_.to_json()}};
        }
        return {{"size_bytes", options_.size},
                {"peers", options_.peers},
                {"runs", options_.runs},
                {"chunk_size", options_.chunk_size},
                {"request_window", options_.window},
                {"keep_chunk_files", !options_.drop_chunks},
                {"helpers", !options_.no_helpers},
                {"link_rate", options_.link_rate},
                {"ready_source", options_.ready_source},
                {"faults", faults_json()},
                {"early_trading", options_.early_trading ? "true"
                                  : options_.after_share ? "false"
                                                         : "default"},
                {"swarm_over_floor", ratio},
                {"figures", report_.to_json()},
                {"against", against},
                {"libtorrent", libtorrent},
                {"per_run", runs_}};
    }

private:
    bool comparing() const { return options_.tls || !options_.against_bin_dir.empty(); }
    std::string other_label() const
    {
        return options_.tls ? std::string("this build with TLS (a swarm secret)") : options_.against_bin_dir.string();
    }

    // The --slow and --kill peers and the seed that chose them.
    nlohmann::json faults_json() const
    {
        nlohmann::json slow = nlohmann::json::array();
        for (const auto& [id, rate] : options_.slow_peers)
            slow.push_back({{"id", id}, {"rate", rate}});
        return {{"seed", options_.seed},
                {"slow", slow},
                {"slow_way", options_.slow_way},
                {"killed", options_.killed},
                {"kill_after_s", static_cast<double>(options_.kill_after.count()) / 1000.0}};
    }

    double over_libtorrent() const { return report_.median_of("swarm") / libtorrent_.median_of("libtorrent swarm"); }
    void print_libtorrent() const
    {
        std::printf(
            "\nlibtorrent %s (python3-libtorrent), %s torrent of %u-byte pieces, one seed and %u peers, each its "
            "own process (its runs alternate with this build's):\n",
            libtorrent_version_.c_str(), options_.libtorrent_kind.c_str(), libtorrent_piece_bytes_, options_.peers);
        libtorrent_.print();
        print_ratio_line("swarm / libtorrent (medians)", over_libtorrent());
        if (options_.ready_source) {
            print_ratio_line(
                "ready owner / ready seed (medians)",
                report_.median_of("swarm from a ready owner") / libtorrent_.median_of("libtorrent from a ready seed"));
        }
        print_ratio_line("CPU swarm / libtorrent (medians)",
                         report_.median_of("CPU, every process") / libtorrent_.median_of("CPU, every process"));
    }

    // A build's median swarm time over the median floor (the floor runs are this build's report).
    double over_floor(const Report& swarms) const
    {
        return swarms.median_of("swarm") / report_.median_of("copy floor");
    }
    void print_ratio(const Report& swarms) const { print_ratio_line("swarm / floor (medians)", over_floor(swarms)); }

    bool floor_run(std::uint32_t r, nlohmann::json& run_json)
    {
        settle_disk();
        auto floor_dir = options_.work / "floor";
        std::filesystem::remove_all(floor_dir);
        std::filesystem::create_directories(floor_dir);
        std::vector<std::filesystem::path> copies;
        for (std::uint32_t i = 1; i <= options_.peers; ++i)
            copies.push_back(floor_dir / ("copy-" + std::to_string(i)));
        FloorResult floor = run_copy_floor(input_, options_.size, copies);
        std::filesystem::remove_all(floor_dir);
        if (!floor.error.empty()) {
            std::cerr << "bench: copy floor failed: " << floor.error << "\n";
            return false;
        }
        report_.add("copy floor", "s", floor.wall_s);
        run_json["floor_s"] = floor.wall_s;
        std::printf("run %u: copy floor %.2f s\n", r, floor.wall_s);
        std::fflush(stdout);
        return true;
    }

    // This build's swarm, and the other build's when comparing; the two take turns going first,
    // so neither always runs on a fresher machine.
    bool swarm_runs(std::uint32_t r, nlohmann::json& run_json)
    {
        // libtorrent too takes turns: after chunkswarm in odd runs, before it in even ones.
        const bool libtorrent_first = r % 2 == 0;
        if (options_.libtorrent && libtorrent_first && !libtorrent_run(r, run_json)) return false;
        if (!chunkswarm_runs(r, run_json)) return false;
        return !options_.libtorrent || libtorrent_first || libtorrent_run(r, run_json);
    }

    bool chunkswarm_runs(std::uint32_t r, nlohmann::json& run_json)
    {
        const bool final_run = r == options_.runs;
        if (!comparing()) return this_build(r, run_json, final_run);
        if (r % 2 == 1) return this_build(r, run_json, false) && other_build(r, run_json, final_run);
        return other_build(r, run_json, false) && this_build(r, run_json, final_run);
    }

    bool libtorrent_run(std::uint32_t r, nlohmann::json& run_json)
    {
        settle_disk();
        LibtorrentResult result = run_libtorrent(libtorrent_setup_);
        if (result.error.empty()) result.error = verify_copies(result.outputs, expected_);
        // A handful of large files: deleting them does not slow the next run's file creation.
        std::filesystem::remove_all(libtorrent_setup_.dir / "data");
        if (!result.error.empty()) {
            std::cerr << "bench: libtorrent run " << r << " failed: " << result.error << "\n";
            return false;
        }
        libtorrent_version_ = result.version;
        libtorrent_piece_bytes_ = result.piece_bytes;
        record_libtorrent(libtorrent_, result, options_.size, options_.peers, run_json);
        std::printf("run %u: libtorrent %.2f s, every copy byte-identical\n", r, result.wall_s);
        return true;
    }

    bool this_build(std::uint32_t r, nlohmann::json& run_json, bool last_of_all)
    {
        if (!swarm_run(r, setup_, last_, report_, run_json, last_of_all)) return false;
        std::printf("run %u: swarm %.2f s, every copy byte-identical\n", r, last_.wall_s);
        return true;
    }

    bool other_build(std::uint32_t r, nlohmann::json& run_json, bool last_of_all)
    {
        nlohmann::json against_json;
        SwarmResult result;
        if (!swarm_run(r, against_setup_, result, against_, against_json, last_of_all)) return false;
        run_json["against"] = against_json;
        std::printf("run %u: swarm of %s %.2f s, every copy byte-identical\n", r, other_label().c_str(), result.wall_s);
        return true;
    }

    // One swarm run of `build`; its files are set aside unless it is the very last run.
    bool swarm_run(std::uint32_t r, const SwarmSetup& build, SwarmResult& result, Report& into,
                   nlohmann::json& into_json, bool last_of_all)
    {
        settle_disk();
        result = run_swarm(build);
        if (result.error.empty()) result.error = verify_outputs(build, expected_);
        if (!result.error.empty()) {
            std::cerr << "bench: swarm run " << r << " (" << build.owner_bin.parent_path().string()
                      << ") failed: " << result.error << "\n";
            return false;
        }
        record_swarm(into, result, build, options_.size, into_json);
        if (last_of_all) {
            if (!options_.keep) std::filesystem::remove_all(build.dir);
        } else {
            set_aside(build.dir);
        }
        return true;
    }

    void set_aside(const std::filesystem::path& run_dir)
    {
        // What one swarm run writes: the owner's chunk files, and each peer's chunk files and joined file.
        const std::uint64_t swarm_bytes = options_.size * (2ull * options_.peers + 1);
        if (spent_.set_aside(run_dir, swarm_bytes) || warned_about_deleting_) return;
        std::printf(
            "bench: not enough free disk to keep each run's files until the end; deleting them "
            "between runs instead, which slows file creation in the next run on ext4 without a "
            "journal\n");
        warned_about_deleting_ = true;
    }

    const Options& options_;
    const std::filesystem::path input_;
    const Digest expected_;
    const SwarmSetup setup_;
    const SwarmSetup against_setup_;          // used only with --against
    const LibtorrentSetup libtorrent_setup_;  // used only with --libtorrent
    SpentRuns spent_;
    bool warned_about_deleting_ = false;
    Report report_;
    Report against_;  // the --against build's figures
    Report libtorrent_;
    std::string libtorrent_version_;
    std::uint32_t libtorrent_piece_bytes_ = 0;
    SwarmResult last_;
    nlohmann::json runs_ = nlohmann::json::array();
};

int run(const Options& options)
{
    std::filesystem::create_directories(options.work);
    const auto input = std::filesystem::absolute(options.work / ("input-" + options.size_text + ".bin"));
    if (!make_input(input, options.size)) {
        std::cerr << "bench: cannot write " << input.string() << "\n";
        return 1;
    }
    auto expected = sha256_of_file(input);
    if (!expected) {
        std::cerr << "bench: cannot read " << input.string() << "\n";
        return 1;
    }
    std::printf(
        "bench: %s file (%llu bytes), %u peers in a ring, chunk %u bytes, request window %u, %u run(s); "
        "chunk files %s%s; floor and swarm alternate%s\n",
        options.size_text.c_str(), static_cast<unsigned long long>(options.size), options.peers, options.chunk_size,
        options.window, options.runs, options.drop_chunks ? "not written (only the joined file)" : "kept (the default)",
        options.early_trading ? "; early trading"
        : options.after_share ? "; trading after the whole share"
                              : "",
        options.libtorrent ? "; libtorrent alternates too" : "");
    if (!options.slow_peers.empty() || !options.killed.empty()) {
        std::string slow, killed;
        for (const auto& [id, rate] : options.slow_peers)
            slow += (slow.empty() ? "" : ", ") + std::to_string(id);
        for (std::uint32_t id : options.killed)
            killed += (killed.empty() ? "" : ", ") + std::to_string(id);
        std::printf("bench: seed %llu", static_cast<unsigned long long>(options.seed));
        if (!slow.empty()) {
            std::printf("; slow (%s capped at %llu bytes/s): [%s]", options.slow_way.c_str(),
                        static_cast<unsigned long long>(options.slow_peers.begin()->second), slow.c_str());
        }
        if (!killed.empty()) {
            std::printf("; killed at %.1f s: [%s]", static_cast<double>(options.kill_after.count()) / 1000.0,
                        killed.c_str());
        }
        std::printf("\n");
    }
    if (options.ready_source) {
        std::printf(
            "bench: the peers start once the owner has hashed its file%s (--ready-source); times from the "
            "start and from then are both printed\n",
            options.libtorrent ? " and once libtorrent's seed listens with its torrent made" : "");
    }
    if (options.link_rate != 0) {
        const double ideal_s = static_cast<double>(options.size) / static_cast<double>(options.link_rate);
        const double chunks = std::ceil(static_cast<double>(options.size) / options.chunk_size);
        std::printf(
            "bench: every process capped at %llu bytes/s both ways (--link-rate): F/U = %.2f s; a pipelined "
            "ring's bound F/U*(1+(N-1)/M) = %.2f s (N %u peers, M %.0f chunks)\n",
            static_cast<unsigned long long>(options.link_rate), ideal_s, ideal_s * (1.0 + (options.peers - 1) / chunks),
            options.peers, chunks);
    }
    std::fflush(stdout);

    Bench bench(options, input, *expected);
    if (!bench.run_all()) return 1;
    bench.print();
    auto json_path = options.json.empty() ? options.work / "bench.json" : options.json;
    // Paths in it need not be UTF-8: bad bytes become U+FFFD rather than an exception.
    std::ofstream(json_path) << bench.to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    std::printf("figures written to %s\n", json_path.string().c_str());
    return 0;
}

}  // namespace
}  // namespace chunkswarm::bench

int main(int argc, char** argv)
{
    using namespace chunkswarm::bench;
    Options options;
    CLI::App app{
        "Times the copy floor (N plain TCP copies of the file from one sender over loopback) against\n"
        "the swarm (owner + N peers in a ring), alternating, and prints min/median/max of each figure."};
    app.add_option("--size", options.size_text, "input size: bytes, or with K/KiB, M/MiB, G/GiB (default 256MiB)");
    app.add_option("--peers", options.peers, "peers in the ring (default 5)")->check(CLI::Range(2, 256));
    app.add_option("--runs", options.runs, "floor + swarm pairs to run (default 3)")->check(CLI::Range(1, 100));
    app.add_option("--window", options.window, "request window per neighbour")
        ->capture_default_str()
        ->check(CLI::Range(1, 1024));
    app.add_option("--chunk-size", options.chunk_size, "bytes per chunk")
        ->capture_default_str()
        ->check(CLI::Range(1024, 16 << 20));
    app.add_option("--work", options.work, "input cache and scratch space (default ./bench-work)");
    app.add_option("--json", options.json, "where the figures go as JSON (default WORK/bench.json)");
    app.add_option("--timeout", options.timeout_s, "seconds a swarm run may take (default 900)");
    app.add_flag("--no-floor", options.skip_floor, "time only the swarm");
    auto* early = app.add_flag("--early-trading", options.early_trading,
                               "peers trade once their first chunks from the owner are stored, while the rest of "
                               "their shares arrives (early_trading: true, the default of this build)");
    app.add_flag("--after-share", options.after_share,
                 "peers trade only once they hold their whole share from the owner (early_trading: false)")
        ->excludes(early);
    app.add_flag("--no-helpers", options.no_helpers,
                 "peers never download from a second source beside their neighbour (helpers: false)");
    app.add_flag("--drop-chunks", options.drop_chunks,
                 "peers write no chunk files, only the joined file (keep_chunk_files: false)");
    app.add_flag("--keep", options.keep, "keep the last swarm's data and logs (WORK/swarm)");
    app.add_flag("--libtorrent", options.libtorrent,
                 "each run also times libtorrent doing the same job (one seed, the same number of peers, each its "
                 "own process); needs Debian's python3-libtorrent");
    app.add_option("--libtorrent-torrent", options.libtorrent_kind,
                   "torrent format for --libtorrent: v1 (the fastest here), v2 or hybrid (libtorrent's default)")
        ->capture_default_str()
        ->check(CLI::IsMember({"v1", "v2", "hybrid"}));
    app.add_flag("--ready-source", options.ready_source,
                 "start the owner (and libtorrent's seed) first and the peers once it is ready: the owner's "
                 "file hashed, the seed's torrent made and the seed listening; prints each tool's time from then "
                 "beside its time from the start");
    app.add_option("--python", options.python, "the Python that has libtorrent")->capture_default_str();
    app.add_option("--bin-dir", options.bin_dir, "where owner and peer are (default: next to bench)");
    app.add_option("--against", options.against_bin_dir,
                   "another build's owner and peer (a directory): each run also times that swarm, for an A/B");
    app.add_flag("--tls", options.tls,
                 "each run also times this build with a swarm secret, so that every connection is TLS (alternating "
                 "with the plain runs)")
        ->excludes("--against");
    app.add_flag("--all-tls", options.all_tls,
                 "every swarm, this build's and --against's, runs with a swarm secret (every connection TLS): an A/B "
                 "of two builds' encryption")
        ->excludes("--tls");
    app.add_option("--slow", options.slow_text,
                   "K@RATE: K peers, chosen at random (--seed), start with --max-upload-rate RATE (see --slow-way)");
    app.add_option("--slow-way", options.slow_way, "what --slow caps: upload, download or both")
        ->capture_default_str()
        ->check(CLI::IsMember({"upload", "download", "both"}));
    app.add_option("--kill", options.kill_text, "K@SECONDS: K peers, chosen at random (--seed), killed for good then");
    app.add_option("--seed", options.seed, "picks the --slow and --kill peers (default: from the clock; printed)");
    app.add_option("--link-rate", options.link_rate_text,
                   "cap every process at RATE bytes/s both ways, as one host's link (12.5M, 10Mi); prints T/(F/U)");
    CLI11_PARSE(app, argc, argv);
    if (!options.link_rate_text.empty()) {
        auto rate = chunkswarm::parse_rate(options.link_rate_text);
        if (!rate || rate.value() < chunkswarm::kMinRate) {
            std::cerr << "bench: --link-rate " << options.link_rate_text
                      << " is not a rate of at least 100k bytes/s (try 2M, 12.5M, 10Mi)\n";
            return 2;
        }
        options.link_rate = rate.value();
    }
    if (auto picked = pick_faulty_peers(options); !picked.empty()) {
        std::cerr << "bench: " << picked << "\n";
        return 2;
    }
    auto size = chunkswarm::parse_size(options.size_text);
    if (!size) {
        std::cerr << "bench: --size " << options.size_text << " is not a size (try 1GiB, 256MiB, 5000000)\n";
        return 2;
    }
    options.size = *size;
    if (options.size < 5ULL * options.chunk_size) {
        std::cerr << "bench: --size must make at least 5 chunks of " << options.chunk_size << " bytes\n";
        return 2;
    }
    for (const char* program : {"owner", "peer"}) {
        if (!options.against_bin_dir.empty() && ::access((options.against_bin_dir / program).c_str(), X_OK) != 0) {
            std::cerr << "bench: --against " << options.against_bin_dir.string() << " has no runnable " << program
                      << " (give the directory that holds another build's owner and peer)\n";
            return 2;
        }
    }
    if (options.libtorrent) {
        if (auto missing = libtorrent_missing(options.python); !missing.empty()) {
            std::cerr << "bench: --libtorrent: " << missing << "\n";
            return 2;
        }
    }
    if (options.bin_dir.empty()) {
        options.bin_dir = bench_dir().parent_path() / "src";
    }
    return run(options);
}

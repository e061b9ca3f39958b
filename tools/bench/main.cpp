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

#include "chunkswarm/manifest.hpp"
#include "chunkswarm/sample_file.hpp"
#include "chunkswarm/settings.hpp"
#include "chunkswarm/sha256.hpp"
#include "copy_floor.hpp"
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
    bool skip_floor = false;
    bool keep = false;
    bool drop_chunks = false;
    bool early_trading = false;
};

// Random bytes, so no chunk hashes like another; kept between runs of the bench.
bool make_input(const std::filesystem::path& path, std::uint64_t size)
{
    std::error_code ec;
    if (std::filesystem::file_size(path, ec) == size && !ec) return true;
    std::cout << "bench: writing a " << size << "-byte random input to " << path.string() << "\n";
    return write_random_file(path, size);
}

// Checks every peer's joined file against the input, two at a time (this machine has two cores).
std::string verify_outputs(const SwarmSetup& setup, const Digest& expected)
{
    std::vector<std::future<std::string>> checks;
    std::string error;
    for (std::uint32_t id = 1; id <= setup.peers; ++id) {
        checks.push_back(std::async(std::launch::async, [&setup, &expected, id] {
            auto path = peer_output(setup, id);
            auto digest = sha256_of_file(path);
            if (!digest) return path.string() + " is missing";
            return *digest == expected ? std::string() : path.string() + " differs from the input";
        }));
        if (checks.size() == 2 || id == setup.peers) {
            for (auto& check : checks) {
                std::string outcome = check.get();
                if (error.empty()) error = outcome;
            }
            checks.clear();
        }
    }
    return error;
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
    void add(const std::string& name, const std::string& unit, double value)
    {
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

void record_swarm(Report& report, const SwarmResult& swarm, std::uint64_t size, nlohmann::json& run_json)
{
    double peer_rss = 0, peer_cpu = 0, boot_min = 1e9, boot_max = 0;
    nlohmann::json peers = nlohmann::json::array();
    for (std::size_t i = 0; i < swarm.peers.size(); ++i) {
        const auto& peer = swarm.peers[i];
        const auto& facts = swarm.peer_facts[i];
        const double rss = facts.peak_rss_mib.value_or(NAN);
        peer_rss = std::max(peer_rss, rss);
        peer_cpu += peer.cpu_s;
        double boot = facts.bootstrap_s.value_or(NAN);
        boot_min = std::min(boot_min, boot);
        boot_max = std::max(boot_max, boot);
        peers.push_back({{"id", i + 1},
                         {"exit_s", peer.wall_s},
                         {"bootstrap_s", boot},
                         {"joined_s", facts.joined_s.value_or(NAN)},
                         {"peak_rss_mib", rss},
                         {"cpu_s", peer.cpu_s}});
    }
    report.add("swarm", "s", swarm.wall_s);
    report.add("throughput per peer", "MiB/s", static_cast<double>(size) / kMiB / swarm.wall_s);
    const double owner_rss = swarm.owner_facts.peak_rss_mib.value_or(NAN);
    report.add("owner peak RSS", "MiB", owner_rss);
    report.add("peer peak RSS, largest", "MiB", peer_rss);
    report.add("owner CPU", "s", swarm.owner.cpu_s);
    report.add("peer CPU, all peers", "s", peer_cpu);
    report.add("bootstrap from owner, first peer", "s", boot_min);
    report.add("bootstrap from owner, last peer", "s", boot_max);
    run_json["swarm_s"] = swarm.wall_s;
    run_json["owner"] = {{"exit_s", swarm.owner.wall_s}, {"peak_rss_mib", owner_rss}, {"cpu_s", swarm.owner.cpu_s}};
    run_json["peers"] = peers;
}

void print_bootstraps(const SwarmResult& swarm)
{
    std::printf("bootstrap times, last run (s since the owner started, peer 1 first):");
    for (const auto& facts : swarm.peer_facts)
        std::printf(" %.2f", facts.bootstrap_s.value_or(NAN));
    std::printf("\n");
}

int run(const Options& options)
{
    std::filesystem::create_directories(options.work);
    const auto input = std::filesystem::absolute(options.work / ("input-" + options.size_text + ".bin"));
    if (!make_input(input, options.size)) {
        std::cerr << "bench: cannot write " << input.string() << "\n";
        return 1;
    }
    auto expected = sha256_of_file(input);
    SwarmSetup setup;
    setup.owner_bin = options.bin_dir / "owner";
    setup.peer_bin = options.bin_dir / "peer";
    setup.input = input;
    setup.dir = std::filesystem::absolute(options.work / "swarm");
    setup.peers = options.peers;
    setup.chunk_size = options.chunk_size;
    setup.window = options.window;
    setup.timeout_s = options.timeout_s;
    setup.keep_chunk_files = !options.drop_chunks;
    setup.early_trading = options.early_trading;
    std::printf(
        "bench: %s file (%llu bytes), %u peers in a ring, chunk %u bytes, request window %u, %u run(s); "
        "chunk files %s%s; floor and swarm alternate\n",
        options.size_text.c_str(), static_cast<unsigned long long>(options.size), options.peers, options.chunk_size,
        options.window, options.runs, options.drop_chunks ? "not written (only the joined file)" : "kept (the default)",
        options.early_trading ? "; early trading" : "");
    std::fflush(stdout);

    Report report;
    Report against;  // the figures of the --against build, when there is one
    SwarmSetup against_setup = setup;
    against_setup.owner_bin = options.against_bin_dir / "owner";
    against_setup.peer_bin = options.against_bin_dir / "peer";
    SpentRuns spent(options.work / "spent");
    // What one swarm run writes: the owner's chunk files, and each peer's chunk files and joined file.
    const std::uint64_t swarm_bytes = options.size * (2ull * options.peers + 1);
    bool warned_about_deleting = false;
    nlohmann::json runs = nlohmann::json::array();
    SwarmResult last;
    for (std::uint32_t r = 1; r <= options.runs; ++r) {
        nlohmann::json run_json = {{"run", r}};
        if (!options.skip_floor) {
            settle_disk();
            auto floor_dir = options.work / "floor";
            std::filesystem::remove_all(floor_dir);
            std::filesystem::create_directories(floor_dir);
            std::vector<std::filesystem::path> copies;
            for (std::uint32_t i = 1; i <= options.peers; ++i)
                copies.push_back(floor_dir / ("copy-" + std::to_string(i)));
            FloorResult floor = run_copy_floor(input, options.size, copies);
            std::filesystem::remove_all(floor_dir);
            if (!floor.error.empty()) {
                std::cerr << "bench: copy floor failed: " << floor.error << "\n";
                return 1;
            }
            report.add("copy floor", "s", floor.wall_s);
            run_json["floor_s"] = floor.wall_s;
            std::printf("run %u: copy floor %.2f s\n", r, floor.wall_s);
            std::fflush(stdout);
        }
        // One swarm run of `build`; its files are set aside unless it is the very last run.
        auto swarm_run = [&](const SwarmSetup& build, SwarmResult& result, Report& into, nlohmann::json& into_json,
                             bool last_of_all) {
            settle_disk();
            result = run_swarm(build);
            if (result.error.empty()) result.error = verify_outputs(build, *expected);
            if (!result.error.empty()) {
                std::cerr << "bench: swarm run " << r << " (" << build.owner_bin.parent_path().string()
                          << ") failed: " << result.error << "\n";
                return false;
            }
            record_swarm(into, result, options.size, into_json);
            if (!last_of_all && !spent.set_aside(build.dir, swarm_bytes) && !warned_about_deleting) {
                std::printf(
                    "bench: not enough free disk to keep each run's files until the end; deleting them "
                    "between runs instead, which slows file creation in the next run on ext4 without a "
                    "journal\n");
                warned_about_deleting = true;
            }
            if (last_of_all && !options.keep) std::filesystem::remove_all(build.dir);
            return true;
        };
        const bool comparing = !options.against_bin_dir.empty();
        auto this_build = [&](bool last_of_all) {
            if (!swarm_run(setup, last, report, run_json, last_of_all)) return false;
            std::printf("run %u: swarm %.2f s, every copy byte-identical\n", r, last.wall_s);
            return true;
        };
        auto other_build = [&](bool last_of_all) {
            nlohmann::json against_json;
            SwarmResult result;
            if (!swarm_run(against_setup, result, against, against_json, last_of_all)) return false;
            run_json["against"] = against_json;
            std::printf("run %u: swarm of %s %.2f s, every copy byte-identical\n", r,
                        options.against_bin_dir.string().c_str(), result.wall_s);
            return true;
        };
        // The two builds take turns going first, so neither always runs on a fresher machine.
        const bool final_run = r == options.runs;
        if (!comparing) {
            if (!this_build(final_run)) return 1;
        } else if (r % 2 == 1) {
            if (!this_build(false) || !other_build(final_run)) return 1;
        } else if (!other_build(false) || !this_build(final_run)) {
            return 1;
        }
        std::fflush(stdout);
        runs.push_back(run_json);
    }
    if (options.keep) {
        std::printf("the last swarm's data, config and logs are kept in %s\n", setup.dir.string().c_str());
    }

    std::printf("\n");
    report.print();
    double ratio = 0;
    if (!options.skip_floor) {
        ratio = report.median_of("swarm") / report.median_of("copy floor");
        std::printf("%-38s %10s %10.2f\n", "swarm / floor (medians)", "", ratio);
    }
    print_bootstraps(last);
    if (!options.against_bin_dir.empty()) {
        std::printf("\nagainst %s (its runs alternate with this build's):\n", options.against_bin_dir.string().c_str());
        against.print();
        if (!options.skip_floor) {
            std::printf("%-38s %10s %10.2f\n", "swarm / floor (medians)", "",
                        against.median_of("swarm") / report.median_of("copy floor"));
        }
    }

    nlohmann::json out = {
        {"size_bytes", options.size},
        {"peers", options.peers},
        {"runs", options.runs},
        {"chunk_size", options.chunk_size},
        {"request_window", options.window},
        {"keep_chunk_files", !options.drop_chunks},
        {"early_trading", options.early_trading},
        {"swarm_over_floor", ratio},
        {"figures", report.to_json()},
        {"against", options.against_bin_dir.empty() ? nlohmann::json()
                                                    : nlohmann::json{{"bin_dir", options.against_bin_dir.string()},
                                                                     {"figures", against.to_json()}}},
        {"per_run", runs}};
    auto json_path = options.json.empty() ? options.work / "bench.json" : options.json;
    std::ofstream(json_path) << out.dump(2) << "\n";
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
    app.add_flag("--early-trading", options.early_trading,
                 "peers trade while their shares still arrive from the owner (early_trading: true)");
    app.add_flag("--drop-chunks", options.drop_chunks,
                 "peers write no chunk files, only the joined file (keep_chunk_files: false)");
    app.add_flag("--keep", options.keep, "keep the last swarm's data and logs (WORK/swarm)");
    app.add_option("--bin-dir", options.bin_dir, "where owner and peer are (default: next to bench)");
    app.add_option("--against", options.against_bin_dir,
                   "another build's owner and peer (a directory): each run also times that swarm, for an A/B");
    CLI11_PARSE(app, argc, argv);
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
    if (options.bin_dir.empty()) {
        options.bin_dir = std::filesystem::canonical("/proc/self/exe").parent_path().parent_path() / "src";
    }
    return run(options);
}

#include "launcher.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include <fmt/core.h>

#include "child_process.hpp"
#include "chunkswarm/disk/tree_files.hpp"
#include "chunkswarm/net/loop_thread.hpp"
#include "chunkswarm/net/uv_handle.hpp"
#include "html_report.hpp"
#include "launch_plan.hpp"
#include "swarm_metrics.hpp"
#include "swarm_model.hpp"
#include "text_view.hpp"

namespace chunkswarm::swarm {
namespace {

constexpr std::uint64_t kLiveRedrawMs = 250;
// How often --metrics copies the model into its registry (Prometheus scrapes every 15 s or so).
constexpr std::uint64_t kMetricsMs = 1000;
// A peer that has not reached the owner within this long does not hold up the next one.
constexpr std::uint64_t kNextPeerFallbackMs = 3000;
constexpr std::uint64_t kKillGraceMs = 5000;

// Columns and rows of the terminal (100 x 40 where it cannot be asked).
std::pair<std::size_t, std::size_t> terminal_size()
{
    winsize size{};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 20 && size.ws_row > 4) {
        return {size.ws_col, size.ws_row};
    }
    return {100, 40};
}

std::vector<PeerId> peer_ids_of(const SwarmConfig& config)
{
    std::vector<PeerId> ids;
    for (const PeerConfig& peer : config.peers)
        ids.push_back(peer.id);
    return ids;
}

class Launcher {
public:
    explicit Launcher(const LaunchOptions& options) : options_(options), model_(peer_ids_of(options.config))
    {
        uv_loop_init(&loop_);
        inputs_ = PlanInputs{.config = &options.config,
                             .config_text = options.config_text,
                             .config_path = options.config_path,
                             .file = options.file,
                             .bin_dir = options.bin_dir,
                             .work = options.work,
                             .expect = options.expect,
                             .output = options.output,
                             .subcommands = options.subcommands};
        for (std::size_t i = 0; i < model_.size(); ++i) {
            plans_.push_back(plan_process(inputs_, i));
            const auto mode = options.resume ? std::ios::app : std::ios::trunc;
            logs_.emplace_back(log_path(i, ".log"), std::ios::out | mode);
            events_.emplace_back(log_path(i, ".events.jsonl"), std::ios::out | mode);
        }
    }
    Launcher(const Launcher&) = delete;
    Launcher& operator=(const Launcher&) = delete;
    ~Launcher()
    {
        children_.clear();
        checkers_.clear();
        timers_.clear();
        signals_.clear();
        net::close_loop(&loop_);
    }

    int run()
    {
        started_ = std::chrono::steady_clock::now();
        if (!serve_metrics()) return 2;
        watch_signal(SIGINT);
        watch_signal(SIGTERM);
        watch_signal(SIGHUP);  // the terminal closed, or the ssh session that ran us dropped
        // Every timer exists before the first process, so a stop during its start closes them all.
        next_timer_ = add_timer();
        next_timer_->start(kNextPeerFallbackMs, [this] { start_next_peer(); });
        if (options_.timeout_s > 0) {
            add_timer()->start(static_cast<std::uint64_t>(options_.timeout_s * 1000), [this] {
                stop(fmt::format("the run took longer than --timeout {} s", options_.timeout_s), 1);
            });
        }
        tick_timer_ = add_timer();
        if (options_.display == Display::live)
            tick_timer_->start(
                0, [this] { draw(); }, kLiveRedrawMs);
        if (options_.display == Display::plain) {
            auto every = static_cast<std::uint64_t>(options_.interval_s * 1000);
            tick_timer_->start(
                every, [this] { print(progress_line(model_, now())); }, every);
        }
        if (metrics_server_)
            add_timer()->start(
                kMetricsMs, [this] { publish_metrics(model_, registry_); }, kMetricsMs);
        start_process(0);
        uv_run(&loop_, UV_RUN_DEFAULT);
        const int code = conclude();
        stop_metrics();
        return code;
    }

private:
    std::filesystem::path log_dir() const { return options_.work / "logs"; }
    std::filesystem::path log_path(std::size_t index, const char* suffix) const
    {
        return log_dir() / (base_name(options_.config, index) + suffix);
    }
    // On the process's host.
    const std::filesystem::path& data_dir(std::size_t index) const { return plans_[index].data_dir; }
    double now() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count(); }

    net::Timer* add_timer()
    {
        timers_.push_back(std::make_unique<net::Timer>(&loop_));
        return timers_.back().get();
    }

    void watch_signal(int signum)
    {
        auto handle =
            std::make_unique<net::UvHandle<uv_signal_t>>([this](uv_signal_t* s) { return uv_signal_init(&loop_, s); });
        handle->get()->data = this;
        uv_signal_start(
            handle->get(),
            [](uv_signal_t* s, int signum) {
                static_cast<Launcher*>(s->data)->stop(
                    fmt::format("SIG{} received; stopping every process", sigabbrev_np(signum)), 128 + signum);
            },
            signum);
        signals_.push_back(std::move(handle));
    }

    void start_process(std::size_t index)
    {
        auto child = std::make_unique<ChildProcess>(
            &loop_, [this, index](std::string_view line) { on_line(index, line); },
            [this, index](std::int64_t code, int signal) { on_exit(index, code, signal); });
        model_.on_started(index, now());
        for (const LaunchOptions::Kill& kill : options_.kills) {
            if (index > 0 && options_.config.peers[index - 1].id == kill.peer_id) {
                add_timer()->start(static_cast<std::uint64_t>(kill.at_s * 1000), [this, kill] { kill_peer(kill); });
            }
        }
        const ProcessPlan& plan = plans_[index];
        // Every program ends when its standard input closes: when this launcher ends, however it
        // ends (even SIGKILL), no program outlives it, here or on another host.
        auto spawned = child->spawn(plan.argv, &plan.config_text);
        children_.push_back(std::move(child));
        if (!spawned) {
            warn(fmt::format("swarm: {}\n", spawned.error().message));
            model_.on_exit(index, now(), 127, 0, SwarmModel::ExitCause::own);
            stop(model_.process(index).name + " could not be started", 1);
        }
    }

    void start_next_peer()
    {
        if (stopping_ || wound_down_ || children_.size() >= model_.size()) return;
        do {
            start_process(children_.size());
        } while (options_.together && !stopping_ && children_.size() < model_.size());
        next_timer_->start(kNextPeerFallbackMs, [this] { start_next_peer(); });
    }

    void on_line(std::size_t index, std::string_view line)
    {
        std::string event = model_.on_line(index, now(), line);
        const std::string& readable = model_.process(index).tail.back();  // parsed once, by the model
        logs_[index] << readable << '\n';
        if (options_.display == Display::lines) std::printf("%s\n", readable.c_str());
        if (!line.empty() && line.front() == '{') events_[index] << line << '\n';
        // Peers join one at a time: the next starts once this one is in touch with the owner.
        const bool owner_ready = index == 0 && event == "listening";
        const bool peer_ready =
            index > 0 && index + 1 == children_.size() && (event == "manifest" || event == "resumed");
        if (owner_ready || peer_ready) start_next_peer();
    }

    void kill_peer(const LaunchOptions::Kill& kill)
    {
        for (std::size_t i = 1; i < model_.size(); ++i) {
            if (options_.config.peers[i - 1].id != kill.peer_id) continue;
            if (i >= children_.size() || !children_[i]->running()) {
                warn(fmt::format("swarm: --kill {}@{}: peer {} is not running\n", kill.peer_id.value(), kill.at_s,
                                 kill.peer_id.value()));
                return;
            }
            killed_.insert(i);
            print(
                fmt::format("swarm: killing peer {} (SIGKILL) {} s after it started, as --kill asks; the others "
                            "should route around it\n",
                            kill.peer_id.value(), kill.at_s));
            children_[i]->close_input();
            children_[i]->kill(SIGKILL);
        }
    }

    // A peer that dies is reported, and the others go on: they route around it. The owner dying
    // (or failing to start) ends the run.
    void on_exit(std::size_t index, std::int64_t code, int signal)
    {
        logs_[index].flush();
        model_.on_exit(index, now(), static_cast<int>(code), signal,
                       stopping_ ? SwarmModel::ExitCause::launcher_stopping : SwarmModel::ExitCause::own);
        const Process& p = model_.process(index);
        if (!p.succeeded() && !stopping_) {
            std::string what =
                signal ? fmt::format("was killed by signal {}", signal) : fmt::format("exited with status {}", code);
            std::string report =
                fmt::format("swarm: {} {}; its last lines ({}):\n", p.name, what, log_path(index, ".log").string());
            for (const std::string& line : p.tail)
                report += "  | " + line + "\n";
            if (index > 0) report += "swarm: the other peers go on without it\n";
            warn(report);
            if (index > 0) lost_.insert(index);
            if (index == 0) stop(p.name + " failed", 1);
        }
        if (index > 0 && index + 1 == children_.size()) start_next_peer();
        if (model_.all_exited() || (stopping_ && no_child_running())) wind_down();
    }

    bool no_child_running() const
    {
        for (const auto& child : children_) {
            if (child->running()) return false;
        }
        return true;
    }

    void stop(const std::string& why, int exit_code)
    {
        if (stopping_) return;
        stopping_ = true;
        stop_code_ = exit_code;
        stop_reason_ = why;
        warn(fmt::format("swarm: {}\n", why));
        // A process on another host ends when its standard input closes (ssh passes no signal).
        for (auto& child : children_) {
            child->close_input();
            child->kill(SIGTERM);
        }
        for (auto& checker : checkers_)
            checker->kill(SIGTERM);
        add_timer()->start(kKillGraceMs, [this] {
            for (auto& child : children_)
                child->kill(SIGKILL);
        });
        if (no_child_running()) wind_down();
    }

    // Every process has exited: the copies on other hosts are hashed there, then the loop ends.
    void wind_down()
    {
        if (wound_down_) return;
        if (!checks_started_ && !stopping_) {
            checks_started_ = true;
            if (start_remote_checks()) return;
        }
        if (checks_left_ > 0) return;
        wound_down_ = true;
        if (options_.display == Display::live) draw();
        for (auto& timer : timers_)
            timer->close();
        for (auto& handle : signals_)
            handle->close();
    }

    // The content digest of each copy the launcher cannot read here (`peer --digest`, run on its
    // host); returns whether any was started (the last to end winds down).
    bool start_remote_checks()
    {
        for (std::size_t i = 0; i < model_.size(); ++i) {
            if (!plans_[i].remote || (i > 0 && !model_.process(i).succeeded())) continue;
            auto checker = std::make_unique<ChildProcess>(
                &loop_,
                [this, i](std::string_view line) {
                    if (line.size() >= 64 && !remote_digests_.count(i))
                        remote_digests_[i] = std::string(line.substr(0, 64));
                },
                [this](std::int64_t, int) {
                    if (--checks_left_ == 0) wind_down();
                });
            std::vector<std::string> words = program_words(inputs_, plans_[i].bin_dir, "peer");
            words.insert(words.end(), {"--digest", plans_[i].copy.string()});
            if (!checker->spawn(on_host_of(inputs_, i, words))) continue;
            checkers_.push_back(std::move(checker));
            ++checks_left_;
        }
        return checks_left_ > 0;
    }

    // The SHA-256 of process `index`'s copy (of the original, for the owner), in hex, where it can
    // be read.
    std::optional<std::string> digest_of(std::size_t index) const
    {
        if (plans_[index].remote) {
            auto it = remote_digests_.find(index);
            return it == remote_digests_.end() ? std::nullopt : std::optional(it->second);
        }
        auto digest = content_digest(plans_[index].copy);
        return digest ? std::optional(digest.value()) : std::nullopt;
    }

    void draw()
    {
        std::string frame = drawn_lines_ ? fmt::format("\x1b[{}F", drawn_lines_) : "";
        // One column and one row spare: a full last column or row would scroll the terminal.
        const auto [columns, rows] = terminal_size();
        std::string view = live_view(model_, now(), columns - 1, rows - 1);
        drawn_lines_ = 0;
        for (std::size_t start = 0, end; (end = view.find('\n', start)) != std::string::npos; start = end + 1) {
            frame += "\x1b[2K" + view.substr(start, end - start + 1);
            ++drawn_lines_;
        }
        std::fputs(frame.c_str(), stdout);
        std::fflush(stdout);
    }

    // A message above the live view (which is drawn again beneath it), or a plain line: progress
    // to standard output, what went wrong (`to` stderr) to standard error, once the live view is
    // wiped from the terminal they share.
    void print(const std::string& text, std::FILE* to = stdout)
    {
        if (options_.display == Display::live && drawn_lines_ > 0) {
            std::printf("\x1b[%zuF\x1b[J", drawn_lines_);
            drawn_lines_ = 0;
        }
        std::fflush(stdout);
        if (options_.display != Display::quiet || text.rfind("swarm:", 0) == 0) std::fputs(text.c_str(), to);
        std::fflush(to);
        if (options_.display == Display::live && !model_.all_exited()) draw();
    }
    void warn(const std::string& text) { print(text, stderr); }

    // Before any process starts, so that a port in use stops the run at once.
    bool serve_metrics()
    {
        const std::optional<Endpoint>& bind = options_.metrics.bind;
        if (!bind) return true;
        registry_.at(metrics::family::build_info, {{"version", CHUNKSWARM_VERSION}}).set(1);
        publish_metrics(model_, registry_);
        metrics_server_ = std::make_unique<net::MetricsServer>(registry_, nullptr);
        if (auto started = metrics_server_->start(*bind); !started) {
            warn("swarm: error: --metrics: " + started.error().message + "\n");
            metrics_server_.reset();
            return false;
        }
        print(fmt::format("swarm: serving the swarm's metrics at http://{}:{}/metrics\n", bind->host,
                          metrics_server_->port()));
        return true;
    }

    // The final figures, answered for --metrics-linger seconds (SIGINT or SIGTERM ends the wait).
    void stop_metrics()
    {
        if (!metrics_server_) return;
        publish_metrics(model_, registry_);
        if (options_.metrics.linger_s > 0) {
            print(fmt::format("swarm: still serving metrics for {} s (--metrics-linger)\n", options_.metrics.linger_s));
            metrics_server_->linger(options_.metrics.linger_s);
        }
        metrics_server_->stop();
    }

    RunSummary summarize() const
    {
        RunSummary summary;
        summary.wall_s = model_.last_time();
        summary.file_name = options_.file.filename().string();
        // The owner's own count (a tree's files together), or the file's size where it is here.
        summary.file_bytes = model_.process(0).file_bytes;
        std::error_code ec;
        if (!plans_[0].remote && std::filesystem::is_regular_file(options_.file, ec)) {
            summary.file_bytes = std::filesystem::file_size(options_.file, ec);
        }
        const std::optional<std::string> original = digest_of(0);
        summary.file_sha256 = original ? *original : "unreadable";
        summary.settings = settings_used();
        for (std::size_t i = 0; i < model_.size(); ++i) {
            const Process& p = model_.process(i);
            std::string how = p.exit_signal ? fmt::format("killed by signal {}", *p.exit_signal)
                              : p.exit_code ? fmt::format("exit {}", *p.exit_code)
                                            : "never started";
            if (p.is_owner) {
                summary.verdicts.push_back(p.succeeded()               ? "served every share, stayed to the end"
                                           : p.state == State::stopped ? "stopped (" + how + ")"
                                                                       : "FAILED (" + how + ")");
                summary.verified.push_back(p.succeeded());
                continue;
            }
            const std::optional<std::string> digest = digest_of(i);
            bool same = original && digest && *digest == *original;
            summary.verified.push_back(same && p.succeeded());
            std::string verdict = same               ? "OK, SHA-256 matches"
                                  : digest           ? "WRONG BYTES"
                                  : plans_[i].remote ? "no copy (or peer --digest failed on its host)"
                                                     : "no copy";
            if (lost_.count(i)) verdict = "LOST: " + verdict;
            if (killed_.count(i)) how = "killed by --kill";
            if (!p.succeeded()) verdict += " (" + (p.state == State::stopped ? "stopped, " + how : how) + ")";
            summary.verdicts.push_back(verdict);
        }
        return summary;
    }

    int conclude()
    {
        for (auto& log : logs_)
            log.flush();
        RunSummary summary = summarize();
        std::string out = "\n" + summary_table(model_, summary);
        if (options_.report) {
            std::ofstream report(*options_.report);
            report << html_report(model_, summary);
            out += report ? "report: " + options_.report->string() + "\n"
                          : "swarm: cannot write the report to " + options_.report->string() + "\n";
        }
        out += fmt::format("logs: {}/  data: {}/{{owner,peer-*}}/{}\n", log_dir().string(), options_.work.string(),
                           options_.output.empty() ? "" : "  copies: " + options_.output);
        std::fputs(out.c_str(), stdout);
        if (stopping_) {
            std::fputs(left_behind().c_str(), stdout);
            return stop_code_;
        }
        bool all_good = true;
        for (bool ok : summary.verified)
            all_good = all_good && ok;
        return all_good ? 0 : 1;
    }

    std::vector<std::pair<std::string, std::string>> settings_used() const
    {
        const SwarmConfig& config = options_.config;
        const Settings& s = config.settings;
        auto rate = [](std::uint64_t r) {
            return r ? format_bytes(static_cast<double>(r)) + "/s" : std::string("none");
        };
        auto yes = [](bool on) { return std::string(on ? "yes" : "no"); };
        const bool keys = !config.secret.empty() || std::getenv("CHUNKSWARM_SECRET") || !config.tls.cert.empty();
        return {{"config", options_.config_path.string()},
                {"peers", std::to_string(config.peers.size())},
                {"chunk size", config.chunk_size_given ? std::to_string(config.chunk_size) + " bytes"
                                                       : "default (102400 bytes, more for a file over 40 GB)"},
                {"started", options_.together ? "all at once" : "one at a time"},
                {"early_trading", yes(s.early_trading)},
                {"keep_chunk_files", yes(s.keep_chunk_files)},
                {"helpers", yes(s.helpers)},
                {"request_window", std::to_string(s.request_window)},
                {"max_upload_rate", rate(s.max_upload_rate)},
                {"max_download_rate", rate(s.max_download_rate)},
                {"encryption", keys ? "TLS 1.3" : "none (plain protocol)"}};
    }

    // After a stop: where each peer's partial download is, so a rerun of that peer resumes it.
    std::string left_behind() const
    {
        std::string out = "swarm: stopped (" + stop_reason_ + "); every process has ended. Left behind:\n";
        for (std::size_t i = 1; i < model_.size(); ++i) {
            const Process& p = model_.process(i);
            out += fmt::format("  {}: {} of {} chunk(s) in {}\n", p.name, p.held, p.total, data_dir(i).string());
        }
        return out + "  the same command with --resume goes on from there: each peer keeps the chunks that verify\n";
    }

    const LaunchOptions& options_;
    uv_loop_t loop_{};
    SwarmModel model_;
    std::vector<std::ofstream> logs_;
    std::vector<std::ofstream> events_;
    PlanInputs inputs_;
    std::vector<ProcessPlan> plans_;                       // index as in the model
    std::vector<std::unique_ptr<ChildProcess>> children_;  // index as in the model; started in order
    // sha256sum runs on other hosts at the end, and what they printed.
    std::vector<std::unique_ptr<ChildProcess>> checkers_;
    std::map<std::size_t, std::string> remote_digests_;
    std::size_t checks_left_ = 0;
    bool checks_started_ = false;
    std::vector<std::unique_ptr<net::Timer>> timers_;
    metrics::Registry registry_;  // the swarm's figures, copied from the model on its thread
    std::unique_ptr<net::MetricsServer> metrics_server_;
    std::vector<std::unique_ptr<net::UvHandle<uv_signal_t>>> signals_;
    net::Timer* next_timer_ = nullptr;
    net::Timer* tick_timer_ = nullptr;
    std::chrono::steady_clock::time_point started_;
    std::size_t drawn_lines_ = 0;
    bool stopping_ = false;
    bool wound_down_ = false;
    std::set<std::size_t> lost_;    // peers that died while the others went on
    std::set<std::size_t> killed_;  // of those, the ones --kill ended
    int stop_code_ = 0;
    std::string stop_reason_;
};

}  // namespace

Result<LaunchOptions::Kill> parse_kill(const std::string& text, const SwarmConfig& config)
{
    const std::string usage = "--kill \"" + text + "\" is not PEER@SECONDS (for example 3@2.5)";
    const auto at = text.find('@');
    if (at == std::string::npos || at == 0 || at + 1 == text.size()) return make_error(usage);
    LaunchOptions::Kill kill;
    try {
        std::size_t used = 0;
        const unsigned long id = std::stoul(text.substr(0, at), &used);
        if (used != at || id > UINT32_MAX) return make_error(usage);
        kill.peer_id = PeerId(static_cast<std::uint32_t>(id));
        kill.at_s = std::stod(text.substr(at + 1), &used);
        if (used != text.size() - at - 1 || !(kill.at_s >= 0) || kill.at_s > 86400) return make_error(usage);
    } catch (const std::exception&) {
        return make_error(usage);
    }
    if (!config.find_peer(kill.peer_id)) {
        return make_error("--kill " + text + ": peer " + to_string(kill.peer_id) + " is not in the config");
    }
    return kill;
}

int launch(const LaunchOptions& options)
{
    Launcher launcher(options);
    return launcher.run();
}

}  // namespace chunkswarm::swarm

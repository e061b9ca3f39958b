// What the launcher knows about a running swarm, built only from the programs' json event lines
// and their exits (sans-I/O: fed text and times, no processes). The live view, the final table
// and the HTML report all read it.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "chunkswarm/core/ids.hpp"

namespace chunkswarm::swarm {

// Peers go waiting, starting, joining, share, trading, joining_file, done; the owner goes
// waiting, starting, splitting, serving, done. Either may end failed, or stopped by the launcher.
enum class State {
    waiting,
    starting,
    joining,
    share,  // taking its share from the owner, not trading yet
    trading,
    joining_file,
    splitting,
    serving,
    done,
    failed,
    stopped
};
const char* state_name(State state);

// A point of a cumulative series: seconds since the launch, value so far.
struct Point {
    double t = 0;
    double value = 0;
};

struct Process {
    std::string name;  // "owner", "peer 3" (as the programs name themselves)
    bool is_owner = false;
    State state = State::waiting;
    std::size_t held = 0;
    std::size_t total = 0;
    std::uint64_t file_bytes = 0;
    std::string file_name;
    std::uint64_t bytes_from_owner = 0;
    std::uint64_t bytes_from_neighbor = 0;
    std::uint64_t bytes_uploaded = 0;
    std::optional<double> started_at;
    std::optional<double> complete_at;  // every chunk held and the file joined
    std::optional<double> exited_at;
    std::optional<int> exit_code;    // set when it exited normally
    std::optional<int> exit_signal;  // set when a signal ended it
    std::optional<double> peak_mib;
    std::vector<Point> held_series;      // chunks held over time
    std::vector<Point> received_series;  // bytes received over time (for the live rate)
    std::deque<std::string> tail;        // its latest lines, for a failure report

    std::uint64_t bytes_received() const { return bytes_from_owner + bytes_from_neighbor; }
    bool exited() const { return exited_at.has_value(); }
    bool succeeded() const { return exit_code == 0; }
};

// Bytes that crossed one link (sender to receiver), as the receiver reported them.
struct Link {
    std::string from;
    std::string to;
    std::vector<Point> bytes_series;
};

struct Activity {
    double t = 0;
    std::string who;
    std::string text;
};

class SwarmModel {
public:
    static constexpr std::size_t kTailLines = 12;
    static constexpr std::size_t kActivityLines = 6;

    // Index 0 is the owner; peers follow in the order they are added.
    explicit SwarmModel(std::vector<PeerId> peer_ids);

    std::size_t size() const { return processes_.size(); }
    const Process& process(std::size_t index) const { return processes_[index]; }
    const std::vector<Process>& processes() const { return processes_; }
    const std::vector<Link>& links() const { return links_; }
    const std::deque<Activity>& recent() const { return recent_; }

    void on_started(std::size_t index, double t);
    // One line of the process's output: a json event, or any other text (kept as-is). Its text
    // form becomes the newest entry of the process's tail. Returns the event's name ("" for a
    // line that is not an event).
    std::string on_line(std::size_t index, double t, std::string_view line);
    // Whether the launcher was stopping the swarm when the process exited (a stop, not a failure).
    enum class ExitCause { own, launcher_stopping };
    void on_exit(std::size_t index, double t, int exit_code, int signal, ExitCause cause);

    // Bytes per second received by a peer over the last `window` seconds.
    double receive_rate(std::size_t index, double now, double window = 2.0) const;
    // Seconds until done at that rate, if it is moving.
    std::optional<double> eta(std::size_t index, double now) const;
    // Up to `count` peers' indexes, furthest from done first (the least of the file held).
    std::vector<std::size_t> slowest_peers(std::size_t count) const;
    bool all_exited() const;
    bool any_failed() const;
    // Latest time anything happened (for charts).
    double last_time() const { return last_time_; }

private:
    void apply_event(std::size_t index, double t, const nlohmann::json& event);
    Link& link(const std::string& from, const std::string& to);
    void note(std::size_t index, double t, std::string text);

    std::vector<Process> processes_;
    std::vector<Link> links_;
    std::deque<Activity> recent_;
    double last_time_ = 0;
};

// The launcher's own check of the outcome, once every process has exited.
struct RunSummary {
    std::string file_name;
    std::uint64_t file_bytes = 0;
    std::string file_sha256;            // hex, of the original
    std::vector<std::string> verdicts;  // per process (index as in the model); "" for the owner
    std::vector<bool> verified;         // per process: its copy matches the original
    double wall_s = 0;
    // The settings the run used, as name and value, for the report.
    std::vector<std::pair<std::string, std::string>> settings;
};

// "owner" or "peer N" for a process of the config (the names the programs log under).
std::string peer_name(std::uint32_t id);

// A json event line turned back into the text form a person reads ("12:00:01.234 info  [peer 3] ...").
// Lines that are not json events come back unchanged.
std::string readable_line(std::string_view line);

}  // namespace chunkswarm::swarm

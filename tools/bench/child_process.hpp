// Child processes for the benchmark: started with their output in a log file, reaped with wait4 so
// that each one's CPU time comes from the kernel rather than from sampling.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace chunkswarm::bench {

struct ChildResult {
    std::string name;
    int exit_code = -1;  // -1: killed by a signal
    int signal = 0;
    double wall_s = 0;  // from the start of the group until this child exited
    double cpu_s = 0;   // user + system
};

// Starts processes and waits for all of them; a watchdog kills the group after `limit`.
class ChildGroup {
public:
    explicit ChildGroup(std::chrono::seconds limit) : limit_(limit) {}
    ChildGroup(const ChildGroup&) = delete;
    ChildGroup& operator=(const ChildGroup&) = delete;
    ~ChildGroup();

    // Returns false (with a message on stderr) if the process could not be started.
    bool start(const std::string& name, const std::vector<std::string>& argv, const std::filesystem::path& log);
    // Kills every child started so far (one failed to start, so the run cannot finish).
    void abort() { kill_all(); }
    // The child started `index`-th (0-based) is killed with SIGKILL `after` the group started,
    // if it is still running then (a machine dying mid-run). Call before wait_all().
    void kill_later(std::size_t index, std::chrono::milliseconds after) { kills_.push_back({index, after}); }
    // Blocks until every child has exited; results come in start order.
    std::vector<ChildResult> wait_all();
    bool timed_out() const { return timed_out_; }
    // Whether the child started `index`-th has exited; it is left for wait_all() to reap.
    bool exited(std::size_t index) const;
    std::chrono::steady_clock::time_point started_at() const { return started_; }

private:
    void kill_all();

    std::chrono::seconds limit_;
    std::chrono::steady_clock::time_point started_{};
    std::vector<pid_t> pids_;
    std::vector<ChildResult> results_;
    struct Kill {
        std::size_t index;
        std::chrono::milliseconds after;
    };
    std::vector<Kill> kills_;
    bool timed_out_ = false;
};

}  // namespace chunkswarm::bench

#include "child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <iostream>
#include <mutex>
#include <thread>

extern char** environ;

namespace chunkswarm::bench {

ChildGroup::~ChildGroup()
{
    // A group left with running children (an exception on the way) must not leave them behind.
    kill_all();
    for (pid_t pid : pids_) {
        if (pid > 0) ::waitpid(pid, nullptr, 0);
    }
}

bool ChildGroup::start(const std::string& name, const std::vector<std::string>& argv, const std::filesystem::path& log)
{
    if (pids_.empty()) started_ = std::chrono::steady_clock::now();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    std::vector<char*> args;
    for (const auto& arg : argv)
        args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        std::cerr << "bench: cannot start " << argv[0] << ": " << std::strerror(rc) << "\n";
        return false;
    }
    pids_.push_back(pid);
    ChildResult result;
    result.name = name;
    results_.push_back(result);
    return true;
}

std::vector<ChildResult> ChildGroup::wait_all()
{
    std::mutex mutex;
    std::condition_variable finished;
    bool done = false;
    std::sort(kills_.begin(), kills_.end(), [](const Kill& a, const Kill& b) { return a.after < b.after; });
    // Signals only children not reaped yet (their PID is -1 once reaped, under the same lock), so
    // never a recycled PID.
    std::thread watchdog([&] {
        std::unique_lock lock(mutex);
        for (const Kill& kill : kills_) {
            if (finished.wait_until(lock, std::min(started_ + kill.after, started_ + limit_), [&] { return done; }))
                return;
            if (std::chrono::steady_clock::now() >= started_ + limit_) break;
            if (kill.index < pids_.size() && pids_[kill.index] > 0) ::kill(pids_[kill.index], SIGKILL);
        }
        if (!finished.wait_until(lock, started_ + limit_, [&] { return done; })) {
            timed_out_ = true;
            kill_all();
        }
    });
    std::size_t left = std::count_if(pids_.begin(), pids_.end(), [](pid_t pid) { return pid > 0; });
    while (left > 0) {
        // Learn who exited without reaping it, so the watchdog never signals a recycled PID.
        siginfo_t info{};
        if (::waitid(P_ALL, 0, &info, WEXITED | WNOWAIT) != 0) {
            if (errno == EINTR) continue;
            break;
        }
        auto it = std::find(pids_.begin(), pids_.end(), info.si_pid);
        int status = 0;
        rusage usage{};
        {
            std::lock_guard lock(mutex);
            ::wait4(info.si_pid, &status, 0, &usage);
            if (it != pids_.end()) *it = -1;
        }
        if (it == pids_.end()) continue;
        ChildResult& result = results_[static_cast<std::size_t>(it - pids_.begin())];
        result.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
        result.cpu_s = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                       static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
        if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
        if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
        --left;
    }
    {
        std::lock_guard lock(mutex);
        done = true;
    }
    finished.notify_one();
    watchdog.join();
    return results_;
}

bool ChildGroup::exited(std::size_t index) const
{
    if (index >= pids_.size() || pids_[index] <= 0) return true;
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(pids_[index]), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == pids_[index];
}

// Called with the watchdog's lock held or from the destructor; reaped PIDs are -1.
void ChildGroup::kill_all()
{
    for (pid_t pid : pids_) {
        if (pid > 0) ::kill(pid, SIGKILL);
    }
}

}  // namespace chunkswarm::bench

// One program run by the launcher: a libuv process handle with its stdout and stderr on pipes,
// cut into lines. The exit is reported only after both pipes have ended, so no line is lost.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "chunkswarm/core/result.hpp"
#include "chunkswarm/net/uv_handle.hpp"

namespace chunkswarm::swarm {

class ChildProcess {
public:
    using LineCallback = std::function<void(std::string_view line)>;
    using ExitCallback = std::function<void(std::int64_t exit_code, int signal)>;

    ChildProcess(uv_loop_t* loop, LineCallback on_line, ExitCallback on_exit);
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess();

    // With `input`, the program's standard input is a pipe that gets `input` and then stays open
    // until close_input() (or this object goes); otherwise it has none.
    Result<void> spawn(const std::vector<std::string>& argv, const std::string* input = nullptr);
    void close_input() { in_.close(); }
    // A no-op once the process has exited.
    void kill(int signal);
    bool running() const { return running_; }
    int pid() const { return pid_; }

private:
    struct Output {
        ChildProcess* owner = nullptr;
        net::UvHandle<uv_pipe_t> pipe;
        std::string partial;
    };
    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
    void take(Output& output, std::string_view bytes);
    void ended(Output& output);
    void one_part_done();

    uv_loop_t* loop_;
    LineCallback on_line_;
    ExitCallback on_exit_;
    net::UvHandle<uv_process_t> process_;
    net::UvHandle<uv_pipe_t> in_;
    Output out_;
    Output err_;
    bool running_ = false;
    int pid_ = 0;
    int parts_left_ = 3;  // the exit and the two pipes' ends
    std::int64_t exit_code_ = 0;
    int signal_ = 0;
};

}  // namespace chunkswarm::swarm

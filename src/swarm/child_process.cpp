#include "child_process.hpp"

#include <array>
#include <memory>

namespace chunkswarm::swarm {

ChildProcess::ChildProcess(uv_loop_t* loop, LineCallback on_line, ExitCallback on_exit)
    : loop_(loop),
      on_line_(std::move(on_line)),
      on_exit_(std::move(on_exit))
{
    for (Output* output : {&out_, &err_}) {
        output->owner = this;
        output->pipe = net::UvHandle<uv_pipe_t>([loop](uv_pipe_t* p) { return uv_pipe_init(loop, p, 0); });
        output->pipe.get()->data = output;
    }
}

ChildProcess::~ChildProcess()
{
    // The handles close on their own (UvHandle); nothing may call back into this object after.
    if (process_) process_.get()->data = nullptr;
    for (Output* output : {&out_, &err_}) {
        if (output->pipe) output->pipe.get()->data = nullptr;
    }
}

Result<void> ChildProcess::spawn(const std::vector<std::string>& argv, const std::string* input)
{
    std::vector<char*> args;
    for (const std::string& arg : argv)
        args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    std::array<uv_stdio_container_t, 3> stdio{};
    stdio[0].flags = UV_IGNORE;
    if (input) {
        in_ = net::UvHandle<uv_pipe_t>([this](uv_pipe_t* p) { return uv_pipe_init(loop_, p, 0); });
        stdio[0].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_READABLE_PIPE);
        stdio[0].data.stream = reinterpret_cast<uv_stream_t*>(in_.get());
    }
    stdio[1].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
    stdio[1].data.stream = reinterpret_cast<uv_stream_t*>(out_.pipe.get());
    stdio[2].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
    stdio[2].data.stream = reinterpret_cast<uv_stream_t*>(err_.pipe.get());
    uv_process_options_t options{};
    options.file = args[0];
    options.args = args.data();
    options.stdio_count = static_cast<int>(stdio.size());
    options.stdio = stdio.data();
    // Its own session: a Ctrl-C on the terminal reaches the launcher alone, which then stops each
    // program in order and can tell a stop from a crash.
    options.flags = UV_PROCESS_DETACHED;
    options.exit_cb = [](uv_process_t* process, std::int64_t exit_code, int signal) {
        auto* self = static_cast<ChildProcess*>(process->data);
        if (self == nullptr) return;
        self->running_ = false;
        self->exit_code_ = exit_code;
        self->signal_ = signal;
        self->one_part_done();
    };
    int rc = 0;
    // A process handle is initialised even when the spawn fails, and must be closed either way,
    // so the init below always "succeeds" and the spawn's own result is kept aside.
    process_ = net::UvHandle<uv_process_t>([&](uv_process_t* p) {
        p->data = this;
        rc = uv_spawn(loop_, p, &options);
        return 0;
    });
    if (rc != 0) return make_error("cannot start " + argv[0] + ": " + uv_strerror(rc));
    running_ = true;
    pid_ = process_.get()->pid;
    if (input && !input->empty()) net::write_owned(reinterpret_cast<uv_stream_t*>(in_.get()), *input);
    for (Output* output : {&out_, &err_}) {
        uv_read_start(
            reinterpret_cast<uv_stream_t*>(output->pipe.get()),
            [](uv_handle_t*, std::size_t suggested, uv_buf_t* buf) {
                // Freed in on_read, whatever happens to the read.
                buf->base = std::make_unique<char[]>(suggested).release();
                buf->len = suggested;
            },
            &ChildProcess::on_read);
    }
    return {};
}

void ChildProcess::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf)
{
    std::unique_ptr<char[]> bytes(buf->base);
    auto* output = static_cast<Output*>(stream->data);
    if (output == nullptr || nread == 0) return;
    if (nread < 0) {
        output->owner->ended(*output);
        return;
    }
    output->owner->take(*output, std::string_view(bytes.get(), static_cast<std::size_t>(nread)));
}

void ChildProcess::take(Output& output, std::string_view bytes)
{
    output.partial.append(bytes);
    std::size_t start = 0;
    for (std::size_t end; (end = output.partial.find('\n', start)) != std::string::npos; start = end + 1)
        on_line_(std::string_view(output.partial).substr(start, end - start));
    output.partial.erase(0, start);
}

void ChildProcess::ended(Output& output)
{
    uv_read_stop(reinterpret_cast<uv_stream_t*>(output.pipe.get()));
    if (!output.partial.empty()) on_line_(output.partial);
    output.partial.clear();
    one_part_done();
}

void ChildProcess::one_part_done()
{
    if (--parts_left_ == 0) on_exit_(exit_code_, signal_);
}

void ChildProcess::kill(int signal)
{
    if (running_) uv_process_kill(process_.get(), signal);
}

}  // namespace chunkswarm::swarm

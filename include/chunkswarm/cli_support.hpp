// What the programs' command lines share: logging flags and the way errors end a process.
// CLI11 is heavy to compile, so only the *_cli.cpp files and cli_support.cpp include it.
#pragma once

#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>

#include "chunkswarm/core/config.hpp"
#include "chunkswarm/core/result.hpp"
#include "chunkswarm/core/settings.hpp"
#include "chunkswarm/net/metrics_server.hpp"
#include "chunkswarm/net/tls_channel.hpp"

namespace CLI {
class App;
}

namespace chunkswarm::cli {

// How a program was started: as a program of its own (the build tree's `owner`), or as a
// subcommand of the installed `chunkswarm` (`chunkswarm owner`), whose name clashes with nothing.
enum class Invocation { program, subcommand };
// "owner", or "chunkswarm owner": what usage lines and --version say.
std::string program_name(const std::string& command, Invocation invocation);

// --max-upload-rate and (for a peer) --max-download-rate, as typed: "12.5M", "10Mi", "0".
struct RateFlags {
    std::string upload;
    std::string download;
};
// Puts the rates given on the command line over the config's.
Result<void> apply_rate_flags(const RateFlags& flags, Settings& settings);

// --metrics HOST:PORT and --metrics-linger SECONDS, as typed.
struct MetricsFlags {
    std::string bind;
    std::uint32_t linger_s = 0;
};
void add_metrics_flags(CLI::App& app, MetricsFlags& flags);
Result<net::MetricsOptions> metrics_options(const MetricsFlags& flags);

// --tls-cert, --tls-key, --tls-ca: PEM files, over the config's "tls".
struct TlsFlags {
    std::string cert, key, ca;
};
// The process's TLS: certificates (the flags over the config), else a key from the swarm secret;
// null when neither is given, for the plain protocol.
Result<std::shared_ptr<const net::TlsContext>> tls_context(const TlsFlags& flags, const SwarmConfig::Tls& config,
                                                           const std::string& secret);
// Says once, at start, how connections are protected, or loudly that they are not.
void log_protection(const net::TlsContext* tls);
// What a process without keys says of its swarm, and how to protect it.
std::string unprotected_notice();

struct LogFlags {
    std::string level = "info";
    std::string format = "text";
    bool quiet = false;
};

// Process set-up both programs need first: a write to a peer that has gone away must fail with
// EPIPE on that connection, and a write over a file-size limit with EFBIG, not kill the process.
void prepare_process();

// What the owner and a peer both take: --max-upload-rate (and a peer's --max-download-rate),
// --metrics, --tls-*, --stop-with-stdin (how the launcher ends a process on another host) and the
// log flags.
struct ServingFlags {
    RateFlags rates;
    MetricsFlags metrics;
    TlsFlags tls;
    bool stop_with_stdin = false;
    LogFlags log;
};
// What the process's rate flags cap: the owner only sends; a peer also takes --max-download-rate.
enum class Ways { send, send_and_receive };
void add_serving_flags(CLI::App& app, ServingFlags& flags, Ways ways);
// Ends the process as SIGTERM does once standard input closes (call after reading `--config -`).
void stop_when_stdin_closes();
// Starts logging as `name`; prints an error and returns false for a bad level name.
bool start_logging(const std::string& program, const std::string& name, const LogFlags& flags);
// Parses argv, with --version added and the examples (each after the program's name) at the foot
// of --help; returns an exit code to end with, or -1 to go on.
int parse(CLI::App& app, int argc, char** argv, std::initializer_list<std::string_view> examples = {});
// One log line with the process's peak memory and CPU time, for its last words.
void log_resource_use();
// --file, looked at before anything starts: a regular file or a directory, or one line naming
// the path and why not (missing, a loop of links, a name too long, a pipe that would block).
Result<void> check_source_path(const std::filesystem::path& path);
// One line on stderr, after the log is flushed so the two do not interleave.
int fail(const std::string& program, const std::string& message, int exit_code = 1);
// 2 for bad input (ErrorCode::bad_input), 1 for any other failure.
int exit_code_of(const Error& error);

}  // namespace chunkswarm::cli

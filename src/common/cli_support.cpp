#include "chunkswarm/cli_support.hpp"
#include "chunkswarm/process_facts.hpp"

#include <CLI/CLI.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <tuple>

#include "chunkswarm/core/auth.hpp"
#include "chunkswarm/disk/file_util.hpp"
#include "chunkswarm/log.hpp"

namespace chunkswarm::cli {

void prepare_process()
{
    std::signal(SIGPIPE, SIG_IGN);
    // Over a file-size limit, a write fails with EFBIG and is reported like a full disk.
    std::signal(SIGXFSZ, SIG_IGN);
}

namespace {

void add_rate_flags(CLI::App& app, RateFlags& flags, Ways ways)
{
    app.add_option("--max-upload-rate", flags.upload,
                   "cap on what this process sends, bytes per second, all connections together: 12.5M, 10Mi "
                   "(k, M, G: x1000; Ki, Mi, Gi: x1024); 0: none (the config's max_upload_rate)");
    if (ways == Ways::send_and_receive) {
        app.add_option("--max-download-rate", flags.download,
                       "the same for what it receives (the config's max_download_rate)");
    }
}

void add_tls_flags(CLI::App& app, TlsFlags& flags)
{
    app.add_option("--tls-cert", flags.cert,
                   "PEM certificate chain for TLS (with --tls-key and --tls-ca; the config's tls)");
    app.add_option("--tls-key", flags.key, "PEM private key of --tls-cert");
    app.add_option("--tls-ca", flags.ca, "PEM CA certificates the other side's certificate must lead to");
}

// A process on another host, started by the swarm launcher through ssh, gets no signal when the
// launcher stops it; its standard input closes instead.
void add_stop_with_stdin_flag(CLI::App& app, bool& flag)
{
    app.add_flag("--stop-with-stdin", flag,
                 "exit (as on SIGTERM) once standard input closes: how the swarm launcher ends a process it "
                 "started on another host");
}

void add_log_flags(CLI::App& app, LogFlags& flags)
{
    app.add_option("--log-level", flags.level, "trace, debug, info (every activity line), warn, error or off")
        ->capture_default_str();
    app.add_option("--log-format", flags.format,
                   "text (for people) or json (one object per line with named fields, for programs)")
        ->capture_default_str();
    app.add_flag("--quiet,-q", flags.quiet, "only warnings and errors (same as --log-level warn)");
}

}  // namespace

void add_serving_flags(CLI::App& app, ServingFlags& flags, Ways ways)
{
    add_rate_flags(app, flags.rates, ways);
    add_metrics_flags(app, flags.metrics);
    add_tls_flags(app, flags.tls);
    add_stop_with_stdin_flag(app, flags.stop_with_stdin);
    add_log_flags(app, flags.log);
}

void stop_when_stdin_closes()
{
    // Blocked in read() for the process's life: nothing to join, and nothing else reads stdin.
    std::thread([] {
        char buffer[256];
        for (;;) {
            const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
            if (n > 0 || (n < 0 && errno == EINTR)) continue;
            break;
        }
        ::kill(::getpid(), SIGTERM);
    }).detach();
}

Result<void> apply_rate_flags(const RateFlags& flags, Settings& settings)
{
    for (auto [text, flag, target] :
         {std::tuple{&flags.upload, "--max-upload-rate", &settings.max_upload_rate},
          std::tuple{&flags.download, "--max-download-rate", &settings.max_download_rate}}) {
        if (text->empty()) continue;
        auto rate = parse_rate(*text);
        if (!rate) return make_error(std::string(flag) + ": " + rate.error().message);
        *target = rate.value();
    }
    return {};
}

void add_metrics_flags(CLI::App& app, MetricsFlags& flags)
{
    app.add_option("--metrics", flags.bind,
                   "serve Prometheus metrics at http://HOST:PORT/metrics (127.0.0.1:9100, :9100 for every "
                   "interface, port 0 for any free one)");
    app.add_option("--metrics-linger", flags.linger_s,
                   "with --metrics: seconds to keep serving them after the work is done, so that a last "
                   "scrape sees the final figures")
        ->capture_default_str();
}

Result<net::MetricsOptions> metrics_options(const MetricsFlags& flags)
{
    net::MetricsOptions options;
    options.linger_s = flags.linger_s;
    if (flags.bind.empty()) {
        if (flags.linger_s > 0) return make_error("--metrics-linger needs --metrics HOST:PORT");
        return options;
    }
    auto bind = parse_endpoint(flags.bind);
    if (!bind) return make_error("--metrics: " + bind.error().message);
    options.bind = bind.value();
    return options;
}

Result<std::shared_ptr<const net::TlsContext>> tls_context(const TlsFlags& flags, const SwarmConfig::Tls& config,
                                                           const std::string& secret)
{
    net::TlsKeys keys{secret, config.cert, config.key, config.ca};
    // Each flag over its own field of the config's, so that one host may use its own certificate.
    for (auto [flag, field] : {std::pair{&flags.cert, &keys.cert}, {&flags.key, &keys.key}, {&flags.ca, &keys.ca}}) {
        if (!flag->empty()) *field = *flag;
    }
    if (!keys.enabled()) return std::shared_ptr<const net::TlsContext>();
    if (keys.uses_certificates() && (keys.cert.empty() || keys.key.empty() || keys.ca.empty()))
        return make_error(
            "TLS with certificates needs all three of --tls-cert, --tls-key and --tls-ca (or the "
            "config's tls)");
    for (const std::string* path : {&keys.cert, &keys.key, &keys.ca}) {
        if (path->empty()) continue;
        std::error_code error;
        if (!std::filesystem::is_regular_file(*path, error))
            return make_error("TLS file " + *path + " is not a readable regular file (check the path)");
    }
    return net::TlsContext::create(keys);
}

void log_protection(const net::TlsContext* tls)
{
    if (tls != nullptr) {
        log::event("protection", {{"tls", tls->uses_certificates() ? "certificates" : "psk"}},
                   "connections are encrypted and authenticated: TLS 1.3 with {}", tls->mode());
        return;
    }
    log::warn_event("protection", {{"tls", "off"}}, "{}", unprotected_notice());
}

std::string unprotected_notice()
{
    return std::string(
               "this swarm is unauthenticated and unencrypted: anyone on the path can read or change the file; "
               "set ") +
           kSecretEnvVar + " (or the config's secret, or tls certificates) on a network you do not own";
}

bool start_logging(const std::string& program, const std::string& name, const LogFlags& flags)
{
    auto level = log::parse_level(flags.quiet ? "warn" : flags.level);
    auto format = log::parse_format(flags.format);
    for (const Error* error : {level ? nullptr : &level.error(), format ? nullptr : &format.error()}) {
        if (error == nullptr) continue;
        std::fprintf(stderr, "%s: error: %s\n", program.c_str(), error->message.c_str());
        return false;
    }
    log::init(name, level.value(), format.value());
    return true;
}

std::string program_name(const std::string& command, Invocation invocation)
{
    return invocation == Invocation::subcommand ? "chunkswarm " + command : command;
}

int parse(CLI::App& app, int argc, char** argv, std::initializer_list<std::string_view> examples)
{
    if (examples.size() > 0) {
        std::string footer = examples.size() == 1 ? "Example:" : "Examples:";
        for (std::string_view example : examples)
            footer += "\n  " + app.get_name() + " " + std::string(example);
        app.footer(footer + "\n");
    }
    app.set_version_flag("--version", app.get_name() + " " + CHUNKSWARM_VERSION, "print the version and exit");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        std::printf("%s", app.help().c_str());
        return 0;
    } catch (const CLI::CallForVersion& e) {
        std::printf("%s\n", e.what());
        return 0;
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "%s: error: %s\nRun '%s --help' for usage.\n", app.get_name().c_str(), e.what(),
                     app.get_name().c_str());
        return 2;
    }
    return -1;
}

// VmHWM is this program's own peak: unlike getrusage's ru_maxrss, it does not start from the
// peak of whatever process forked it.
void log_resource_use()
{
    const std::int64_t peak = process::peak_memory_bytes();
    const double peak_mib = static_cast<double>(peak) / (1024.0 * 1024.0);
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
    log::event("resources",
               {{"peak_kib", peak / 1024},
                {"cpu_ms", static_cast<std::int64_t>((seconds(usage.ru_utime) + seconds(usage.ru_stime)) * 1000)}},
               "resources: peak memory {:.1f} MiB, CPU {:.2f} s user + {:.2f} s system", peak_mib,
               seconds(usage.ru_utime), seconds(usage.ru_stime));
}

int exit_code_of(const Error& error) { return error.code == ErrorCode::bad_input ? 2 : 1; }

int fail(const std::string& program, const std::string& message, int exit_code)
{
    log::flush();
    std::fprintf(stderr, "%s: error: %s\n", program.c_str(), message.c_str());
    return exit_code;
}

Result<void> check_source_path(const std::filesystem::path& path)
{
    auto type = input_file_type(path);
    if (!type) return make_error(type.error().message + "; give --file an existing file or directory");
    if (type.value() != std::filesystem::file_type::regular && type.value() != std::filesystem::file_type::directory) {
        return make_error(path.string() + " is " + describe_file_type(type.value()) +
                          "; give --file a regular file or a directory");
    }
    return {};
}

}  // namespace chunkswarm::cli

// owner: splits a file into chunks and hands each peer of the swarm its share.
#include <CLI/CLI.hpp>

#include "chunkswarm/cli_support.hpp"
#include "chunkswarm/core/auth.hpp"
#include "chunkswarm/core/config.hpp"
#include "chunkswarm/core/manifest.hpp"
#include "chunkswarm/disk/config_file.hpp"
#include "chunkswarm/log.hpp"
#include "chunkswarm/net/resolve.hpp"
#include "owner.hpp"
#include "owner_cli.hpp"

using namespace chunkswarm;

namespace {

struct Flags {
    std::string config;
    std::string file;
    std::string data_dir;
    std::string bind;
    std::uint16_t port = 0;
    std::uint32_t chunk_size = 0;
    std::uint32_t peers = 5;
    std::uint32_t give_up_s = 0;
    bool linger = false;
    cli::ServingFlags serving;
};

// Config values first, then whatever the command line sets on top.
Result<owner::OwnerOptions> resolve(const Flags& flags, const CLI::App& app)
{
    owner::OwnerOptions options;
    options.file = flags.file;
    options.linger = flags.linger;
    options.chunk_size = kDefaultChunkSize;
    options.bind = Endpoint{"0.0.0.0", flags.port};
    options.data_dir = "data/owner";
    options.peer_count = flags.peers;
    std::string config_secret;
    SwarmConfig::Tls config_tls;
    if (!flags.config.empty()) {
        auto config = load_config(flags.config);
        if (!config) return config.error();
        options.bind = config->owner;
        options.chunk_size = config->chunk_size;
        options.chunk_size_given = config->chunk_size_given;
        options.data_dir = config->resolved_owner_data_dir();
        options.settings = config->settings;
        config_secret = config->secret;
        config_tls = config->tls;
        for (const PeerConfig& p : config->peers)
            options.peer_ids.push_back(p.id);
        if (app.count("--peers")) return make_error("--peers conflicts with --config (the config lists the peers)");
    } else if (flags.port == 0) {
        return make_error("give --config FILE, or --port PORT for the plain form");
    }
    if (flags.port != 0) options.bind.port = flags.port;
    if (!flags.bind.empty()) options.bind.host = flags.bind;
    if (!flags.data_dir.empty()) options.data_dir = flags.data_dir;
    if (app.count("--chunk-size")) {
        options.chunk_size = flags.chunk_size;
        options.chunk_size_given = true;
    }
    if (app.count("--give-up")) {
        if (flags.give_up_s == 0 || flags.give_up_s > 86400) return make_error("--give-up must be 1..86400 seconds");
        options.settings.give_up_s = flags.give_up_s;
    }
    CS_TRY(cli::apply_rate_flags(flags.serving.rates, options.settings));
    CS_TRY_ASSIGN(options.metrics, cli::metrics_options(flags.serving.metrics));
    CS_TRY_ASSIGN(options.secret, resolve_secret(config_secret));
    CS_TRY_ASSIGN(options.tls, cli::tls_context(flags.serving.tls, config_tls, options.secret));
    CS_TRY(check_chunk_size(options.chunk_size));
    CS_TRY(check_host(options.bind.host));
    CS_TRY(net::resolve_endpoint(options.bind, "the owner's host"));
    if (options.metrics.bind) CS_TRY(net::resolve_endpoint(*options.metrics.bind, "--metrics"));
    if (options.peer_count == 0 || options.peer_count > kMaxPeers)
        return make_error("--peers must be 1.." + std::to_string(kMaxPeers));
    CS_TRY(cli::check_source_path(options.file));
    return options;
}

}  // namespace

int chunkswarm::owner_cli(int argc, char** argv, cli::Invocation invocation)
{
    cli::prepare_process();
    Flags flags;
    CLI::App app(
        "Splits FILE into chunks and serves each peer of the swarm its share, many peers at once.\n"
        "Stays until every peer holds the whole file or has been given up on, then exits 0 (unless --linger).",
        cli::program_name("owner", invocation));
    app.add_option("--file,-f", flags.file, "the file, or directory tree, to distribute")->required();
    app.add_option("--config,-c", flags.config,
                   "swarm config (configs/*.json; - reads it from standard input): port, data dir, chunk size, peers");
    app.add_option("--port,-p", flags.port, "TCP port to listen on (overrides the config)");
    app.add_option("--bind", flags.bind, "address to listen on (default: the config's owner host, else 0.0.0.0)");
    app.add_option("--peers,-n", flags.peers, "plain form: how many peers will join; shares follow join order")
        ->capture_default_str();
    app.add_option("--data-dir,-d", flags.data_dir, "where chunks and the manifest go (default: data/owner)");
    app.add_option("--chunk-size", flags.chunk_size, "bytes per chunk (default 102400)");
    app.add_flag("--linger", flags.linger, "keep serving after every peer is complete or given up on");
    app.add_option("--give-up", flags.give_up_s,
                   "seconds an absent peer is waited for before its share goes to the others (default 60; "
                   "the config's give_up_s)");
    cli::add_serving_flags(app, flags.serving, cli::Ways::send);
    const int parsed = cli::parse(app, argc, argv,
                                  {"--config configs/ring5.json --file movie.mkv",
                                   "--port 7100 --file movie.mkv --peers 5          (the plain form, no config)"});
    if (parsed >= 0) return parsed;

    auto options = resolve(flags, app);
    if (!options) return cli::fail("owner", options.error().message, 2);
    if (flags.serving.stop_with_stdin) cli::stop_when_stdin_closes();
    if (!cli::start_logging("owner", "owner", flags.serving.log)) return 2;
    cli::log_protection(options->tls.get());
    const Result<void> done = owner::run_owner(options.value());
    const int code = done ? 0 : cli::fail("owner", done.error().message, cli::exit_code_of(done.error()));
    cli::log_resource_use();
    log::shutdown();
    return code;
}

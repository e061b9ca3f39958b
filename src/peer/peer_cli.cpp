// peer: joins a swarm, takes its share from the owner, trades chunks with its neighbours and
// joins the file.
#include <CLI/CLI.hpp>

#include <set>

#include "chunkswarm/cli_support.hpp"
#include "chunkswarm/core/auth.hpp"
#include "chunkswarm/core/config.hpp"
#include "chunkswarm/core/manifest.hpp"
#include "chunkswarm/disk/config_file.hpp"
#include "chunkswarm/disk/file_util.hpp"
#include "chunkswarm/disk/manifest_file.hpp"
#include "chunkswarm/disk/tree_files.hpp"
#include "chunkswarm/log.hpp"
#include "chunkswarm/net/resolve.hpp"
#include "peer_cli.hpp"
#include "peer_node.hpp"

using namespace chunkswarm;

namespace {

struct Flags {
    std::string config;
    std::optional<std::uint32_t> id;
    std::string data_dir;
    std::string output;
    std::string host;
    std::string owner_host = "127.0.0.1";
    std::string download_host = "127.0.0.1";
    std::uint16_t owner_port = 0;
    std::uint16_t port = 0;
    std::uint16_t download_port = 0;
    cli::ServingFlags serving;
    std::string digest;
    std::string expect;
};

// `dir` is the tree an earlier run with this data directory put there: its saved manifest is a
// tree's, and every entry in `dir` is one of that tree's top-level names. Any other directory
// (a home, a mount point) is refused, never replaced.
bool earlier_tree_at(const std::filesystem::path& dir, const std::filesystem::path& data_dir)
{
    auto manifest = load_manifest(data_dir / kManifestFileName);
    if (!manifest || !manifest->is_tree()) return false;
    std::set<std::string> top;
    for (const TreeEntry& entry : manifest->tree)
        top.insert(entry.path.substr(0, entry.path.find('/')));
    std::error_code ec;
    std::size_t entries = 0;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (!top.count(it->path().filename().string())) return false;
        ++entries;
    }
    return !ec && entries > 0;
}

// The joined file's path: in an existing directory, and not a directory itself, unless it is the
// tree an earlier run with this data directory put there.
Result<std::filesystem::path> check_output(const std::string& text, const std::filesystem::path& data_dir)
{
    const std::filesystem::path output = std::filesystem::absolute(text).lexically_normal();
    std::error_code ec;
    const bool directory = std::filesystem::is_directory(output, ec);
    if (output.filename().empty() || (directory && !earlier_tree_at(output, data_dir))) {
        return make_error("--output " + text +
                          " is a directory; give the path the file (or tree) should have, "
                          "such as " +
                          (output / "model.bin").string());
    }
    if (!std::filesystem::is_directory(output.parent_path(), ec)) {
        return make_error("--output " + text + ": the directory " + output.parent_path().string() +
                          " does not exist; create it first");
    }
    return output;
}

Result<peer::PeerOptions> from_config(const Flags& flags, SwarmConfig::Tls& tls)
{
    if (!flags.id) return make_error("--config needs --id (which peer of the config this is)");
    auto config = load_config(flags.config);
    if (!config) return config.error();
    const PeerConfig* self = config->find_peer(PeerId(*flags.id));
    if (!self) return make_error("peer id " + std::to_string(*flags.id) + " is not in " + flags.config);
    peer::PeerOptions options;
    options.id = self->id;
    options.owner = config->owner;
    options.listen = self->endpoint;
    options.upstream = upstream_ring(config.value(), self->id);
    if (const PeerConfig* up = config->upload_neighbor_of(self->id)) options.upload_neighbor = up->id;
    options.data_dir = config->peer_data_dir(*self);
    options.settings = config->settings;
    options.secret = config->secret;
    options.expected_content_id = config->content_id;
    tls = config->tls;
    return options;
}

// The original brief's plain form: ports on the command line; a peer is known by its listening port.
Result<peer::PeerOptions> from_flags(const Flags& flags)
{
    if (flags.owner_port == 0 || flags.port == 0 || flags.download_port == 0) {
        return make_error("give --config FILE --id N, or all of --owner-port, --port and --download-port");
    }
    if (flags.port == flags.download_port && flags.download_host == "127.0.0.1") {
        return make_error("--download-port must differ from --port (a peer cannot download from itself)");
    }
    peer::PeerOptions options;
    options.id = PeerId(flags.id.value_or(flags.port));
    options.owner = Endpoint{flags.owner_host, flags.owner_port};
    options.listen = Endpoint{"0.0.0.0", flags.port};
    // A peer is known by its port unless given an --id, so that is the neighbour's id too.
    options.upstream = {PeerRef{PeerId(flags.download_port), Endpoint{flags.download_host, flags.download_port}}};
    options.data_dir = "data/peer-" + to_string(options.id);
    return options;
}

Result<peer::PeerOptions> resolve(const Flags& flags)
{
    SwarmConfig::Tls config_tls;
    auto options = flags.config.empty() ? from_flags(flags) : from_config(flags, config_tls);
    if (!options) return options;
    if (!flags.config.empty() && (flags.owner_port || flags.download_port)) {
        return make_error("--owner-port and --download-port belong to the plain form; with --config, edit the config");
    }
    CS_TRY(cli::apply_rate_flags(flags.serving.rates, options->settings));
    CS_TRY_ASSIGN(options->metrics, cli::metrics_options(flags.serving.metrics));
    CS_TRY_ASSIGN(options->secret, resolve_secret(options->secret));
    CS_TRY_ASSIGN(options->tls, cli::tls_context(flags.serving.tls, config_tls, options->secret));
    if (flags.port != 0) options->listen.port = flags.port;
    if (!flags.host.empty()) options->listen.host = flags.host;
    if (!flags.data_dir.empty()) options->data_dir = flags.data_dir;
    if (!flags.output.empty()) CS_TRY_ASSIGN(options->output, check_output(flags.output, options->data_dir));
    if (!flags.expect.empty()) CS_TRY_ASSIGN(options->expected_content_id, parse_content_id(flags.expect));
    for (const std::string* host : {&options->owner.host, &options->listen.host, &options->upstream[0].endpoint.host}) {
        CS_TRY(check_host(*host));
    }
    CS_TRY(net::resolve_endpoint(options->owner, "the owner"));
    CS_TRY(net::resolve_endpoint(options->listen, "this peer's own host"));
    for (PeerRef& ref : options->upstream)
        CS_TRY(net::resolve_endpoint(ref.endpoint, ref.label()));
    if (options->metrics.bind) CS_TRY(net::resolve_endpoint(*options->metrics.bind, "--metrics"));
    return options;
}

int print_digest(const std::string& path)
{
    auto digest = content_digest(path);
    if (!digest) return cli::fail("peer", digest.error().message);
    std::printf("%s  %s\n", digest->c_str(), path.c_str());
    return 0;
}

}  // namespace

int chunkswarm::peer_cli(int argc, char** argv, cli::Invocation invocation)
{
    cli::prepare_process();
    Flags flags;
    CLI::App app(
        "Joins a chunkswarm swarm: takes a share of the file from the owner, uploads to its upload\n"
        "neighbour, downloads the rest from its download neighbour, and joins the file.\n"
        "Exits 0 once it holds the verified file and its upload neighbour holds it too.",
        cli::program_name("peer", invocation));
    app.add_option("--config,-c", flags.config, "swarm config (configs/*.json; - reads it from standard input)");
    app.add_option("--id,-i", flags.id, "this peer's id in the config (plain form: defaults to --port)");
    app.add_option("--owner-port", flags.owner_port, "plain form: the owner's port");
    app.add_option("--owner-host", flags.owner_host, "plain form: the owner's address")->capture_default_str();
    app.add_option("--port,-p", flags.port, "port to listen on for the upload neighbour (overrides the config)");
    app.add_option("--host", flags.host, "address to listen on (default: the config's host, else 0.0.0.0)");
    app.add_option("--download-port", flags.download_port, "plain form: the download neighbour's port");
    app.add_option("--download-host", flags.download_host, "plain form: the download neighbour's address")
        ->capture_default_str();
    app.add_option("--data-dir,-d", flags.data_dir, "where chunks, summary and the file go (default: data/peer-<id>)");
    app.add_option("--output,-o", flags.output,
                   "where the joined file (or tree) goes, its chunk files staying in --data-dir (default: "
                   "DATA_DIR/<its name>)");
    app.add_option("--expect", flags.expect,
                   "the content id to accept (16-64 hex digits, as the owner prints it; overrides the config's "
                   "content_id): any other manifest is refused");
    app.add_option("--digest", flags.digest,
                   "print the SHA-256 of PATH (a file), or of a tree's paths, modes and contents (a directory), "
                   "and exit: how the swarm launcher compares copies on other hosts");
    cli::add_serving_flags(app, flags.serving, cli::Ways::send_and_receive);
    const int parsed = cli::parse(app, argc, argv,
                                  {"--config configs/ring5.json --id 3",
                                   "--owner-port 7100 --port 7103 --download-port 7102   (the plain form, no config)"});
    if (parsed >= 0) return parsed;
    if (!flags.digest.empty()) return print_digest(flags.digest);

    auto options = resolve(flags);
    if (!options) return cli::fail("peer", options.error().message, 2);
    if (flags.serving.stop_with_stdin) cli::stop_when_stdin_closes();
    if (!cli::start_logging("peer", "peer " + to_string(options->id), flags.serving.log)) return 2;
    cli::log_protection(options->tls.get());
    const Result<void> done = peer::run_peer(options.value());
    const int code =
        done ? 0 : cli::fail("peer " + to_string(options->id), done.error().message, cli::exit_code_of(done.error()));
    cli::log_resource_use();
    log::shutdown();
    return code;
}

#include "launch_plan.hpp"

namespace chunkswarm::swarm {
namespace {

const std::string& host_of(const SwarmConfig& config, std::size_t index)
{
    return index == 0 ? config.owner.host : config.peers[index - 1].endpoint.host;
}

std::string replace_all(std::string text, std::string_view from, const std::string& to)
{
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

// The host's command with {host} and {name} filled in.
std::vector<std::string> prefix_for(const SwarmConfig& config, const HostLaunch& launch, std::size_t index)
{
    std::vector<std::string> prefix;
    for (const std::string& word : launch.command)
        prefix.push_back(
            replace_all(replace_all(word, "{host}", host_of(config, index)), "{name}", base_name(config, index)));
    return prefix;
}

// Whether the command hands its last argument to a shell (ssh and rsh join their arguments into a
// line for the remote shell; a command ending in "-c" is a shell), or runs its arguments as a
// program (ip netns exec, sudo, nsenter), which then gets "sh -c LINE".
bool takes_a_shell_line(const std::vector<std::string>& prefix)
{
    const std::string program = std::filesystem::path(prefix.front()).filename().string();
    return program == "ssh" || program == "rsh" || prefix.back() == "-c";
}

// Whether the shell that runs the words becomes the program (exec: no shell stays between the
// launcher and a peer, so its signals and exit reach the launcher) or stays to run what follows.
enum class Shell { execs, stays };

// The prefix, then one shell line that runs the words.
std::vector<std::string> through(std::vector<std::string> prefix, const std::vector<std::string>& words, Shell shell)
{
    std::string line = shell == Shell::execs ? "exec" : "";
    for (const std::string& word : words)
        line += (line.empty() ? "" : " ") + shell_quote(word);
    if (!takes_a_shell_line(prefix)) prefix.insert(prefix.end(), {"sh", "-c"});
    prefix.push_back(line);
    return prefix;
}

}  // namespace

std::string base_name(const SwarmConfig& config, std::size_t index)
{
    return index == 0 ? "owner" : "peer-" + to_string(config.peers[index - 1].id);
}

std::string shell_quote(std::string_view word)
{
    const bool plain = !word.empty() && word.find_first_not_of(
                                            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789@%+=:,./_-") == std::string_view::npos;
    if (plain) return std::string(word);
    return "'" + replace_all(std::string(word), "'", "'\\''") + "'";
}

std::string output_for(const std::string& output, PeerId peer_id)
{
    return replace_all(output, "{id}", to_string(peer_id));
}

std::vector<std::string> program_words(const PlanInputs& inputs, const std::filesystem::path& bin,
                                       const std::string& program)
{
    if (inputs.subcommands) return {(bin / "chunkswarm").string(), program};
    return {(bin / program).string()};
}

ProcessPlan plan_process(const PlanInputs& inputs, std::size_t index)
{
    const SwarmConfig& config = *inputs.config;
    const HostLaunch launch = config.launch.for_host(host_of(config, index));
    ProcessPlan plan;
    plan.remote = !launch.command.empty();
    const std::filesystem::path bin = launch.bin_dir.empty() ? inputs.bin_dir : std::filesystem::path(launch.bin_dir);
    const std::filesystem::path work = launch.work_dir.empty() ? inputs.work : std::filesystem::path(launch.work_dir);
    plan.data_dir = work / base_name(config, index);
    plan.bin_dir = bin;
    const std::string config_arg = plan.remote ? "-" : inputs.config_path.string();
    std::vector<std::string> words;
    if (index == 0) {
        plan.copy = inputs.file;
        words = program_words(inputs, bin, "owner");
        words.insert(words.end(), {"--config", config_arg, "--file", inputs.file.string()});
    } else {
        const std::string id = to_string(config.peers[index - 1].id);
        words = program_words(inputs, bin, "peer");
        words.insert(words.end(), {"--config", config_arg, "--id", id});
        if (!inputs.expect.empty()) words.insert(words.end(), {"--expect", inputs.expect});
        plan.copy = plan.data_dir / inputs.file.filename();
        if (!inputs.output.empty()) {
            plan.copy = output_for(inputs.output, config.peers[index - 1].id);
            words.insert(words.end(), {"--output", plan.copy.string()});
        }
    }
    words.insert(words.end(), {"--data-dir", plan.data_dir.string(), "--log-format", "json"});
    words.insert(words.end(), launch.args.begin(), launch.args.end());
    words.push_back("--stop-with-stdin");
    if (!plan.remote) {
        plan.argv = std::move(words);
        return plan;
    }
    plan.config_text = inputs.config_text;
    plan.prefix = prefix_for(config, launch, index);
    plan.argv = through(plan.prefix, words, Shell::execs);
    return plan;
}

std::vector<std::string> on_host_of(const PlanInputs& inputs, std::size_t index, const std::vector<std::string>& words)
{
    const SwarmConfig& config = *inputs.config;
    const HostLaunch launch = config.launch.for_host(host_of(config, index));
    if (launch.command.empty()) return words;
    return through(prefix_for(config, launch, index), words, Shell::stays);
}

}  // namespace chunkswarm::swarm

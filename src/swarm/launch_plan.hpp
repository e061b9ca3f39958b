// Where and how the launcher starts each process, free of I/O: on this machine directly, or
// through its host's command from the config's "launch" object. A command that hands a line to a
// shell (ssh, or one ending in "-c") gets the program's command line as its last argument; any
// other (ip netns exec NAME, sudo -u USER) gets "sh -c" and the line.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "chunkswarm/core/config.hpp"

namespace chunkswarm::swarm {

struct ProcessPlan {
    std::vector<std::string> argv;  // what the launcher spawns here
    // Through a host's command: the config goes on the program's standard input, and the
    // program's files are on that host (checked there through the same command).
    bool remote = false;
    std::string config_text;          // with remote: what to write to its standard input
    std::filesystem::path data_dir;   // on its host
    std::filesystem::path bin_dir;    // on its host
    std::filesystem::path copy;       // on its host: the peer's copy of the file (the owner's: the original)
    std::vector<std::string> prefix;  // with remote: the host's command, placeholders filled
};

// What the plans are made from: the launcher's own flags and the config.
struct PlanInputs {
    const SwarmConfig* config = nullptr;
    std::string config_text;  // the config file's bytes
    std::filesystem::path config_path;
    std::filesystem::path file;     // the owner's --file, a path on the owner's host
    std::filesystem::path bin_dir;  // the launcher's --bin-dir
    std::filesystem::path work;     // the launcher's --work
    std::string expect;             // the launcher's --expect, passed to every peer; empty: none
    std::string output;             // the launcher's --output, "{id}" the peer's id; empty: in its data dir
    // The owner and peer as subcommands of `chunkswarm` (the installed form, when the launcher
    // itself runs as `chunkswarm swarm`), else as programs of their own (the build tree's).
    bool subcommands = false;
};

// A peer's copy under --output: every "{id}" in `output` becomes the peer's id.
std::string output_for(const std::string& output, PeerId peer_id);
// The words that start `program` ("owner" or "peer") from `bin`: bin/owner, or bin/chunkswarm owner.
std::vector<std::string> program_words(const PlanInputs& inputs, const std::filesystem::path& bin,
                                       const std::string& program);

// Index 0 is the owner, index i the config's peer i-1 (as in the swarm model).
ProcessPlan plan_process(const PlanInputs& inputs, std::size_t index);
// A command run on the host of process `index` (for checking a file there): `words` as they are
// for a process on this machine, else through its host's command.
std::vector<std::string> on_host_of(const PlanInputs& inputs, std::size_t index, const std::vector<std::string>& words);
// "owner" or "peer-<id>": the process's data directory's and log file's name.
std::string base_name(const SwarmConfig& config, std::size_t index);

// A word as POSIX sh reads it back unchanged: in single quotes where it needs any.
std::string shell_quote(std::string_view word);

}  // namespace chunkswarm::swarm

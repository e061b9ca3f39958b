// The installed program: `chunkswarm owner`, `chunkswarm peer` and `chunkswarm swarm` are the build
// tree's `owner`, `peer` and `swarm`, under one name that clashes with no other tool's (Hyperledger
// Fabric ships a `peer`).
#include <cstdio>
#include <cstring>

#include "owner_cli.hpp"
#include "peer_cli.hpp"
#include "swarm_cli.hpp"

namespace {

using namespace chunkswarm;

struct Command {
    const char* name;
    int (*run)(int argc, char** argv, cli::Invocation invocation);
    const char* summary;
};

constexpr Command kCommands[] = {
    {"owner", owner_cli, "split a file into chunks and serve each peer its share"},
    {"peer", peer_cli, "join a swarm: take a share, trade chunks with the neighbours, join the file"},
    {"swarm", swarm_cli, "run a whole swarm from one config, show it live and check every copy"},
};

// In the shape of the commands' own --help (the man page is made from it).
void print_help()
{
    std::printf(
        "Distributes a file, or a directory tree, to many machines at once.\n"
        "An owner splits it into chunks and deals them out; peers in a ring trade the chunks until\n"
        "each holds every one, checked against the owner's SHA-256 of each.\n\n"
        "Usage: chunkswarm COMMAND [OPTIONS]\n\nCommands:\n");
    for (const Command& command : kCommands)
        std::printf("  %-27s %s\n", command.name, command.summary);
    std::printf(
        "  --help                      print this help and exit (chunkswarm COMMAND --help: the command's)\n"
        "  --version                   print the version and exit\n\n"
        "Examples:\n"
        "  chunkswarm swarm --config ring5.json --file big.iso\n"
        "  chunkswarm owner --config cluster.json --file big.iso      (on the owner's host)\n"
        "  chunkswarm peer --config cluster.json --id 3                (on peer 3's host)\n");
}

}  // namespace

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::fprintf(stderr,
                     "chunkswarm: error: give a command: owner, peer or swarm\nRun 'chunkswarm --help' for usage.\n");
        return 2;
    }
    const char* word = argv[1];
    if (std::strcmp(word, "--help") == 0 || std::strcmp(word, "-h") == 0 || std::strcmp(word, "help") == 0) {
        print_help();
        return 0;
    }
    if (std::strcmp(word, "--version") == 0) {
        std::printf("chunkswarm %s\n", CHUNKSWARM_VERSION);
        return 0;
    }
    for (const Command& command : kCommands) {
        if (std::strcmp(word, command.name) == 0) return command.run(argc - 1, argv + 1, cli::Invocation::subcommand);
    }
    std::fprintf(stderr, "chunkswarm: error: no command \"%s\": the commands are owner, peer and swarm\n", word);
    return 2;
}

// The build tree's `swarm` program; installed, it is `chunkswarm swarm`.
#include "swarm_cli.hpp"

int main(int argc, char** argv) { return chunkswarm::swarm_cli(argc, argv, chunkswarm::cli::Invocation::program); }

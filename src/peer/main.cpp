// The build tree's `peer` program; installed, it is `chunkswarm peer`.
#include "peer_cli.hpp"

int main(int argc, char** argv) { return chunkswarm::peer_cli(argc, argv, chunkswarm::cli::Invocation::program); }

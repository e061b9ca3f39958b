// The build tree's `owner` program; installed, it is `chunkswarm owner`.
#include "owner_cli.hpp"

int main(int argc, char** argv) { return chunkswarm::owner_cli(argc, argv, chunkswarm::cli::Invocation::program); }

// The swarm's command line: a program of its own in the build tree (`swarm`), a subcommand of the
// installed `chunkswarm` (`chunkswarm swarm`). Returns the process's exit code.
#pragma once

#include "chunkswarm/cli_support.hpp"

namespace chunkswarm {

int swarm_cli(int argc, char** argv, cli::Invocation invocation);

}  // namespace chunkswarm

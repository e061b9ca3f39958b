// The owner's command line: a program of its own in the build tree (`owner`), a subcommand of the
// installed `chunkswarm` (`chunkswarm owner`). Returns the process's exit code.
#pragma once

#include "chunkswarm/cli_support.hpp"

namespace chunkswarm {

int owner_cli(int argc, char** argv, cli::Invocation invocation);

}  // namespace chunkswarm

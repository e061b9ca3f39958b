// The peer's command line: a program of its own in the build tree (`peer`), a subcommand of the
// installed `chunkswarm` (`chunkswarm peer`). Returns the process's exit code.
#pragma once

#include "chunkswarm/cli_support.hpp"

namespace chunkswarm {

int peer_cli(int argc, char** argv, cli::Invocation invocation);

}  // namespace chunkswarm

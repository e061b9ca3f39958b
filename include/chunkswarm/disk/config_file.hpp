// A swarm config read from a file (configs/*.json) or from standard input; parse_config (core)
// checks what it says.
#pragma once

#include <filesystem>
#include <string>

#include "chunkswarm/core/config.hpp"
#include "chunkswarm/core/result.hpp"

namespace chunkswarm {

// A path of "-" reads one JSON value from standard input (and nothing after it). With `text`, a
// file's bytes are kept there too (the launcher hands them on as they are).
Result<SwarmConfig> load_config(const std::filesystem::path& path, std::string* text = nullptr);

}  // namespace chunkswarm

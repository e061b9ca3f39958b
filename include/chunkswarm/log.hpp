// Process-wide logging: spdlog, asynchronous, one line per event on stdout.
#pragma once

#include <string>

#include <spdlog/spdlog.h>

#include "chunkswarm/result.hpp"

namespace chunkswarm::log {

// Accepts level names: trace, debug, info, warn, error, off.
Result<spdlog::level::level_enum> parse_level(const std::string& name);
// `name` tags every line ("owner", "peer 3").
void init(const std::string& name, spdlog::level::level_enum level);
void shutdown();

}  // namespace chunkswarm::log

// Process-wide logging: one line per event on stdout, written by a background thread.
// spdlog does the work inside log.cpp only; callers format with fmt, a compiled library, so the
// heavy logging headers are compiled once.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <fmt/core.h>

#include "chunkswarm/result.hpp"

namespace chunkswarm::log {

enum class Level { trace, debug, info, warn, error, off };

// Accepts level names: trace, debug, info, warn (or warning), error, off.
Result<Level> parse_level(const std::string& name);
// `name` tags every line ("owner", "peer 3").
void init(const std::string& name, Level level);
void flush();
void shutdown();

bool enabled(Level level);
void write(Level level, std::string_view message);

template <class... Args>
void at(Level level, fmt::format_string<Args...> format, Args&&... args)
{
    if (enabled(level)) write(level, fmt::format(format, std::forward<Args>(args)...));
}
template <class... Args>
void debug(fmt::format_string<Args...> format, Args&&... args)
{
    at(Level::debug, format, std::forward<Args>(args)...);
}
template <class... Args>
void info(fmt::format_string<Args...> format, Args&&... args)
{
    at(Level::info, format, std::forward<Args>(args)...);
}
template <class... Args>
void warn(fmt::format_string<Args...> format, Args&&... args)
{
    at(Level::warn, format, std::forward<Args>(args)...);
}
template <class... Args>
void error(fmt::format_string<Args...> format, Args&&... args)
{
    at(Level::error, format, std::forward<Args>(args)...);
}

}  // namespace chunkswarm::log

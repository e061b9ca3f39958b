// Process-wide logging: one line per event on stdout, written in batches by a background thread
// (src/net/batching_sink.hpp). spdlog does the work inside src/net only; callers format with fmt,
// a compiled library, so the heavy logging headers are compiled once.
//
// Two formats: text (a person reads it) and json (one object per line, for programs such as the
// swarm launcher). An event() carries named fields as well as its sentence; in text form only the
// sentence is printed, in json form both.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <fmt/core.h>

#include "chunkswarm/core/ids.hpp"
#include "chunkswarm/core/result.hpp"

namespace chunkswarm::log {

enum class Level { trace, debug, info, warn, error, off };
enum class Format { text, json };

// Accepts level names: trace, debug, info, warn (or warning), error, off.
Result<Level> parse_level(const std::string& name);
// Accepts "text" and "json".
Result<Format> parse_format(const std::string& name);
// `name` tags every line ("owner", "peer 3").
void init(const std::string& name, Level level, Format format = Format::text);
void flush();
void shutdown();

bool enabled(Level level);
void write(Level level, std::string_view message);

// One named value of an event; the views must outlive the call only.
struct Field {
    template <std::integral T>
    Field(std::string_view k, T v) : key(k),
                                     value(static_cast<std::int64_t>(v))
    {
    }
    template <typename Tag>
    Field(std::string_view k, Id<Tag> v) : key(k),
                                           value(static_cast<std::int64_t>(v.value()))
    {
    }
    Field(std::string_view k, std::string_view v) : key(k), value(v) {}
    std::string_view key;
    std::variant<std::int64_t, std::string_view> value;
};

// The json line's body for an event: "event":NAME, the fields, then "msg":MESSAGE (no braces).
std::string event_body(std::string_view name, std::initializer_list<Field> fields, std::string_view message);
void write_event(Level level, std::string_view name, std::initializer_list<Field> fields, std::string_view message);

// An activity line at info level with named fields, e.g.
//   log::event("chunk_sent", {{"chunk", id}, {"to", label}}, "sent chunk {} to {}", id, label);
template <class... Args>
void event(std::string_view name, std::initializer_list<Field> fields, fmt::format_string<Args...> format,
           Args&&... args)
{
    if (enabled(Level::info)) {
        write_event(Level::info, name, fields, fmt::format(format, std::forward<Args>(args)...));
    }
}

// The same at warning level: something went wrong that the process copes with.
template <class... Args>
void warn_event(std::string_view name, std::initializer_list<Field> fields, fmt::format_string<Args...> format,
                Args&&... args)
{
    if (enabled(Level::warn)) {
        write_event(Level::warn, name, fields, fmt::format(format, std::forward<Args>(args)...));
    }
}

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

// An id is written as its number (no format spec: fmt/core.h alone does not define the number's).
template <typename Tag>
struct fmt::formatter<chunkswarm::Id<Tag>> {
    constexpr auto parse(fmt::format_parse_context& ctx) { return ctx.begin(); }
    template <typename FormatContext>
    auto format(chunkswarm::Id<Tag> id, FormatContext& ctx) const
    {
        return fmt::format_to(ctx.out(), "{}", id.value());
    }
};

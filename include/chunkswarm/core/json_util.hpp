// JSON helpers: number handling shared by the config, manifest and message parsers, and the
// reading of an event stream line shared by the swarm launcher and the bench.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace chunkswarm {

// A non-negative integer, whichever way nlohmann stores it: parsed text gives unsigned numbers,
// values built in code give signed ones. Floats, negatives and non-numbers give nullopt.
inline std::optional<std::uint64_t> as_unsigned(const nlohmann::json& value)
{
    if (value.is_number_unsigned()) return value.get<std::uint64_t>();
    if (value.is_number_integer() && value.get<std::int64_t>() >= 0)
        return static_cast<std::uint64_t>(value.get<std::int64_t>());
    return std::nullopt;
}

// One line of a process's event stream (--log-format json): the object, or null for any other line
// (plain text, such as an error on stderr, or a line cut short).
inline nlohmann::json parse_event_line(std::string_view line)
{
    if (line.empty() || line.front() != '{') return nullptr;
    auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!json.is_object() || !json.contains("event") || !json["event"].is_string()) return nullptr;
    return json;
}

}  // namespace chunkswarm

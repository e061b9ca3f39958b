// JSON number handling shared by the config, manifest and message parsers.
#pragma once

#include <cstdint>
#include <optional>

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

}  // namespace chunkswarm

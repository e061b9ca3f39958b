// For fuzz targets of a JSON loader: the input, when it is JSON and the loader accepts it, handed
// to a check that traps on a broken property.
#pragma once

#include <cstddef>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace chunkswarm::fuzz {

template <class Load, class Check>
int check_loaded(const std::uint8_t* data, std::size_t size, Load load, Check check)
{
    auto json = nlohmann::json::parse(data, data + size, nullptr, false);
    if (json.is_discarded()) return 0;
    auto loaded = load(json);
    if (loaded) check(loaded.value());
    return 0;
}

}  // namespace chunkswarm::fuzz

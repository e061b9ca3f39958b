// Fuzz target: the manifest loader, on text that may or may not be JSON. A manifest that loads
// must survive its own round trip unchanged.
#include <cstddef>
#include <cstdint>

#include "chunkswarm/core/manifest.hpp"
#include "parsed_input.hpp"

using namespace chunkswarm;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    return fuzz::check_loaded(data, size, manifest_from_json, [](const Manifest& manifest) {
        auto again = manifest_from_json(manifest_to_json(manifest));
        if (!again || !(again.value() == manifest)) __builtin_trap();
        if (!check_file_name(manifest.file_name)) __builtin_trap();
    });
}

// Fuzz target: the manifest loader, on text that may or may not be JSON. A manifest that loads
// must survive its own round trip unchanged.
#include <cstddef>
#include <cstdint>

#include "chunkswarm/manifest.hpp"

using namespace chunkswarm;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    auto json = nlohmann::json::parse(data, data + size, nullptr, false);
    if (json.is_discarded()) return 0;
    auto manifest = manifest_from_json(json);
    if (!manifest) return 0;
    auto again = manifest_from_json(manifest_to_json(manifest.value()));
    if (!again || !(again.value() == manifest.value())) __builtin_trap();
    if (!check_file_name(manifest->file_name)) __builtin_trap();
    return 0;
}

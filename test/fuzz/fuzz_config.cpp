// Fuzz target: the config loader. A config that loads must be a topology where every peer is fed.
#include <cstddef>
#include <cstdint>

#include "chunkswarm/config.hpp"

using namespace chunkswarm;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    auto json = nlohmann::json::parse(data, data + size, nullptr, false);
    if (json.is_discarded()) return 0;
    auto config = parse_config(json);
    if (!config) return 0;
    if (!check_topology(config->peers)) __builtin_trap();
    for (const PeerConfig& peer : config->peers) {
        if (!config->find_peer(peer.download_neighbor)) __builtin_trap();
    }
    return 0;
}

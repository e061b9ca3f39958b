// Fuzz target: the config loader. A config that loads must be a topology where every peer is fed.
#include <cstddef>
#include <cstdint>

#include "chunkswarm/core/config.hpp"
#include "parsed_input.hpp"

using namespace chunkswarm;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    return fuzz::check_loaded(data, size, parse_config, [](const SwarmConfig& config) {
        if (!check_topology(config.peers)) __builtin_trap();
        for (const PeerConfig& peer : config.peers) {
            if (!config.find_peer(peer.download_neighbor)) __builtin_trap();
        }
    });
}

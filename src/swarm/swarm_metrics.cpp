#include "swarm_metrics.hpp"

#include <algorithm>

namespace chunkswarm::swarm {

void publish_metrics(const SwarmModel& model, metrics::Registry& registry)
{
    std::int64_t done = 0;
    std::int64_t failed = 0;
    std::size_t chunks = 0;
    for (const Process& process : model.processes()) {
        chunks = std::max(chunks, process.total);
        if (process.is_owner) continue;
        done += process.state == State::done ? 1 : 0;
        failed += process.state == State::failed ? 1 : 0;
        const std::string peer = metrics::remote_value(process.name);
        registry.at(family::chunks_held, {{"peer", peer}}).set(static_cast<std::int64_t>(process.held));
        registry.at(family::received_bytes, {{"peer", peer}, {"from", "owner"}})
            .set(static_cast<std::int64_t>(process.bytes_from_owner));
        registry.at(family::received_bytes, {{"peer", peer}, {"from", "neighbor"}})
            .set(static_cast<std::int64_t>(process.bytes_from_neighbor));
        registry.at(family::uploaded_bytes, {{"peer", peer}}).set(static_cast<std::int64_t>(process.bytes_uploaded));
    }
    registry.at(family::peers).set(static_cast<std::int64_t>(model.size() - 1));
    registry.at(family::peers_done).set(done);
    registry.at(family::peers_failed).set(failed);
    registry.at(family::chunks_in_file).set(static_cast<std::int64_t>(chunks));
}

}  // namespace chunkswarm::swarm

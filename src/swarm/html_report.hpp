// The run as one self-contained HTML page: chunks held per peer over time, throughput per link,
// and the summary table. Inline SVG and CSS only; nothing is fetched.
#pragma once

#include <string>

#include "swarm_model.hpp"

namespace chunkswarm::swarm {

std::string html_report(const SwarmModel& model, const RunSummary& summary);

}  // namespace chunkswarm::swarm

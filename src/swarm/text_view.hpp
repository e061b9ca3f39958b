// The launcher's text output, rendered from the model: the live view redrawn on a terminal, the
// plain progress lines written elsewhere, and the final table.
#pragma once

#include <string>

#include "swarm_model.hpp"

namespace chunkswarm::swarm {

// The owner's line, one line per peer (bar, percent, rate, ETA, state), a line for the whole swarm
// (peers done, MiB/s in all, ETA), then the latest milestones; at most `height` lines (where not
// every peer fits, the slowest ones and a count of the rest), each cut to `width` columns and
// ending in '\n'.
std::string live_view(const SwarmModel& model, double now, std::size_t width, std::size_t height = 1000);
// One line for the whole swarm, for logs and pipes.
std::string progress_line(const SwarmModel& model, double now);
// The verdict per peer and the totals.
std::string summary_table(const SwarmModel& model, const RunSummary& summary);

std::string format_bytes(double bytes);
std::string format_seconds(double seconds);

}  // namespace chunkswarm::swarm

// What the kernel says of this process (memory, CPU, descriptors), for the last log line and for
// Prometheus' standard process_* metrics. Reading is separate from rendering, which is plain code.
#pragma once

#include <cstdint>
#include <string>

namespace chunkswarm::process {

struct Facts {
    double cpu_seconds = 0;         // user + system
    double start_time_seconds = 0;  // since the Unix epoch
    std::int64_t resident_bytes = 0;
    std::int64_t virtual_bytes = 0;
    std::int64_t peak_resident_bytes = 0;  // VmHWM
    std::int64_t open_fds = 0;
    std::int64_t max_fds = 0;
};

// From /proc/self and getrlimit; a figure that cannot be read stays 0.
Facts read_facts();
// The process's own peak resident memory (VmHWM), in bytes.
std::int64_t peak_memory_bytes();
// Prometheus' text format for the process_* metrics its client libraries export.
std::string render_metrics(const Facts& facts);

}  // namespace chunkswarm::process

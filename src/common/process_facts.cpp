#include "chunkswarm/process_facts.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

namespace chunkswarm::process {
namespace {

// The value of a "Name:   123 kB" line of /proc/self/status, in bytes.
std::int64_t status_kib(const std::string& name)
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind(name + ":", 0) != 0) continue;
        std::int64_t kib = 0;
        const char* digits = line.c_str() + name.size() + 1;
        while (*digits == ' ' || *digits == '\t')
            ++digits;
        std::from_chars(digits, line.c_str() + line.size(), kib);
        return kib * 1024;
    }
    return 0;
}

std::int64_t boot_time_seconds()
{
    std::ifstream stat("/proc/stat");
    std::string word;
    std::int64_t value = 0;
    while (stat >> word) {
        if (word == "btime" && stat >> value) return value;
    }
    return 0;
}

std::int64_t open_fd_count()
{
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) return 0;
    std::int64_t count = 0;
    while (const dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] != '.') ++count;
    }
    ::closedir(dir);
    return count - 1;  // the directory's own descriptor
}

void gauge(std::string& out, const char* name, const char* help, const char* type, const std::string& value)
{
    out +=
        std::string("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n' + name + ' ' + value + '\n';
}

std::string decimal(double value)
{
    std::ostringstream out;
    out.precision(15);
    out << value;
    return out.str();
}

// CPU time, start time and memory from /proc/self/stat: the name in parentheses (it may hold
// spaces), then fields 3 onwards.
void read_stat(Facts& facts)
{
    std::ifstream stat_file("/proc/self/stat");
    const std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
    const std::size_t end_of_name = stat.rfind(')');
    if (end_of_name == std::string::npos || end_of_name + 2 > stat.size()) return;
    std::istringstream fields(stat.substr(end_of_name + 2));
    std::vector<std::string> field{"", "", ""};  // field[n] is proc(5)'s field n: 1 and 2 (pid, name) skipped
    for (std::string word; fields >> word;)
        field.push_back(word);
    if (field.size() <= 24) return;
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const long page = ::sysconf(_SC_PAGESIZE);
    auto at = [&field](std::size_t number) { return std::strtod(field[number].c_str(), nullptr); };
    facts.cpu_seconds = (at(14) + at(15)) / ticks;
    facts.start_time_seconds = static_cast<double>(boot_time_seconds()) + at(22) / ticks;
    facts.virtual_bytes = static_cast<std::int64_t>(at(23));
    facts.resident_bytes = static_cast<std::int64_t>(at(24)) * page;
}

}  // namespace

std::int64_t peak_memory_bytes() { return status_kib("VmHWM"); }

Facts read_facts()
{
    Facts facts;
    facts.open_fds = open_fd_count();
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
        facts.max_fds = static_cast<std::int64_t>(limit.rlim_cur);
    }
    read_stat(facts);
    facts.peak_resident_bytes = peak_memory_bytes();  // after the resident size, so never below it
    return facts;
}

std::string render_metrics(const Facts& facts)
{
    std::string out;
    gauge(out, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", "counter",
          decimal(facts.cpu_seconds));
    gauge(out, "process_max_fds", "Maximum number of open file descriptors.", "gauge", std::to_string(facts.max_fds));
    gauge(out, "process_open_fds", "Number of open file descriptors.", "gauge", std::to_string(facts.open_fds));
    gauge(out, "process_resident_memory_bytes", "Resident memory size in bytes.", "gauge",
          std::to_string(facts.resident_bytes));
    gauge(out, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.", "gauge",
          decimal(facts.start_time_seconds));
    gauge(out, "process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge",
          std::to_string(facts.virtual_bytes));
    return out;
}

}  // namespace chunkswarm::process

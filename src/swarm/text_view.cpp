#include "text_view.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <fmt/core.h>

namespace chunkswarm::swarm {
namespace {

// With it a peer's line fits 80 columns; the state comes first, so a narrow terminal cuts the ETA.
constexpr std::size_t kBarWidth = 16;

std::string bar(std::size_t held, std::size_t total)
{
    std::size_t filled = total == 0 ? 0 : kBarWidth * held / total;
    return "[" + std::string(filled, '#') + std::string(kBarWidth - filled, '-') + "]";
}

std::string cut(std::string line, std::size_t width)
{
    if (line.size() > width) line.resize(width);
    return line + "\n";
}

std::string process_line(const SwarmModel& model, std::size_t index, double now)
{
    const Process& p = model.process(index);
    std::string state = state_name(p.state);
    if (p.is_owner) {
        std::string what = p.total ? fmt::format("{} chunks, {}", p.total, format_bytes(p.file_bytes)) : "";
        return fmt::format("{:<8} {:<12} {:<30} uploaded {}", p.name, state, what, format_bytes(p.bytes_uploaded));
    }
    double percent = p.total ? 100.0 * static_cast<double>(p.held) / static_cast<double>(p.total) : 0;
    double rate = p.exited() ? 0 : model.receive_rate(index, now);
    auto eta = p.exited() ? std::nullopt : model.eta(index, now);
    return fmt::format("{:<8} {:<12} {} {:3.0f}% {:>5}/{:<5} {:>9}/s ETA {}", p.name, state, bar(p.held, p.total),
                       percent, p.held, p.total, format_bytes(rate), eta ? format_seconds(*eta) : "-");
}

// "-- 12.3s: 3/24 peers done, 45.6 MiB/s in all, ETA 1m02s; latest:"
std::string swarm_line(const SwarmModel& model, double now)
{
    std::size_t done = 0;
    double rate = 0;
    double remaining = 0;
    for (std::size_t i = 1; i < model.size(); ++i) {
        const Process& p = model.process(i);
        if (p.state == State::done) ++done;
        if (!p.exited()) rate += model.receive_rate(i, now);
        if (!p.exited() && p.total > 0 && p.held < p.total) {
            remaining += static_cast<double>(p.file_bytes) * static_cast<double>(p.total - p.held) /
                         static_cast<double>(p.total);
        }
    }
    const std::string eta = rate > 0 && remaining > 0 ? format_seconds(remaining / rate) : "-";
    return fmt::format("-- {}: {}/{} peers done, {}/s in all, ETA {}; latest:", format_seconds(now), done,
                       model.size() - 1, format_bytes(rate), eta);
}

}  // namespace

std::string format_bytes(double bytes)
{
    if (bytes >= 1024.0 * 1024 * 1024) return fmt::format("{:.2f} GiB", bytes / (1024.0 * 1024 * 1024));
    if (bytes >= 1024.0 * 1024) return fmt::format("{:.1f} MiB", bytes / (1024.0 * 1024));
    if (bytes >= 1024.0) return fmt::format("{:.1f} KiB", bytes / 1024.0);
    return fmt::format("{:.0f} B", bytes);
}

std::string format_seconds(double seconds)
{
    if (seconds < 60) return fmt::format("{:.1f}s", seconds);
    const long whole = std::lround(seconds);
    if (whole < 3600) return fmt::format("{}m{:02}s", whole / 60, whole % 60);
    return fmt::format("{}h{:02}m", whole / 3600, whole % 3600 / 60);
}

std::string live_view(const SwarmModel& model, double now, std::size_t width, std::size_t height)
{
    // The owner, the swarm's line and the activity always show; the peers get what is left.
    const std::size_t fixed = 2 + SwarmModel::kActivityLines;
    const std::size_t peers = model.size() - 1;
    const std::size_t room = height > fixed + 1 ? height - fixed : 1;
    std::vector<std::size_t> shown(peers);
    for (std::size_t i = 0; i < peers; ++i)
        shown[i] = i + 1;
    if (peers > room) {
        // One line says how many are left out; the others show the peers furthest from done.
        shown = model.slowest_peers(room - 1);
        std::sort(shown.begin(), shown.end());
    }
    std::string out = cut(process_line(model, 0, now), width);
    for (std::size_t index : shown)
        out += cut(process_line(model, index, now), width);
    if (shown.size() < peers) {
        out += cut(fmt::format("         ... {} more peer(s), the slowest shown above", peers - shown.size()), width);
    }
    out += cut(swarm_line(model, now), width);
    for (const Activity& a : model.recent())
        out += cut(fmt::format("  {:>7} [{}] {}", format_seconds(a.t), a.who, a.text), width);
    for (std::size_t i = model.recent().size(); i < SwarmModel::kActivityLines; ++i)
        out += "\n";
    return out;
}

std::string progress_line(const SwarmModel& model, double now)
{
    std::string line = fmt::format("[{:>7}]", format_seconds(now));
    for (std::size_t i = 0; i < model.size(); ++i) {
        const Process& p = model.process(i);
        if (p.is_owner) {
            line += fmt::format(" owner {} |", state_name(p.state));
        } else {
            line += fmt::format(" {} {}/{} {} |", p.name, p.held, p.total, state_name(p.state));
        }
    }
    line.pop_back();
    line.back() = '\n';
    return line;
}

std::string summary_table(const SwarmModel& model, const RunSummary& summary)
{
    std::string out = fmt::format("{} ({} bytes, SHA-256 {}...)\n", summary.file_name, summary.file_bytes,
                                  summary.file_sha256.substr(0, 16));
    out += fmt::format("{:<8} {:<40} {:>9} {:>11} {:>13} {:>11} {:>9}\n", "", "verdict", "complete", "from owner",
                       "from neighbour", "uploaded", "peak mem");
    std::uint64_t moved = 0;
    for (std::size_t i = 0; i < model.size(); ++i) {
        const Process& p = model.process(i);
        std::string verdict = i < summary.verdicts.size() ? summary.verdicts[i] : "";
        std::string complete = p.complete_at ? format_seconds(*p.complete_at) : "-";
        std::string peak = p.peak_mib ? fmt::format("{:.1f} MiB", *p.peak_mib) : "-";
        if (p.is_owner) {
            out += fmt::format("{:<8} {:<40} {:>9} {:>11} {:>13} {:>11} {:>9}\n", p.name, verdict, "", "", "",
                               format_bytes(p.bytes_uploaded), peak);
            continue;
        }
        moved += p.bytes_received();
        out += fmt::format("{:<8} {:<40} {:>9} {:>11} {:>13} {:>11} {:>9}\n", p.name, verdict, complete,
                           format_bytes(p.bytes_from_owner), format_bytes(p.bytes_from_neighbor),
                           format_bytes(p.bytes_uploaded), peak);
    }
    double rate = summary.wall_s > 0 ? static_cast<double>(moved) / summary.wall_s : 0;
    out += fmt::format("wall time {:.2f}s; {} delivered to {} peer(s), {}/s in all\n", summary.wall_s,
                       format_bytes(static_cast<double>(moved)), model.size() - 1, format_bytes(rate));
    return out;
}

}  // namespace chunkswarm::swarm

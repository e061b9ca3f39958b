#include "swarm_model.hpp"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "chunkswarm/core/json_util.hpp"

namespace chunkswarm::swarm {

const char* state_name(State state)
{
    switch (state) {
        case State::waiting: return "waiting";
        case State::starting: return "starting";
        case State::joining: return "joining";
        case State::share: return "taking share";
        case State::trading: return "trading";
        case State::joining_file: return "joining file";
        case State::splitting: return "splitting";
        case State::serving: return "serving";
        case State::done: return "done";
        case State::failed: return "failed";
        case State::stopped: return "stopped";
    }
    return "?";
}

std::string peer_name(PeerId id) { return "peer " + to_string(id); }

SwarmModel::SwarmModel(std::vector<PeerId> peer_ids)
{
    Process owner;
    owner.name = "owner";
    owner.is_owner = true;
    processes_.push_back(std::move(owner));
    for (PeerId id : peer_ids) {
        Process peer;
        peer.name = peer_name(id);
        processes_.push_back(std::move(peer));
    }
}

void SwarmModel::on_started(std::size_t index, double t)
{
    Process& process = processes_[index];
    process.started_at = t;
    process.state = State::starting;
    if (!process.is_owner) process.held_series.push_back({t, 0});
    last_time_ = std::max(last_time_, t);
}

namespace {

std::uint64_t number(const nlohmann::json& event, const char* key)
{
    auto it = event.find(key);
    if (it == event.end() || !it->is_number_integer()) return 0;
    return it->get<std::uint64_t>();
}

std::string text(const nlohmann::json& event, const char* key)
{
    auto it = event.find(key);
    return it != event.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The text form of a parsed event line ("2026-11-25 12:00:01.123 info  [peer 3] ...").
std::string readable_event(const nlohmann::json& event)
{
    std::string time = text(event, "time");
    // "2026-11-25T12:00:01.123456Z" -> "2026-11-25 12:00:01.123", as in the text format.
    if (time.size() >= 23) time = time.substr(0, 10) + " " + time.substr(11, 12);
    std::string level = text(event, "level");
    if (level == "warning") level = "warn";
    level.resize(std::max<std::size_t>(level.size(), 5), ' ');
    return time + " " + level + " [" + text(event, "proc") + "] " + text(event, "msg");
}

// What the activity pane shows: what changes the picture (a share held, a reroute, a peer done or
// lost), warnings and errors, and lines that are not events (a program's own error text); not
// the chatter of requests and chunks.
bool is_milestone(const nlohmann::json& event)
{
    if (event.is_null()) return true;
    const std::string level = text(event, "level");
    if (level != "info" && level != "debug" && level != "trace") return true;
    static const std::set<std::string, std::less<>> kMilestones = {
        "listening",         "split",         "tree_packed", "chunk_size_chosen", "manifest",       "resumed",
        "first_chunks_held", "share_held",    "rerouted",    "helper_added",      "helper_dropped", "peer_back",
        "peer_given_up",     "peer_complete", "swarm_whole", "joining",           "joined",         "finished",
        "content_refused"};
    return kMilestones.count(text(event, "event")) > 0;
}

}  // namespace

std::string SwarmModel::on_line(std::size_t index, double t, std::string_view line)
{
    last_time_ = std::max(last_time_, t);
    nlohmann::json event = parse_event_line(line);
    Process& process = processes_[index];
    std::string readable = event.is_null() ? std::string(line) : text(event, "msg");
    process.tail.push_back(event.is_null() ? std::string(line) : readable_event(event));
    if (process.tail.size() > kTailLines) process.tail.pop_front();
    if (is_milestone(event)) note(index, t, std::move(readable));
    if (event.is_null()) return "";
    apply_event(index, t, event);
    return text(event, "event");
}

void SwarmModel::apply_event(std::size_t index, double t, const nlohmann::json& event)
{
    Process& p = processes_[index];
    const std::string name = text(event, "event");
    if (p.is_owner) {
        if (name == "listening") p.state = State::splitting;
        if (name == "split") {
            p.state = State::serving;
            p.total = number(event, "total");
            p.file_bytes = number(event, "bytes");
        }
    } else if (name == "listening" || (name == "connected" && text(event, "to") == "owner")) {
        if (p.state == State::starting) p.state = State::joining;
    } else if (name == "manifest" || name == "resumed") {
        p.state = State::share;
        p.total = number(event, "total");
        if (name == "manifest") {
            p.file_bytes = number(event, "bytes");
            p.file_name = text(event, "file");
            p.held = 0;
        } else {
            p.held = number(event, "held");
            if (p.total > 0 && p.held == p.total && !p.complete_at) p.complete_at = t;
        }
        p.held_series.push_back({t, static_cast<double>(p.held)});
    } else if (name == "share_held" || name == "first_chunks_held") {
        // Trading begins with the first chunks (early_trading) or once the share is held.
        if (p.state == State::share) p.state = State::trading;
    } else if (name == "joining") {
        p.state = State::joining_file;
    } else if (name == "joined" || name == "finished") {
        p.state = State::done;
        if (name == "joined" && p.total > 0) p.held = p.total;  // the whole file, checked
        if (!p.complete_at) p.complete_at = t;
    } else if (name == "chunk_received") {
        const std::string from = text(event, "from");
        const std::uint64_t bytes = number(event, "bytes");
        (from == "owner" ? p.bytes_from_owner : p.bytes_from_neighbor) += bytes;
        p.held = number(event, "held");
        p.total = number(event, "total");
        p.held_series.push_back({t, static_cast<double>(p.held)});
        p.received_series.push_back({t, static_cast<double>(p.bytes_received())});
        Link& l = link(from, p.name);
        double so_far = l.bytes_series.empty() ? 0 : l.bytes_series.back().value;
        l.bytes_series.push_back({t, so_far + static_cast<double>(bytes)});
    }
    if (name == "chunk_sent") p.bytes_uploaded += number(event, "bytes");
    if (name == "resources") p.peak_mib = static_cast<double>(number(event, "peak_kib")) / 1024.0;
}

void SwarmModel::on_exit(std::size_t index, double t, int exit_code, int signal, ExitCause cause)
{
    Process& p = processes_[index];
    last_time_ = std::max(last_time_, t);
    p.exited_at = t;
    if (signal != 0) {
        p.exit_signal = signal;
    } else {
        p.exit_code = exit_code;
    }
    if (p.succeeded()) {
        p.state = State::done;
    } else {
        p.state = cause == ExitCause::launcher_stopping ? State::stopped : State::failed;
    }
}

Link& SwarmModel::link(const std::string& from, const std::string& to)
{
    for (Link& l : links_) {
        if (l.from == from && l.to == to) return l;
    }
    links_.push_back(Link{from, to, {}});
    return links_.back();
}

void SwarmModel::note(std::size_t index, double t, std::string text)
{
    recent_.push_back(Activity{t, processes_[index].name, std::move(text)});
    if (recent_.size() > kActivityLines) recent_.pop_front();
}

double SwarmModel::receive_rate(std::size_t index, double now, double window) const
{
    const auto& series = processes_[index].received_series;
    if (series.empty()) return 0;
    auto from =
        std::lower_bound(series.begin(), series.end(), now - window, [](const Point& p, double t) { return p.t < t; });
    double before = from == series.begin() ? 0 : std::prev(from)->value;
    return (series.back().value - before) / window;
}

std::vector<std::size_t> SwarmModel::slowest_peers(std::size_t count) const
{
    std::vector<std::size_t> peers;
    for (std::size_t i = 0; i < processes_.size(); ++i)
        if (!processes_[i].is_owner) peers.push_back(i);
    auto behind = [this](std::size_t index) {
        const Process& p = processes_[index];
        if (p.state == State::done) return 2.0;  // done ones last
        return p.total ? static_cast<double>(p.held) / static_cast<double>(p.total) : 0.0;
    };
    std::stable_sort(peers.begin(), peers.end(), [&](std::size_t a, std::size_t b) { return behind(a) < behind(b); });
    if (peers.size() > count) peers.resize(count);
    return peers;
}

std::optional<double> SwarmModel::eta(std::size_t index, double now) const
{
    const Process& p = processes_[index];
    double rate = receive_rate(index, now);
    if (rate <= 0 || p.total == 0 || p.held >= p.total) return std::nullopt;
    double remaining =
        static_cast<double>(p.file_bytes) * static_cast<double>(p.total - p.held) / static_cast<double>(p.total);
    return remaining / rate;
}

bool SwarmModel::all_exited() const
{
    return std::all_of(processes_.begin(), processes_.end(), [](const Process& p) { return p.exited(); });
}

bool SwarmModel::any_failed() const
{
    return std::any_of(processes_.begin(), processes_.end(),
                       [](const Process& p) { return p.exited() && !p.succeeded(); });
}

std::string readable_line(std::string_view line)
{
    nlohmann::json event = parse_event_line(line);
    return event.is_null() ? std::string(line) : readable_event(event);
}

}  // namespace chunkswarm::swarm

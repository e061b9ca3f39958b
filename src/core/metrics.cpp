#include "chunkswarm/core/metrics.hpp"

#include <algorithm>

namespace chunkswarm::metrics {
namespace {

// The text format escapes double quotes in label values, not in help text.
enum class Escaping { help_text, label_value };

std::string escaped(std::string_view text, Escaping escaping)
{
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '"' && escaping == Escaping::label_value) {
            out += "\\\"";
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

void Value::raise_to(std::int64_t value)
{
    std::int64_t seen = value_.load(std::memory_order_relaxed);
    while (seen < value && !value_.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {}
}

std::string remote_value(std::string_view remote)
{
    constexpr std::string_view kPeer = "peer ";
    if (remote.substr(0, kPeer.size()) == kPeer) remote.remove_prefix(kPeer.size());
    std::string value(remote);
    std::replace(value.begin(), value.end(), ' ', '-');
    return value;
}

std::string render_labels(const Labels& labels)
{
    if (labels.empty()) return {};
    std::string out = "{";
    for (const auto& [key, value] : labels) {
        if (out.size() > 1) out += ',';
        out += key + "=\"" + escaped(value, Escaping::label_value) + '"';
    }
    return out + '}';
}

Value& Registry::at(const Family& family, const Labels& labels)
{
    std::lock_guard lock(mutex_);
    Series& series = families_.try_emplace(family.name, Series{&family, {}}).first->second;
    std::unique_ptr<Value>& value = series.values[render_labels(labels)];
    if (!value) value = std::make_unique<Value>();
    return *value;
}

void Registry::set_state(const Family& family, const std::vector<std::string>& states, std::string_view current)
{
    std::vector<Value*> values;
    for (const std::string& state : states)
        values.push_back(&at(family, {{"state", state}}));
    // Under the lock, so that a rendering sees exactly one state set.
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < states.size(); ++i)
        values[i]->set(states[i] == current ? 1 : 0);
}

std::string Registry::render() const
{
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& [name_view, series] : families_) {
        const std::string name(name_view);
        out += "# HELP " + name + ' ' + escaped(series.family->help, Escaping::help_text) + '\n';
        out += "# TYPE " + name + (series.family->kind == Kind::counter ? " counter\n" : " gauge\n");
        for (const auto& [labels, value] : series.values) {
            out += name + labels + ' ' + std::to_string(value->get()) + '\n';
        }
    }
    return out;
}

}  // namespace chunkswarm::metrics

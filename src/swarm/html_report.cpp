#include "html_report.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>

#include "text_view.hpp"

namespace chunkswarm::swarm {
namespace {

constexpr double kWidth = 860, kHeight = 300, kLeft = 60, kRight = 20, kTop = 16, kBottom = 36;
constexpr std::size_t kMaxPointsPerSeries = 600;
constexpr std::size_t kRateBuckets = 60;
constexpr std::size_t kMaxLegend = 12;

const char* const kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                               "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};

struct Series {
    std::string label;
    std::vector<Point> points;
};

std::string escape(std::string_view text)
{
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

// A round step for axis ticks: 1, 2 or 5 times a power of ten, about max/4.
double tick_step(double max)
{
    double raw = max / 4;
    double power = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0}) {
        if (m * power >= raw) return m * power;
    }
    return 10 * power;
}

std::string path_data(const std::vector<Point>& points, double x_max, double y_max)
{
    const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
    const std::size_t stride = std::max<std::size_t>(1, points.size() / kMaxPointsPerSeries);
    std::string d;
    for (std::size_t i = 0; i < points.size(); i += stride) {
        // The last point always counts: it is where the series ends.
        const Point& p = (i + stride >= points.size()) ? points.back() : points[i];
        double x = kLeft + plot_w * p.t / x_max;
        double y = kTop + plot_h * (1 - p.value / y_max);
        d += fmt::format("{}{:.1f} {:.1f} ", d.empty() ? "M" : "L", x, y);
    }
    if (!d.empty()) d.pop_back();
    return d;
}

std::string axes(double x_max, double y_max, const std::string& y_label)
{
    const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
    std::string svg;
    for (double y = 0, step = tick_step(y_max); y <= y_max * 1.0001; y += step) {
        double py = kTop + plot_h * (1 - y / y_max);
        svg += fmt::format(R"(<line class="grid" x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}"/>)", kLeft, kWidth - kRight,
                           py, py);
        svg += fmt::format(R"(<text x="{}" y="{:.1f}" text-anchor="end">{:g}</text>)", kLeft - 6, py + 4, y);
    }
    for (double x = 0, step = tick_step(x_max); x <= x_max * 1.0001; x += step) {
        double px = kLeft + plot_w * x / x_max;
        svg +=
            fmt::format(R"(<text x="{:.1f}" y="{}" text-anchor="middle">{:g} s</text>)", px, kHeight - kBottom + 18, x);
    }
    svg += fmt::format(R"svg(<text x="14" y="{}" transform="rotate(-90 14 {})" text-anchor="middle">{}</text>)svg",
                       kTop + plot_h / 2, kTop + plot_h / 2, escape(y_label));
    svg += fmt::format(R"(<rect class="frame" x="{}" y="{}" width="{}" height="{}"/>)", kLeft, kTop, plot_w, plot_h);
    return svg;
}

std::string chart(const std::string& id, const std::string& title, const std::string& y_label,
                  const std::vector<Series>& series, double x_max)
{
    double y_max = 0;
    for (const Series& s : series) {
        for (const Point& p : s.points)
            y_max = std::max(y_max, p.value);
    }
    y_max = y_max > 0 ? y_max * 1.05 : 1;
    x_max = std::max(x_max, 0.1);
    std::string html = fmt::format(R"(<section><h2>{}</h2><svg id="{}" viewBox="0 0 {} {}" role="img">)", escape(title),
                                   id, kWidth, kHeight);
    html += axes(x_max, y_max, y_label);
    // Past a dozen series a legend is a wall of names: each line names itself on hover instead.
    const bool legend_shown = series.size() <= kMaxLegend;
    std::string legend = legend_shown ? "<ul class=\"legend\">" : "";
    for (std::size_t i = 0; i < series.size(); ++i) {
        const char* color = kColors[i % std::size(kColors)];
        html += fmt::format(R"(<path class="series" data-label="{}" stroke="{}" d="{}"><title>{}</title></path>)",
                            escape(series[i].label), color, path_data(series[i].points, x_max, y_max),
                            escape(series[i].label));
        if (legend_shown) {
            legend += fmt::format(R"(<li><span style="background:{}"></span>{}</li>)", color, escape(series[i].label));
        }
    }
    legend = legend_shown
                 ? legend + "</ul>"
                 : fmt::format("<p class=\"note\">{} series; hover over a line for its name.</p>", series.size());
    return html + "</svg>" + legend + "</section>\n";
}

// Cumulative bytes turned into MiB/s per time bucket.
std::vector<Point> rate_series(const std::vector<Point>& cumulative, double x_max)
{
    const double width = std::max(x_max / kRateBuckets, 0.1);
    std::vector<Point> rates;
    std::size_t next = 0;
    double before = 0;
    for (double start = 0; start < x_max; start += width) {
        double end = start + width, at_end = before;
        while (next < cumulative.size() && cumulative[next].t < end)
            at_end = cumulative[next++].value;
        rates.push_back({start + width / 2, (at_end - before) / width / (1024.0 * 1024.0)});
        before = at_end;
    }
    return rates;
}

// Every peer's bytes received, merged into one cumulative series: the swarm's throughput.
std::vector<Point> swarm_received(const SwarmModel& model)
{
    std::vector<Point> steps;
    for (const Process& p : model.processes()) {
        double before = 0;
        for (const Point& point : p.received_series) {
            steps.push_back({point.t, point.value - before});
            before = point.value;
        }
    }
    std::sort(steps.begin(), steps.end(), [](const Point& a, const Point& b) { return a.t < b.t; });
    double total = 0;
    for (Point& step : steps)
        step.value = total += step.value;
    return steps;
}

// Peers complete over time, one step per peer.
std::vector<Point> finishes(const SwarmModel& model, double x_max)
{
    std::vector<double> times;
    for (const Process& p : model.processes())
        if (!p.is_owner && p.complete_at) times.push_back(*p.complete_at);
    std::sort(times.begin(), times.end());
    std::vector<Point> points{{0, 0}};
    for (std::size_t i = 0; i < times.size(); ++i) {
        points.push_back({times[i], static_cast<double>(i)});
        points.push_back({times[i], static_cast<double>(i + 1)});
    }
    points.push_back({x_max, static_cast<double>(times.size())});
    return points;
}

// One bar per peer, its bytes from the owner then from its neighbours, on one scale; at a hundred
// peers the bars thin out and the names move into each bar's hover title.
std::string sources_chart(const SwarmModel& model)
{
    std::vector<const Process*> peers;
    double most = 1;
    for (const Process& p : model.processes()) {
        if (p.is_owner) continue;
        peers.push_back(&p);
        most = std::max(most, static_cast<double>(p.bytes_received()));
    }
    const double bar = std::clamp(600.0 / std::max<std::size_t>(peers.size(), 1), 3.0, 18.0);
    const bool named = bar >= 10;
    const double plot_w = kWidth - kLeft - kRight;
    const double height = kTop + bar * static_cast<double>(peers.size()) + kBottom;
    std::string html = fmt::format(
        R"(<section><h2>Where each peer's bytes came from</h2><svg id="sources" viewBox="0 0 {} {:.0f}" role="img">)",
        kWidth, height);
    for (std::size_t i = 0; i < peers.size(); ++i) {
        const Process& p = *peers[i];
        const double y = kTop + bar * static_cast<double>(i);
        const double owner_w = plot_w * static_cast<double>(p.bytes_from_owner) / most;
        const double neighbour_w = plot_w * static_cast<double>(p.bytes_from_neighbor) / most;
        const std::string title = fmt::format("{}: {} from the owner, {} from neighbours", p.name,
                                              format_bytes(static_cast<double>(p.bytes_from_owner)),
                                              format_bytes(static_cast<double>(p.bytes_from_neighbor)));
        html += fmt::format(R"(<g class="bar"><title>{}</title>)", escape(title));
        html += fmt::format(R"(<rect x="{}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"/>)", kLeft, y, owner_w,
                            bar * 0.8, kColors[2]);
        html += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"/>)",
                            kLeft + owner_w, y, neighbour_w, bar * 0.8, kColors[3]);
        if (named) {
            html += fmt::format(R"(<text x="{}" y="{:.1f}" text-anchor="end">{}</text>)", kLeft - 6, y + bar * 0.7,
                                escape(p.name));
        }
        html += "</g>";
    }
    html += fmt::format(R"(<text x="{}" y="{:.0f}" text-anchor="end">{}</text>)", kWidth - kRight, height - 12,
                        escape(format_bytes(most)));
    return html +
           fmt::format(R"(</svg><ul class="legend"><li><span style="background:{}"></span>from the owner</li>)"
                       R"(<li><span style="background:{}"></span>from neighbours</li></ul>{}</section>)",
                       kColors[2], kColors[3],
                       named ? "" : "<p class=\"note\">hover over a bar for its peer and figures.</p>") +
           "\n";
}

std::string settings_table(const RunSummary& summary)
{
    std::string html = "<table>";
    for (const auto& [name, value] : summary.settings)
        html += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", escape(name), escape(value));
    return html + "</table>\n";
}

std::string table(const SwarmModel& model, const RunSummary& summary)
{
    std::string html =
        "<table><tr><th>process</th><th>verdict</th><th>complete at</th><th>from owner</th>"
        "<th>from neighbour</th><th>uploaded</th><th>peak memory</th></tr>\n";
    for (std::size_t i = 0; i < model.size(); ++i) {
        const Process& p = model.process(i);
        bool good = i < summary.verified.size() && summary.verified[i];
        std::string verdict = i < summary.verdicts.size() ? summary.verdicts[i] : "";
        html += fmt::format(
            "<tr><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape(p.name), good || p.is_owner ? "ok" : "bad", escape(verdict),
            p.complete_at ? format_seconds(*p.complete_at) : "-", p.is_owner ? "-" : format_bytes(p.bytes_from_owner),
            p.is_owner ? "-" : format_bytes(p.bytes_from_neighbor), format_bytes(p.bytes_uploaded),
            p.peak_mib ? fmt::format("{:.1f} MiB", *p.peak_mib) : "-");
    }
    return html + "</table>\n";
}

constexpr const char* kStyle = R"(
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 920px; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin: 24px 0 4px; }
svg { width: 100%; height: auto; background: #fff; }
svg text { font-size: 11px; fill: #555; }
.grid { stroke: #e4e4e4; } .frame { fill: none; stroke: #999; }
.series { fill: none; stroke-width: 2; stroke-linejoin: round; }
.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 6px 18px; }
.legend span { display: inline-block; width: 14px; height: 4px; margin-right: 6px; vertical-align: middle; }
table { border-collapse: collapse; margin-top: 8px; } td, th { padding: 3px 10px; border-bottom: 1px solid #ddd; }
th { text-align: left; } .ok { color: #17612b; } .bad { color: #b00020; font-weight: bold; }
.note { color: #555; margin: 2px 0; }
)";

// For a browser check: how many series paths the browser actually laid out with a length.
constexpr const char* kDrawnCheck = R"(
addEventListener('load', () => {
  const drawn = [...document.querySelectorAll('path.series')].filter(p => p.getTotalLength() > 0).length;
  document.body.dataset.drawnPaths = String(drawn);
});
)";

}  // namespace

std::string html_report(const SwarmModel& model, const RunSummary& summary)
{
    const double x_max = std::max(model.last_time(), summary.wall_s);
    std::vector<Series> held;
    for (const Process& p : model.processes()) {
        if (!p.is_owner) held.push_back({p.name, p.held_series});
    }
    std::vector<Series> links;
    for (const Link& l : model.links())
        links.push_back({l.from + " \u2192 " + l.to, rate_series(l.bytes_series, x_max)});
    std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>chunkswarm run: " +
                       escape(summary.file_name) + "</title>\n<style>" + kStyle + "</style>\n<script>" + kDrawnCheck +
                       "</script></head>\n<body>\n";
    html += fmt::format("<h1>chunkswarm run: {}</h1>\n<p>{} bytes ({}), {} peer(s), wall time {}; SHA-256 {}</p>\n",
                        escape(summary.file_name), summary.file_bytes,
                        format_bytes(static_cast<double>(summary.file_bytes)), model.size() - 1,
                        format_seconds(summary.wall_s), escape(summary.file_sha256));
    html += chart("swarm", "Throughput of the whole swarm (every peer's receiving together)", "MiB/s",
                  {{"all peers", rate_series(swarm_received(model), x_max)}}, x_max);
    html +=
        chart("finished", "Peers holding the whole file", "peers", {{"peers complete", finishes(model, x_max)}}, x_max);
    html += chart("held", "Chunks held per peer", "chunks held", held, x_max);
    html += chart("links", "Throughput per link (receiver's view)", "MiB/s", links, x_max);
    html += sources_chart(model);
    html += "<section><h2>Summary</h2>\n" + table(model, summary) + "</section>\n";
    if (!summary.settings.empty()) html += "<section><h2>Settings</h2>\n" + settings_table(summary) + "</section>\n";
    html += "</body></html>\n";
    return html;
}

}  // namespace chunkswarm::swarm

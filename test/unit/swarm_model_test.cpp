#include <doctest/doctest.h>

#include <array>
#include <utility>

#include <nlohmann/json.hpp>

#include "html_report.hpp"
#include "swarm_metrics.hpp"
#include "swarm_model.hpp"
#include "test_ids.hpp"
#include "text_view.hpp"

using namespace chunkswarm;
using namespace chunkswarm::swarm;

namespace {

std::string event_line(const std::string& proc, nlohmann::json fields)
{
    fields["time"] = "2026-11-25T12:00:01.234567Z";
    fields["level"] = "info";
    fields["proc"] = proc;
    if (!fields.contains("msg")) fields["msg"] = "message of " + fields["event"].get<std::string>();
    return fields.dump();
}

// A file of `total` chunks of 1000 bytes, as the peer's manifest event says.
std::string manifest(const std::string& proc, int total = 10)
{
    return event_line(proc, {{"event", "manifest"}, {"file", "a"}, {"bytes", total * 1000}, {"total", total}});
}

std::string received(const std::string& proc, int chunk, const std::string& from, int held, int total = 10)
{
    return event_line(proc, {{"event", "chunk_received"},
                             {"chunk", chunk},
                             {"from", from},
                             {"bytes", 1000},
                             {"held", held},
                             {"total", total}});
}

// Owner at index 0, then peers 1..`peers`, every process started at 0.
SwarmModel started_model(std::uint32_t peers)
{
    std::vector<PeerId> ids;
    for (std::uint32_t id = 1; id <= peers; ++id)
        ids.emplace_back(id);
    SwarmModel model(ids);
    for (std::size_t i = 0; i <= peers; ++i)
        model.on_started(i, 0.0);
    return model;
}

// Owner at index 0, then peers 1 and 2.
SwarmModel two_peer_model()
{
    SwarmModel model(test::peer_ids({1, 2}));
    model.on_started(0, 0.0);
    model.on_started(1, 0.1);
    model.on_started(2, 0.2);
    return model;
}

// two_peer_model() whose peer 1 reads the manifest of 10 chunks at `manifest_at`, then receives
// chunks 0, 1 and 2, each at a time from a source.
SwarmModel first_chunks_model(double manifest_at, const std::array<std::pair<double, const char*>, 3>& chunks)
{
    SwarmModel model = two_peer_model();
    model.on_line(1, manifest_at, manifest("peer 1"));
    for (int chunk = 0; chunk < 3; ++chunk) {
        const auto& [at, from] = chunks[static_cast<std::size_t>(chunk)];
        model.on_line(1, at, received("peer 1", chunk, from, chunk + 1));
    }
    return model;
}

}  // namespace

TEST_CASE("a peer's state follows its events from start to done")
{
    SwarmModel model = two_peer_model();
    CHECK(model.process(1).state == State::starting);
    model.on_line(1, 0.3, event_line("peer 1", {{"event", "listening"}, {"port", 7101}}));
    CHECK(model.process(1).state == State::joining);
    model.on_line(1, 0.4,
                  event_line("peer 1", {{"event", "manifest"}, {"file", "a.bin"}, {"bytes", 10000}, {"total", 10}}));
    CHECK(model.process(1).state == State::share);
    CHECK(model.process(1).total == 10);
    CHECK(model.process(1).file_name == "a.bin");
    model.on_line(1, 0.5, event_line("peer 1", {{"event", "first_chunks_held"}, {"held", 1}}));
    CHECK(model.process(1).state == State::trading);
    model.on_line(1, 0.55, event_line("peer 1", {{"event", "share_held"}, {"held", 5}}));
    CHECK(model.process(1).state == State::trading);
    model.on_line(1, 0.6, event_line("peer 1", {{"event", "joining"}}));
    CHECK(model.process(1).state == State::joining_file);
    model.on_line(1, 0.7, event_line("peer 1", {{"event", "joined"}, {"ms", 3}}));
    CHECK(model.process(1).state == State::done);
    CHECK(model.process(1).complete_at == doctest::Approx(0.7));
    model.on_exit(1, 0.8, 0, 0, SwarmModel::ExitCause::own);
    CHECK(model.process(1).succeeded());
    CHECK_FALSE(model.all_exited());
}

TEST_CASE("received chunks count by source, per link, and make the held series")
{
    SwarmModel model = two_peer_model();
    model.on_line(2, 1.0, received("peer 2", 0, "owner", 1));
    model.on_line(2, 1.5, received("peer 2", 1, "peer 1", 2));
    model.on_line(2, 2.0, received("peer 2", 2, "peer 1", 3));
    model.on_line(1, 2.0,
                  event_line("peer 1", {{"event", "chunk_sent"}, {"chunk", 2}, {"to", "peer 2"}, {"bytes", 1000}}));
    const Process& p = model.process(2);
    CHECK(p.bytes_from_owner == 1000);
    CHECK(p.bytes_from_neighbor == 2000);
    CHECK(p.held == 3);
    CHECK(model.process(1).bytes_uploaded == 1000);
    REQUIRE(model.links().size() == 2);
    CHECK(model.links()[0].from == "owner");
    CHECK(model.links()[1].from == "peer 1");
    CHECK(model.links()[1].to == "peer 2");
    CHECK(model.links()[1].bytes_series.back().value == 2000);
    // the start point plus one per chunk
    CHECK(p.held_series.size() == 4);
    CHECK(p.held_series.back().value == 3);
}

TEST_CASE("the live rate counts only the recent window, and the ETA follows from it")
{
    SwarmModel model = first_chunks_model(0.2, {{{1.0, "owner"}, {3.5, "owner"}, {4.0, "owner"}}});
    // In the 2 s before t=4.0: chunks at 3.5 and 4.0, 2000 bytes.
    CHECK(model.receive_rate(1, 4.0) == doctest::Approx(1000.0));
    auto eta = model.eta(1, 4.0);
    REQUIRE(eta.has_value());
    CHECK(*eta == doctest::Approx(7.0));  // 7 chunks of 1000 bytes left at 1000 B/s
    CHECK(model.receive_rate(1, 10.0) == doctest::Approx(0.0));
    CHECK_FALSE(model.eta(1, 10.0).has_value());
}

TEST_CASE("exits: a failure, a stop by the launcher, and the owner's own states")
{
    SwarmModel model = two_peer_model();
    model.on_line(0, 0.1, event_line("owner", {{"event", "listening"}, {"port", 7100}, {"peers", 2}}));
    CHECK(model.process(0).state == State::splitting);
    model.on_line(0, 0.2, event_line("owner", {{"event", "split"}, {"bytes", 500}, {"total", 5}, {"ms", 1}}));
    CHECK(model.process(0).state == State::serving);
    model.on_exit(1, 1.0, 1, 0, SwarmModel::ExitCause::own);
    CHECK(model.process(1).state == State::failed);
    CHECK(model.any_failed());
    model.on_exit(2, 1.1, 0, 15, SwarmModel::ExitCause::launcher_stopping);
    CHECK(model.process(2).state == State::stopped);
    CHECK(model.process(2).exit_signal == 15);
    model.on_exit(0, 1.2, 0, 0, SwarmModel::ExitCause::launcher_stopping);
    CHECK(model.process(0).state == State::done);
    CHECK(model.all_exited());
}

TEST_CASE("lines that are not events are kept as they are, and events read back as text")
{
    SwarmModel model = two_peer_model();
    CHECK(model.on_line(1, 0.5, "peer: error: port 7101 is in use") == "");
    CHECK(model.process(1).tail.back() == "peer: error: port 7101 is in use");
    CHECK(model.recent().back().text == "peer: error: port 7101 is in use");
    CHECK(model.on_line(1, 0.6, "{not json") == "");
    std::string line = event_line("peer 1", {{"event", "log"}, {"msg", "hello"}});
    line.replace(line.find("\"info\""), 6, "\"warning\"");
    CHECK(readable_line(line) == "2026-11-25 12:00:01.234 warn  [peer 1] hello");
    for (int i = 0; i < 20; ++i)
        model.on_line(1, 1.0 + i, "line " + std::to_string(i));
    CHECK(model.process(1).tail.size() == SwarmModel::kTailLines);
    CHECK(model.recent().size() == SwarmModel::kActivityLines);
    CHECK(model.recent().back().text == "line 19");
}

TEST_CASE("the text views show every process, cut to the width")
{
    SwarmModel model = two_peer_model();
    model.on_line(1, 0.2, manifest("peer 1"));
    for (int i = 0; i < 5; ++i)
        model.on_line(1, 0.5 + i * 0.1, received("peer 1", i, "owner", i + 1));
    std::string view = live_view(model, 1.0, 60);
    CHECK(view.find("peer 1   taking share [########--------]  50%     5/10") != std::string::npos);
    CHECK(view.find("peer 2") != std::string::npos);
    std::size_t lines = 0;
    for (std::size_t start = 0, end; (end = view.find('\n', start)) != std::string::npos; start = end + 1, ++lines)
        CHECK(end - start <= 60);
    CHECK(lines == 3 + 1 + SwarmModel::kActivityLines);
    CHECK(progress_line(model, 1.0).find("peer 1 5/10 taking share") != std::string::npos);

    RunSummary summary{
        "a", 10000, "ab12", {"served every share", "OK, SHA-256 matches", "no copy"}, {true, true, false}, 2.5};
    std::string table = summary_table(model, summary);
    CHECK(table.find("OK, SHA-256 matches") != std::string::npos);
    CHECK(table.find("no copy") != std::string::npos);
    CHECK(table.find("wall time 2.50s") != std::string::npos);
}

TEST_CASE("with more peers than rows the view keeps to the terminal and shows the slowest")
{
    SwarmModel model = started_model(24);
    for (std::size_t i = 1; i <= 24; ++i) {
        const std::string name = "peer " + std::to_string(i);
        model.on_line(i, 0.1, manifest(name, 100));
        // Peer i holds 4i chunks, peer 24 all of them (96 + 4); peers 22-24 are done.
        model.on_line(i, 0.5, received(name, 0, "peer 1", std::min<int>(4 * static_cast<int>(i), 100), 100));
        if (i >= 22) model.on_line(i, 0.9, event_line(name, {{"event", "joined"}, {"ms", 1}}));
    }
    // Chunk chatter stays out of the activity pane; milestones come in.
    for (const Activity& a : model.recent())
        CHECK(a.text != "message of chunk_received");
    CHECK(model.recent().back().text == "message of joined");
    CHECK(model.recent().back().who == "peer 24");

    const std::string view = live_view(model, 1.0, 99, 19);
    std::size_t lines = 0;
    for (std::size_t start = 0, end; (end = view.find('\n', start)) != std::string::npos; start = end + 1, ++lines)
        CHECK(end - start <= 99);
    CHECK(lines <= 19);
    // 19 rows: the owner, the swarm's line and 6 of activity leave 11, so 10 peers and a count.
    CHECK(view.find("... 14 more peer(s), the slowest shown above") != std::string::npos);
    CHECK(view.find("peer 1 ") != std::string::npos);  // the slowest, 4%
    CHECK(view.find("peer 10 ") != std::string::npos);
    CHECK(view.find("peer 11 ") == std::string::npos);
    CHECK(view.find("3/24 peers done") != std::string::npos);
    CHECK(model.slowest_peers(2) == std::vector<std::size_t>{1, 2});
}

TEST_CASE("sizes and times read well")
{
    CHECK(format_bytes(512) == "512 B");
    CHECK(format_bytes(1536) == "1.5 KiB");
    CHECK(format_bytes(5.0 * 1024 * 1024) == "5.0 MiB");
    CHECK(format_seconds(2.25) == "2.2s");
    CHECK(format_seconds(119.7) == "2m00s");
    CHECK(format_seconds(3725) == "1h02m");
}

TEST_CASE("the HTML report is self-contained and holds a series per peer and per link")
{
    SwarmModel model(test::peer_ids({1, 2}));
    model.on_started(0, 0);
    model.on_started(1, 0);
    model.on_started(2, 0);
    for (int i = 0; i < 4; ++i) {
        model.on_line(1, 0.5 + i, received("peer 1", i, "owner", i + 1, 4));
        model.on_line(2, 0.7 + i, received("peer 2", i, "peer 1", i + 1, 4));
    }
    RunSummary summary{"<odd & name>.bin", 4000, "ab12", {"served every share", "OK", "OK"}, {true, true, true}, 4.0};
    std::string html = html_report(model, summary);
    CHECK(html.find("<!DOCTYPE html>") == 0);
    CHECK(html.find("&lt;odd &amp; name&gt;.bin") != std::string::npos);
    CHECK(html.find("<odd") == std::string::npos);
    CHECK(html.find("http://") == std::string::npos);
    CHECK(html.find("https://") == std::string::npos);
    for (const char* label :
         {"data-label=\"peer 1\"", "data-label=\"peer 2\"", "data-label=\"owner \xe2\x86\x92 peer 1\"",
          "data-label=\"peer 1 \xe2\x86\x92 peer 2\""}) {
        auto at = html.find(label);
        REQUIRE_MESSAGE(at != std::string::npos, label);
        auto d = html.find(" d=\"M", at);
        REQUIRE(d != std::string::npos);
        CHECK(html.find(" L", d) < html.find("\"", d + 5));  // more than one point
    }
    // The swarm's throughput and its finishes, and the settings, each once.
    CHECK(html.find("<svg id=\"swarm\"") != std::string::npos);
    CHECK(html.find("data-label=\"all peers\"") != std::string::npos);
    CHECK(html.find("data-label=\"peers complete\"") != std::string::npos);
    CHECK(html.find("<h2>Settings</h2>") == std::string::npos);  // none given
    summary.settings = {{"early_trading", "yes"}};
    CHECK(html_report(model, summary).find("<tr><th>early_trading</th><td>yes</td></tr>") != std::string::npos);
}

TEST_CASE("at a hundred peers the report names each line on hover instead of a legend of a hundred")
{
    SwarmModel model = started_model(100);
    for (std::size_t i = 1; i <= 100; ++i) {
        const std::string name = "peer " + std::to_string(i);
        model.on_line(i, 0.5, received(name, 0, "owner", 1, 2));
        model.on_line(i, 0.1 * static_cast<double>(i), received(name, 1, "peer 1", 2, 2));
        model.on_line(i, 0.1 * static_cast<double>(i), event_line(name, {{"event", "joined"}, {"ms", 1}}));
    }
    RunSummary summary{"a.bin", 2000, "ab12", std::vector<std::string>(101, "OK"), std::vector<bool>(101, true), 10.5};
    const std::string html = html_report(model, summary);
    CHECK(html.find("100 series; hover over a line for its name.") != std::string::npos);
    CHECK(html.find("<title>peer 100</title>") != std::string::npos);
    // The finishes chart steps up to 100: its axis reaches a tick of 100.
    const auto chart = html.find("<svg id=\"finished\"");
    REQUIRE(chart != std::string::npos);
    const std::string finished = html.substr(chart, html.find("</svg>", chart) - chart);
    CHECK(finished.find(">100</text>") != std::string::npos);
    CHECK(finished.find(">150</text>") == std::string::npos);
}

TEST_CASE("swarm --metrics: the model's figures per peer, labelled with its id, and the swarm's counts")
{
    SwarmModel model = first_chunks_model(0.4, {{{0.5, "owner"}, {0.6, "peer 2"}, {0.7, "peer 2"}}});
    model.on_line(2, 0.7, event_line("peer 2", {{"event", "joined"}, {"ms", 1}}));
    model.on_exit(1, 0.9, 1, 0, SwarmModel::ExitCause::own);

    chunkswarm::metrics::Registry registry;
    publish_metrics(model, registry);
    const std::string text = registry.render();
    const auto has = [&text](const std::string& line) { return text.find("\n" + line + "\n") != std::string::npos; };
    CHECK(has("chunkswarm_swarm_peers 2"));
    CHECK(has("chunkswarm_swarm_peers_done 1"));
    CHECK(has("chunkswarm_swarm_peers_failed 1"));
    CHECK(has("chunkswarm_swarm_chunks_in_file 10"));
    CHECK(has("chunkswarm_swarm_chunks_held{peer=\"1\"} 3"));
    CHECK(has("chunkswarm_swarm_received_bytes_total{peer=\"1\",from=\"owner\"} 1000"));
    CHECK(has("chunkswarm_swarm_received_bytes_total{peer=\"1\",from=\"neighbor\"} 2000"));
    CHECK(text.find("peer=\"owner\"") == std::string::npos);  // the owner is not a peer
}

// The metrics registry and its Prometheus text rendering.
#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include "chunkswarm/core/metrics.hpp"
#include "chunkswarm/process_facts.hpp"

using namespace chunkswarm::metrics;
namespace process = chunkswarm::process;

namespace {
constexpr Family kReceived{"chunkswarm_received_bytes_total", "Chunk bytes received.", Kind::counter};
constexpr Family kChunks{"chunkswarm_chunks_in_file", "Chunks in the file.", Kind::gauge};
constexpr Family kState{"chunkswarm_state", "What the process is doing.", Kind::gauge};
constexpr Family kOdd{"g", "a \\ and a\nnewline \"kept\"", Kind::gauge};
constexpr Family kSent{"sent_total", "Sent.", Kind::counter};
constexpr Family kByThread{"by_thread_total", "Per thread.", Kind::counter};
}  // namespace

TEST_CASE("a series is created at zero, found again by name and labels, and rendered with its family")
{
    Registry registry;
    Value& owner = registry.at(kReceived, {{"from", "owner"}});
    Value& peer2 = registry.at(kReceived, {{"from", "2"}});
    CHECK(owner.get() == 0);
    owner.add(102400);
    owner.add(5);
    peer2.add(7);
    CHECK(&registry.at(kReceived, {{"from", "owner"}}) == &owner);
    registry.at(kChunks).set(12);

    CHECK(registry.render() ==
          "# HELP chunkswarm_chunks_in_file Chunks in the file.\n"
          "# TYPE chunkswarm_chunks_in_file gauge\n"
          "chunkswarm_chunks_in_file 12\n"
          "# HELP chunkswarm_received_bytes_total Chunk bytes received.\n"
          "# TYPE chunkswarm_received_bytes_total counter\n"
          "chunkswarm_received_bytes_total{from=\"2\"} 7\n"
          "chunkswarm_received_bytes_total{from=\"owner\"} 102405\n");
}

TEST_CASE("label values and help text are escaped as the text format asks")
{
    CHECK(remote_value("owner") == "owner");
    CHECK(remote_value("peer 12") == "12");
    CHECK(remote_value("127.0.0.1:7101 x") == "127.0.0.1:7101-x");
    CHECK(render_labels({}) == "");
    CHECK(render_labels({{"a", "x"}, {"b", "y"}}) == "{a=\"x\",b=\"y\"}");
    CHECK(render_labels({{"path", "C:\\dir \"q\"\nnext"}}) == "{path=\"C:\\\\dir \\\"q\\\"\\nnext\"}");

    Registry registry;
    registry.at(kOdd).set(-3);
    CHECK(registry.render() == "# HELP g a \\\\ and a\\nnewline \"kept\"\n# TYPE g gauge\ng -3\n");
}

TEST_CASE("a state family has one series per state and exactly one of them set")
{
    Registry registry;
    const std::vector<std::string> states{"splitting", "serving", "done"};
    registry.set_state(kState, states, "splitting");
    registry.set_state(kState, states, "serving");
    CHECK(registry.render() ==
          "# HELP chunkswarm_state What the process is doing.\n"
          "# TYPE chunkswarm_state gauge\n"
          "chunkswarm_state{state=\"done\"} 0\n"
          "chunkswarm_state{state=\"serving\"} 1\n"
          "chunkswarm_state{state=\"splitting\"} 0\n");
}

TEST_CASE("a peak only grows")
{
    Value peak;
    peak.raise_to(10);
    peak.raise_to(4);
    CHECK(peak.get() == 10);
    peak.raise_to(11);
    CHECK(peak.get() == 11);
}

TEST_CASE("threads add to one series and render meanwhile without losing a count")
{
    Registry registry;
    Value& sent = registry.at(kSent);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&registry, &sent, t] {
            Value& mine = registry.at(kByThread, {{"thread", std::to_string(t)}});
            for (int i = 0; i < 10000; ++i) {
                sent.add(1);
                mine.add(2);
                if (i % 1000 == 0) (void)registry.render();
            }
        });
    }
    for (std::thread& thread : threads)
        thread.join();
    CHECK(sent.get() == 40000);
    CHECK(registry.at(kByThread, {{"thread", "3"}}).get() == 20000);
}

TEST_CASE("the process_* metrics, as Prometheus' client libraries name them")
{
    process::Facts facts;
    facts.cpu_seconds = 1.25;
    facts.start_time_seconds = 1764000000.5;
    facts.resident_bytes = 4096;
    facts.virtual_bytes = 8192;
    facts.open_fds = 7;
    facts.max_fds = 1024;
    const std::string text = process::render_metrics(facts);
    CHECK(text.find("# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 1.25\n") != std::string::npos);
    CHECK(text.find("\nprocess_start_time_seconds 1764000000.5\n") != std::string::npos);
    CHECK(text.find("\nprocess_resident_memory_bytes 4096\n") != std::string::npos);
    CHECK(text.find("\nprocess_virtual_memory_bytes 8192\n") != std::string::npos);
    CHECK(text.find("\nprocess_open_fds 7\n") != std::string::npos);
    CHECK(text.find("\nprocess_max_fds 1024\n") != std::string::npos);
}

TEST_CASE("this process's facts, read from the kernel, are plausible")
{
    const process::Facts facts = process::read_facts();
    CHECK(facts.resident_bytes > 0);
    CHECK(facts.virtual_bytes >= facts.resident_bytes);
    CHECK(facts.peak_resident_bytes >= facts.resident_bytes);
    CHECK(facts.open_fds >= 3);  // at least the standard three
    CHECK(facts.max_fds >= facts.open_fds);
    CHECK(facts.start_time_seconds > 1.6e9);  // after 2020
    CHECK(facts.cpu_seconds >= 0);
}

#include <doctest/doctest.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "batching_sink.hpp"
#include "test_util.hpp"

using namespace chunkswarm;
using log::BatchingSink;

namespace {

// A logger on a BatchingSink that writes into a file of a temporary directory.
struct SinkToFile {
    explicit SinkToFile(bool color = false)
        : path(dir.path() / "log.txt"),
          fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644))
    {
        REQUIRE(fd >= 0);
        logger = std::make_shared<spdlog::logger>("test", std::make_shared<BatchingSink>(fd, color));
        logger->set_pattern("%^%l%$ %v");
    }
    ~SinkToFile()
    {
        logger.reset();
        ::close(fd);
    }
    std::string text() const
    {
        auto bytes = test::read_file(path);
        return std::string(bytes.begin(), bytes.end());
    }
    // Ends the logger, which writes whatever is still gathered.
    std::string text_at_end()
    {
        logger.reset();
        return text();
    }

    test::TempDir dir;
    std::filesystem::path path;
    int fd;
    std::shared_ptr<spdlog::logger> logger;
};

}  // namespace

TEST_CASE("lines from several threads all arrive, each thread's in order, even past the memory bound")
{
    SinkToFile sink;
    constexpr int kThreads = 4;
    constexpr int kLines = 5000;  // about 2 MiB in all: more than BatchingSink::kMaxPending
    const std::string padding(80, 'x');
    {
        std::vector<std::jthread> threads;
        for (int t = 0; t < kThreads; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < kLines; ++i)
                    sink.logger->info("{} {} {}", t, i, padding);
            });
        }
    }
    std::istringstream lines(sink.text_at_end());
    std::vector<int> next(kThreads, 0);
    std::string level, pad;
    int thread = 0, index = 0, count = 0, out_of_order = 0;
    while (lines >> level >> thread >> index >> pad) {
        REQUIRE(thread >= 0);
        REQUIRE(thread < kThreads);
        if (index != next[thread]) ++out_of_order;
        next[thread] = index + 1;
        ++count;
    }
    CHECK(out_of_order == 0);
    CHECK(count == kThreads * kLines);
}

TEST_CASE("a flush writes every gathered line before it returns, as warnings do")
{
    SinkToFile sink;
    sink.logger->flush_on(spdlog::level::warn);
    sink.logger->info("first");
    sink.logger->info("second");
    sink.logger->flush();
    CHECK(sink.text() == "info first\ninfo second\n");
    sink.logger->info("third");
    sink.logger->warn("careful");
    CHECK(sink.text() == "info first\ninfo second\ninfo third\nwarning careful\n");
}

TEST_CASE("a line with no flush is written by the sink's thread on its own")
{
    SinkToFile sink;
    sink.logger->info("on its own");
    // Generous: the line is due after BatchingSink::kBatchDelay; this only says it comes at all.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (sink.text().empty() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    CHECK(sink.text() == "info on its own\n");
}

TEST_CASE("levels are coloured only when asked")
{
    SinkToFile plain(false);
    plain.logger->info("hello");
    CHECK(plain.text_at_end() == "info hello\n");
    SinkToFile colored(true);
    colored.logger->info("hello");
    colored.logger->error("oops");
    CHECK(colored.text_at_end() == "\033[32minfo\033[m hello\n\033[31m\033[1merror\033[m oops\n");
}

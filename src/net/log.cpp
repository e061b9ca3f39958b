#include "chunkswarm/log.hpp"

#include <spdlog/async.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace chunkswarm::log {
namespace {

spdlog::level::level_enum to_spdlog(Level level)
{
    switch (level) {
        case Level::trace: return spdlog::level::trace;
        case Level::debug: return spdlog::level::debug;
        case Level::info: return spdlog::level::info;
        case Level::warn: return spdlog::level::warn;
        case Level::error: return spdlog::level::err;
        case Level::off: return spdlog::level::off;
    }
    return spdlog::level::info;
}

}  // namespace

Result<Level> parse_level(const std::string& name)
{
    static const std::pair<const char*, Level> kLevels[] = {
        {"trace", Level::trace},  {"debug", Level::debug}, {"info", Level::info}, {"warn", Level::warn},
        {"warning", Level::warn}, {"error", Level::error}, {"off", Level::off},
    };
    for (const auto& [level_name, level] : kLevels) {
        if (name == level_name) return level;
    }
    return make_error("unknown log level \"" + name + "\" (use trace, debug, info, warn, error or off)");
}

void init(const std::string& name, Level level)
{
    // A dedicated writer thread keeps console output off the event loops; blocking instead of
    // dropping keeps every activity line, as the console is the record of what happened.
    spdlog::init_thread_pool(8192, 1);
    auto sink = std::make_shared<spdlog::sinks::stdout_color_sink_mt>();
    auto logger =
        std::make_shared<spdlog::async_logger>(name, sink, spdlog::thread_pool(), spdlog::async_overflow_policy::block);
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%n] %v");
    logger->set_level(to_spdlog(level));
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(logger);
}

// After shutdown() there is no logger; late lines (from handles closing on the way out) are dropped.
bool enabled(Level level)
{
    auto* logger = spdlog::default_logger_raw();
    return logger != nullptr && logger->should_log(to_spdlog(level));
}

void write(Level level, std::string_view message)
{
    if (auto* logger = spdlog::default_logger_raw()) logger->log(to_spdlog(level), message);
}

void flush()
{
    if (auto* logger = spdlog::default_logger_raw()) logger->flush();
}

void shutdown() { spdlog::shutdown(); }

}  // namespace chunkswarm::log

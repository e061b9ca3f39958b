#include "chunkswarm/log.hpp"

#include <spdlog/async.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace chunkswarm::log {

Result<spdlog::level::level_enum> parse_level(const std::string& name)
{
    static const std::pair<const char*, spdlog::level::level_enum> kLevels[] = {
        {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug}, {"info", spdlog::level::info},
        {"warn", spdlog::level::warn},   {"warning", spdlog::level::warn}, {"error", spdlog::level::err},
        {"off", spdlog::level::off},
    };
    for (const auto& [level_name, level] : kLevels) {
        if (name == level_name) return level;
    }
    return make_error("unknown log level \"" + name + "\" (use trace, debug, info, warn, error or off)");
}

void init(const std::string& name, spdlog::level::level_enum level)
{
    // A dedicated writer thread keeps console output off the event loops; blocking instead of
    // dropping keeps every activity line, as the console is the record of what happened.
    spdlog::init_thread_pool(8192, 1);
    auto sink = std::make_shared<spdlog::sinks::stdout_color_sink_mt>();
    auto logger = std::make_shared<spdlog::async_logger>(name, sink, spdlog::thread_pool(),
                                                         spdlog::async_overflow_policy::block);
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%n] %v");
    logger->set_level(level);
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(logger);
}

void shutdown() { spdlog::shutdown(); }

}  // namespace chunkswarm::log

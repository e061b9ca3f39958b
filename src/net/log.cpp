#include "chunkswarm/log.hpp"

#include <spdlog/details/os.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "batching_sink.hpp"

namespace chunkswarm::log {
namespace {

// Set once by init(), before any other thread logs.
Format g_format = Format::text;

void append_json_string(std::string& out, std::string_view text)
{
    // File names need not be UTF-8; replacing bad bytes keeps every line valid JSON.
    out += nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

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

Result<Format> parse_format(const std::string& name)
{
    if (name == "text") return Format::text;
    if (name == "json") return Format::json;
    return make_error("unknown log format \"" + name + "\" (use text or json)");
}

void init(const std::string& name, Level level, Format format)
{
    g_format = format;
    // Every activity line is kept (the console is the record of what happened), formatted where it
    // is logged and written in batches by the sink's own thread, off the event loops.
    const bool color = spdlog::details::os::in_terminal(stdout) && spdlog::details::os::is_color_terminal();
    auto logger = std::make_shared<spdlog::logger>(name, std::make_shared<BatchingSink>(STDOUT_FILENO, color));
    if (format == Format::json) {
        // Every line is one JSON object; the body (event, fields, msg) comes from event_body().
        logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","proc":"%n",%v})",
                            spdlog::pattern_time_type::utc);
    } else {
        logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%n] %v");
    }
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

void write(Level level, std::string_view message) { write_event(level, "log", {}, message); }

std::string event_body(std::string_view name, std::initializer_list<Field> fields, std::string_view message)
{
    std::string body = "\"event\":";
    append_json_string(body, name);
    for (const Field& field : fields) {
        body += ',';
        append_json_string(body, field.key);
        body += ':';
        if (const auto* number = std::get_if<std::int64_t>(&field.value)) {
            body += std::to_string(*number);
        } else {
            append_json_string(body, std::get<std::string_view>(field.value));
        }
    }
    body += ",\"msg\":";
    append_json_string(body, message);
    return body;
}

void write_event(Level level, std::string_view name, std::initializer_list<Field> fields, std::string_view message)
{
    auto* logger = spdlog::default_logger_raw();
    if (logger == nullptr) return;
    if (g_format == Format::text) {
        logger->log(to_spdlog(level), message);
    } else {
        logger->log(to_spdlog(level), event_body(name, fields, message));
    }
}

void flush()
{
    if (auto* logger = spdlog::default_logger_raw()) logger->flush();
}

void shutdown() { spdlog::shutdown(); }

}  // namespace chunkswarm::log

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "chunkswarm/log.hpp"

using namespace chunkswarm;

TEST_CASE("log levels are accepted by name, and unknown names are refused with the list")
{
    CHECK(log::parse_level("trace").value() == log::Level::trace);
    CHECK(log::parse_level("info").value() == log::Level::info);
    CHECK(log::parse_level("warn").value() == log::Level::warn);
    CHECK(log::parse_level("warning").value() == log::Level::warn);
    CHECK(log::parse_level("error").value() == log::Level::error);
    CHECK(log::parse_level("off").value() == log::Level::off);
    auto bad = log::parse_level("loud");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("trace, debug, info, warn, error or off") != std::string::npos);
    CHECK_FALSE(log::parse_level("3").ok());
}

TEST_CASE("log formats are text or json")
{
    CHECK(log::parse_format("text").value() == log::Format::text);
    CHECK(log::parse_format("json").value() == log::Format::json);
    auto bad = log::parse_format("xml");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("text or json") != std::string::npos);
}

TEST_CASE("an event's json body carries its name, typed fields and message, and stays valid for any bytes")
{
    std::string name = "bad\xff\"name";
    std::string body =
        log::event_body("chunk_received", {{"chunk", 7}, {"from", name}, {"held", std::size_t{12}}, {"ok", true}},
                        "received chunk 7 \"quoted\"\n");
    auto json = nlohmann::json::parse("{" + body + "}");
    CHECK(json["event"] == "chunk_received");
    CHECK(json["chunk"] == 7);
    CHECK(json["held"] == 12);
    CHECK(json["ok"] == 1);
    CHECK(json["from"].get<std::string>().find("name") != std::string::npos);
    CHECK(json["msg"] == "received chunk 7 \"quoted\"\n");
}

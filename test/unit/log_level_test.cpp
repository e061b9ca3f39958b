#include <doctest/doctest.h>

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

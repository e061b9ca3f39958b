// Host names resolve once, at start; these use only what every machine resolves without a network.
#include <doctest/doctest.h>

#include "chunkswarm/net/resolve.hpp"

using namespace chunkswarm;

TEST_CASE("numeric addresses stay as they are; a name becomes its address")
{
    CHECK(net::resolve_host("10.1.2.3").value() == "10.1.2.3");
    CHECK(net::resolve_host("::1").value() == "::1");
    auto local = net::resolve_host("localhost");
    REQUIRE(local.ok());
    CHECK((local.value().rfind("127.", 0) == 0 || local.value() == "::1"));

    Endpoint endpoint{"localhost", 7100};
    REQUIRE(net::resolve_endpoint(endpoint, "the owner").ok());
    CHECK(endpoint.host == local.value());
    CHECK(endpoint.port == 7100);
}

TEST_CASE("a name that does not resolve is one error naming it and whose it is")
{
    // .invalid never resolves (RFC 2606).
    Endpoint endpoint{"no-such-host.invalid", 7103};
    auto resolved = net::resolve_endpoint(endpoint, "peer 3");
    REQUIRE_FALSE(resolved.ok());
    const std::string& message = resolved.error().message;
    CHECK(message.rfind("peer 3: cannot resolve the host name \"no-such-host.invalid\"", 0) == 0);
    CHECK(message.find('\n') == std::string::npos);
    CHECK(endpoint.host == "no-such-host.invalid");
}

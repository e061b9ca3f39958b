// Host names become addresses once, at start: a name that does not resolve is one clear error
// then, not a connection that fails later, and no loop ever waits on DNS.
#pragma once

#include <string>
#include <string_view>

#include "chunkswarm/core/config.hpp"
#include "chunkswarm/core/result.hpp"

namespace chunkswarm::net {

// A numeric address as it is; a name (IPv4 or IPv6) as the first address it resolves to.
Result<std::string> resolve_host(const std::string& host);
// The endpoint's host resolved in place; `role` names it in the error ("the owner", "peer 3").
Result<void> resolve_endpoint(Endpoint& endpoint, std::string_view role);

}  // namespace chunkswarm::net

#include "chunkswarm/net/resolve.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <memory>

namespace chunkswarm::net {

namespace {

bool numeric(const std::string& host)
{
    unsigned char buffer[sizeof(in6_addr)];
    return inet_pton(AF_INET, host.c_str(), buffer) == 1 || inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

}  // namespace

Result<std::string> resolve_host(const std::string& host)
{
    if (numeric(host)) return host;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0) {
        return make_error("cannot resolve the host name \"" + host + "\": " + gai_strerror(rc) +
                          " (check the name, or give its IP address)");
    }
    const std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(found, &freeaddrinfo);
    char text[INET6_ADDRSTRLEN] = "";
    for (const addrinfo* at = found; at != nullptr; at = at->ai_next) {
        const void* address = nullptr;
        if (at->ai_family == AF_INET) address = &reinterpret_cast<const sockaddr_in*>(at->ai_addr)->sin_addr;
        if (at->ai_family == AF_INET6) address = &reinterpret_cast<const sockaddr_in6*>(at->ai_addr)->sin6_addr;
        if (address != nullptr && inet_ntop(at->ai_family, address, text, sizeof text) != nullptr)
            return std::string(text);
    }
    return make_error("the host name \"" + host + "\" has no IPv4 or IPv6 address (give its IP address)");
}

Result<void> resolve_endpoint(Endpoint& endpoint, std::string_view role)
{
    auto address = resolve_host(endpoint.host);
    if (!address) return make_error(std::string(role) + ": " + address.error().message);
    endpoint.host = std::move(address).value();
    return {};
}

}  // namespace chunkswarm::net

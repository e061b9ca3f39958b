// TCP ports on 127.0.0.1 that were free a moment ago, for the test tools and the benchmark.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

namespace chunkswarm::tools {

// Every socket stays bound until all `count` ports are chosen, so the ports are distinct. Fewer
// than `count` come back if the system runs out.
inline std::vector<std::uint16_t> free_loopback_ports(std::size_t count)
{
    std::vector<int> sockets;
    std::vector<std::uint16_t> ports;
    for (std::size_t i = 0; i < count; ++i) {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) break;
        sockets.push_back(fd);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            break;
        }
        ports.push_back(ntohs(address.sin_port));
    }
    for (int fd : sockets)
        ::close(fd);
    return ports;
}

}  // namespace chunkswarm::tools

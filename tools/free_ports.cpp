// free-ports N: prints N distinct TCP ports on 127.0.0.1 that were free a moment ago, one per line.
#include "free_ports.hpp"

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv)
{
    int count = argc > 1 ? std::atoi(argv[1]) : 1;
    if (count < 1 || count > 1000) {
        std::fprintf(stderr, "usage: free-ports N (1..1000)\n");
        return 2;
    }
    auto ports = chunkswarm::tools::free_loopback_ports(static_cast<std::size_t>(count));
    if (ports.size() != static_cast<std::size_t>(count)) {
        std::perror("free-ports");
        return 1;
    }
    for (std::uint16_t port : ports)
        std::printf("%d\n", port);
    return 0;
}

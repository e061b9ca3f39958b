// free-ports N: prints N TCP ports on 127.0.0.1 that were free a moment ago, one per line.
// The sockets are all held open until every port is chosen, so the N ports are distinct.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char** argv)
{
    int count = argc > 1 ? std::atoi(argv[1]) : 1;
    if (count < 1 || count > 1000) {
        std::fprintf(stderr, "usage: free-ports N (1..1000)\n");
        return 2;
    }
    std::vector<int> sockets;
    for (int i = 0; i < count; ++i) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof addr;
        if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
            getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
            std::perror("free-ports");
            return 1;
        }
        sockets.push_back(fd);
        std::printf("%d\n", ntohs(addr.sin_port));
    }
    for (int fd : sockets)
        close(fd);
    return 0;
}

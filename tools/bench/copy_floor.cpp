#include "copy_floor.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

#include "chunkswarm/disk/file_util.hpp"

namespace chunkswarm::bench {
namespace {

// As large as a socket write usefully gets on loopback; larger only costs memory.
constexpr std::size_t kBufferBytes = 1 << 20;

std::string errno_message(const std::string& what) { return what + ": " + std::strerror(errno); }

// Streams the whole file to one receiver.
std::string send_file(int socket, const std::filesystem::path& source)
{
    Fd file(::open(source.c_str(), O_RDONLY | O_CLOEXEC));
    if (file.get() < 0) return errno_message("open " + source.string());
    std::vector<std::uint8_t> buffer(kBufferBytes);
    for (;;) {
        ssize_t n = ::read(file.get(), buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno_message("read " + source.string());
        if (n == 0) return {};
        if (int err = write_fully(socket, std::span(buffer).first(static_cast<std::size_t>(n))); err != 0) {
            return "send: " + errno_text(err);
        }
    }
}

// Receives until the sender closes; the copy counts only if every byte arrived.
std::string receive_file(std::uint16_t port, const std::filesystem::path& destination, std::uint64_t size)
{
    Fd socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        return errno_message("connect");
    }
    Fd file(::open(destination.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (file.get() < 0) return errno_message("create " + destination.string());
    std::vector<std::uint8_t> buffer(kBufferBytes);
    std::uint64_t received = 0;
    for (;;) {
        ssize_t n = ::read(socket.get(), buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno_message("receive");
        if (n == 0) break;
        if (int err = write_fully(file.get(), std::span(buffer).first(static_cast<std::size_t>(n))); err != 0) {
            return "write " + destination.string() + ": " + errno_text(err);
        }
        received += static_cast<std::uint64_t>(n);
    }
    if (file.close() != 0) return errno_message("close " + destination.string());
    if (received != size) {
        return destination.string() + ": received " + std::to_string(received) + " of " + std::to_string(size) +
               " bytes";
    }
    return {};
}

Fd listen_on_loopback(std::uint16_t* port)
{
    Fd socket(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (socket.get() < 0 || ::bind(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(socket.get(), 1024) != 0 ||
        ::getsockname(socket.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        return Fd();
    }
    *port = ntohs(address.sin_port);
    return socket;
}

}  // namespace

FloorResult run_copy_floor(const std::filesystem::path& source, std::uint64_t size,
                           const std::vector<std::filesystem::path>& destinations)
{
    FloorResult result;
    std::uint16_t port = 0;
    Fd listener = listen_on_loopback(&port);
    if (listener.get() < 0) {
        result.error = errno_message("listen on 127.0.0.1");
        return result;
    }
    std::mutex mutex;
    auto note = [&](const std::string& error) {
        std::lock_guard lock(mutex);
        if (!error.empty() && result.error.empty()) result.error = error;
    };
    auto started = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (const auto& destination : destinations)
        threads.emplace_back([&, destination] { note(receive_file(port, destination, size)); });
    for (std::size_t i = 0; i < destinations.size(); ++i) {
        Fd connection(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (connection.get() < 0) {
            note(errno_message("accept"));
            break;
        }
        threads.emplace_back([&, connection = std::move(connection)] { note(send_file(connection.get(), source)); });
    }
    for (auto& thread : threads)
        thread.join();
    result.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
}

}  // namespace chunkswarm::bench

#include "chunkswarm/disk/free_space.hpp"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "chunkswarm/disk/file_util.hpp"

namespace chunkswarm::disk {

namespace {

std::string with_mib(std::uint64_t bytes)
{
    char text[64];
    std::snprintf(text, sizeof text, "%llu bytes (%.1f MiB)", static_cast<unsigned long long>(bytes),
                  static_cast<double>(bytes) / (1024.0 * 1024.0));
    return text;
}

}  // namespace

std::uint64_t bytes_in(const std::filesystem::path& dir)
{
    std::uint64_t total = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) total += std::uint64_t(st.st_blocks) * 512;
    }
    return total;
}

Result<void> check_room(const std::filesystem::path& dir, std::uint64_t needed, std::string_view what)
{
    if (needed == 0) return {};
    std::filesystem::path at = dir.empty() ? std::filesystem::path(".") : dir;
    std::error_code ec;
    while (!std::filesystem::exists(at, ec) && at.has_parent_path() && at.parent_path() != at)
        at = at.parent_path();
    struct statvfs fs {};
    if (::statvfs(at.c_str(), &fs) != 0) {
        return make_error("cannot tell the free space of " + at.string() + ": " + errno_text(errno));
    }
    const std::uint64_t free = std::uint64_t(fs.f_bavail) * fs.f_frsize;
    if (free >= needed) return {};
    return make_error("not enough disk space in " + dir.string() + ": " + std::string(what) + " need " +
                      with_mib(needed) + " more, and its file system has " + with_mib(free) +
                      " free; free some space or give another data directory");
}

}  // namespace chunkswarm::disk

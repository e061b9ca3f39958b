#include "chunkswarm/disk/file_util.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

namespace chunkswarm {

ssize_t read_fully(int fd, std::span<std::uint8_t> out)
{
    std::size_t done = 0;
    while (done < out.size()) {
        ssize_t n = ::read(fd, out.data() + done, out.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -errno;
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
    }
    return static_cast<ssize_t>(done);
}

ssize_t pread_fully(int fd, std::span<std::uint8_t> out, off_t offset)
{
    std::size_t done = 0;
    while (done < out.size()) {
        ssize_t n = ::pread(fd, out.data() + done, out.size() - done, offset + static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -errno;
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
    }
    return static_cast<ssize_t>(done);
}

int write_fully(int fd, std::span<const std::uint8_t> bytes)
{
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno;
        done += static_cast<std::size_t>(n);
    }
    return 0;
}

int pwrite_fully(int fd, std::span<const std::uint8_t> bytes, off_t offset)
{
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::pwrite(fd, bytes.data() + done, bytes.size() - done, offset + static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno;
        done += static_cast<std::size_t>(n);
    }
    return 0;
}

Fd::~Fd()
{
    if (fd_ >= 0) ::close(fd_);
}

int Fd::close()
{
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
}

std::string errno_text(int err) { return std::strerror(err); }

Result<std::filesystem::file_type> input_file_type(const std::filesystem::path& path)
{
    std::error_code ec;
    const std::filesystem::file_status status = std::filesystem::status(path, ec);
    if (status.type() == std::filesystem::file_type::not_found) return make_error(path.string() + " does not exist");
    if (ec) return make_error("cannot look at " + path.string() + ": " + ec.message());
    return status.type();
}

std::string describe_file_type(std::filesystem::file_type type)
{
    using std::filesystem::file_type;
    switch (type) {
        case file_type::regular: return "a regular file";
        case file_type::directory: return "a directory";
        case file_type::symlink: return "a symbolic link";
        case file_type::block: return "a block device";
        case file_type::character: return "a character device";
        case file_type::fifo: return "a named pipe (FIFO)";
        case file_type::socket: return "a socket";
        default: return "not a regular file";
    }
}

AlignedBuffer::AlignedBuffer(std::size_t size)
    : bytes_(static_cast<std::uint8_t*>(
          std::aligned_alloc(kAlignment, (size + kAlignment - 1) / kAlignment * kAlignment))),
      size_(size)
{
    if (!bytes_) throw std::bad_alloc();
}

namespace {

bool direct_io_fits(std::span<const std::uint8_t> bytes)
{
    return !bytes.empty() && reinterpret_cast<std::uintptr_t>(bytes.data()) % AlignedBuffer::kAlignment == 0 &&
           bytes.size() % AlignedBuffer::kAlignment == 0;
}

// Some file systems (tmpfs, some FUSE ones) refuse O_DIRECT at open: then the page cache it is.
int create_for_writing(const std::filesystem::path& path, CacheMode mode)
{
    constexpr int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
    if (mode == CacheMode::direct) {
        int fd = ::open(path.c_str(), flags | O_DIRECT, 0644);
        if (fd >= 0 || errno != EINVAL) return fd;
    }
    return ::open(path.c_str(), flags, 0644);
}

// A name per thread: two threads replacing the same file must not write into one temporary.
// Kept per thread, as a peer makes one per chunk.
std::filesystem::path temporary_for(const std::filesystem::path& path)
{
    thread_local const std::string suffix = "." + std::to_string(::gettid()) + ".tmp";
    std::filesystem::path tmp = path;
    tmp += suffix;
    return tmp;
}

// Closes `fd` and moves `tmp` over `path`; `err` is how filling it went. Nothing is left at `tmp`.
Result<void> close_and_rename(Fd fd, const std::filesystem::path& tmp, const std::filesystem::path& path, int err)
{
    if (fd.close() != 0 && err == 0) err = errno;
    if (err != 0) {
        ::unlink(tmp.c_str());
        return make_error("cannot write " + tmp.string() + ": " + errno_text(err));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return make_error("cannot rename " + tmp.string() + " to " + path.string() + ": " + errno_text(err));
    }
    return {};
}

// The errors with which FICLONERANGE says "not here", as opposed to a failing disk.
bool clone_unsupported(int err)
{
    return err == EOPNOTSUPP || err == ENOTTY || err == EXDEV || err == EINVAL || err == ENOSYS;
}

}  // namespace

Result<void> write_file_atomically(const std::filesystem::path& path, std::span<const std::uint8_t> bytes,
                                   CacheMode mode)
{
    std::filesystem::path tmp = temporary_for(path);
    Fd fd(create_for_writing(tmp, direct_io_fits(bytes) ? mode : CacheMode::buffered));
    if (!fd.valid()) {
        return make_error("cannot create " + tmp.string() + ": " + errno_text(errno));
    }
    int err = write_fully(fd.get(), bytes);
    return close_and_rename(std::move(fd), tmp, path, err);
}

Result<bool> clone_file_atomically(const std::filesystem::path& path, int source, off_t offset, std::size_t length)
{
    std::filesystem::path tmp = temporary_for(path);
    Fd fd(create_for_writing(tmp, CacheMode::buffered));
    if (!fd.valid()) {
        return make_error("cannot create " + tmp.string() + ": " + errno_text(errno));
    }
    file_clone_range range{};
    range.src_fd = source;
    range.src_offset = static_cast<std::uint64_t>(offset);
    range.src_length = length;
    int err = ::ioctl(fd.get(), FICLONERANGE, &range) == 0 ? 0 : errno;
    if (err != 0 && clone_unsupported(err)) {
        ::unlink(tmp.c_str());
        return false;
    }
    CS_TRY(close_and_rename(std::move(fd), tmp, path, err));
    return true;
}

Result<void> ensure_directory(const std::filesystem::path& dir)
{
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        return make_error("cannot create directory " + dir.string() + ": " + ec.message());
    }
    if (::access(dir.c_str(), W_OK) != 0) {
        return make_error("directory " + dir.string() + " is not writable: " + errno_text(errno));
    }
    return {};
}

}  // namespace chunkswarm

namespace chunkswarm {

Result<DirectoryLock> DirectoryLock::acquire(const std::filesystem::path& dir)
{
    std::filesystem::path path = dir / kLockFileName;
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        return make_error("cannot create " + path.string() + ": " + errno_text(errno));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        ::close(fd);
        if (err == EWOULDBLOCK) {
            return make_error("data directory " + dir.string() +
                              " is in use by another chunkswarm process; give each process its own --data-dir");
        }
        return make_error("cannot lock " + path.string() + ": " + errno_text(err));
    }
    return DirectoryLock(fd);
}

DirectoryLock::~DirectoryLock()
{
    if (fd_ >= 0) ::close(fd_);
}

}  // namespace chunkswarm

#include "chunkswarm/disk/tree_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>

#include "chunkswarm/core/sha256.hpp"
#include "chunkswarm/disk/file_digest.hpp"
#include "chunkswarm/disk/file_util.hpp"

namespace chunkswarm {
namespace {

namespace fs = std::filesystem;

std::int64_t mtime_ns_of(const struct stat& st)
{
    return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

timespec timespec_of(std::int64_t ns)
{
    timespec t{};
    t.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    t.tv_nsec = static_cast<long>(ns % 1'000'000'000);
    if (t.tv_nsec < 0) {
        t.tv_nsec += 1'000'000'000;
        t.tv_sec -= 1;
    }
    return t;
}

Error failed(const std::string& what, const fs::path& path, int err)
{
    return make_error("cannot " + what + " " + path.string() + ": " + errno_text(err));
}

// `length` bytes from `in` at `in_offset` to the end of `out`: in the kernel (shared blocks where
// the file system can), else through a buffer.
Result<void> copy_range(int in, std::uint64_t in_offset, int out, std::uint64_t length, const fs::path& what)
{
    auto offset = static_cast<off_t>(in_offset);
    while (length > 0) {
        const ssize_t n = ::copy_file_range(in, &offset, out, nullptr, length, 0);
        if (n > 0) {
            length -= static_cast<std::uint64_t>(n);
            continue;
        }
        if (n == 0) return make_error(what.string() + " ended early (did it change?)");
        if (errno == EINTR) continue;
        if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP) {
            return failed("copy", what, errno);
        }
        std::vector<std::uint8_t> buffer(1 << 20);
        while (length > 0) {
            const auto part = static_cast<std::size_t>(std::min<std::uint64_t>(length, buffer.size()));
            const ssize_t got = pread_fully(in, std::span(buffer.data(), part), offset);
            if (got <= 0) return got == 0 ? make_error(what.string() + " ended early") : failed("read", what, -got);
            if (int err = write_fully(out, std::span(buffer.data(), static_cast<std::size_t>(got))); err != 0) {
                return failed("write", what, err);
            }
            offset += got;
            length -= static_cast<std::uint64_t>(got);
        }
    }
    return {};
}

Result<TreeEntry> entry_for(const fs::path& root, const fs::path& path)
{
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return failed("read", path, errno);
    TreeEntry entry;
    entry.path = path.lexically_relative(root).string();
    entry.mode = st.st_mode & 0777;
    entry.mtime_ns = mtime_ns_of(st);
    if (S_ISDIR(st.st_mode)) {
        entry.directory = true;
    } else if (S_ISREG(st.st_mode)) {
        entry.size = static_cast<std::uint64_t>(st.st_size);
    } else if (S_ISLNK(st.st_mode)) {
        std::string target(PATH_MAX, '\0');
        const ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
        if (n < 0) return failed("read the link", path, errno);
        target.resize(static_cast<std::size_t>(n));
        // Sent as a link, never followed: one that leads out of the tree would hand its receivers
        // a way to whatever it points at.
        if (auto inside = check_link_target(entry.path, target); !inside) {
            return make_error(path.string() + ": " + inside.error().message +
                              "; replace it with the file it points to, or remove it");
        }
        entry.link = std::move(target);
    } else {
        return make_error(path.string() +
                          " is not a regular file or directory (a device, socket or pipe); remove "
                          "it from the tree");
    }
    return entry;
}

}  // namespace

Result<std::vector<TreeEntry>> scan_tree(const fs::path& root)
{
    std::vector<TreeEntry> tree;
    std::error_code ec;
    // Links are never followed: each one is seen as itself, and refused.
    for (fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end; !ec && it != end;
         it.increment(ec)) {
        auto entry = entry_for(root, it->path());
        if (!entry) return entry.error();
        tree.push_back(std::move(entry).value());
    }
    if (ec) return make_error("cannot read the tree " + root.string() + ": " + ec.message());
    std::sort(tree.begin(), tree.end(), [](const TreeEntry& a, const TreeEntry& b) { return a.path < b.path; });
    if (tree.empty()) return make_error(root.string() + " is an empty directory: nothing to distribute");
    return tree;
}

Result<void> pack_tree(const fs::path& root, const std::vector<TreeEntry>& tree, const fs::path& stream)
{
    Fd out(::open(stream.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!out.valid()) return failed("create", stream, errno);
    for (const TreeEntry& entry : tree) {
        if (entry.directory || entry.is_link()) continue;
        const fs::path path = root / entry.path;
        Fd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
        if (!in.valid()) return failed("open", path, errno);
        struct stat st {};
        if (::fstat(in.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
            static_cast<std::uint64_t>(st.st_size) != entry.size) {
            return make_error(path.string() + " changed while the tree was read; run the owner again");
        }
        CS_TRY(copy_range(in.get(), 0, out.get(), entry.size, path));
    }
    if (out.close() != 0) return failed("write", stream, errno);
    return {};
}

void remove_tree(const fs::path& path)
{
    std::error_code ec;
    // A directory without write permission (mode 0555 came with the tree) cannot be emptied.
    for (fs::recursive_directory_iterator it(path, fs::directory_options::none, ec), end; !ec && it != end;
         it.increment(ec)) {
        if (it->is_directory(ec) && !it->is_symlink(ec)) ::chmod(it->path().c_str(), 0700);
    }
    ::chmod(path.c_str(), 0700);
    fs::remove_all(path, ec);
}

Result<void> unpack_tree(const std::vector<TreeEntry>& tree, const fs::path& stream, const fs::path& destination)
{
    const fs::path staging = destination.string() + ".partdir";
    remove_tree(staging);
    if (::mkdir(staging.c_str(), 0700) != 0) return failed("create", staging, errno);
    Fd in(::open(stream.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in.valid()) return failed("open", stream, errno);
    std::uint64_t offset = 0;
    std::error_code ec;
    for (const TreeEntry& entry : tree) {
        // Paths passed check_tree(): relative, no "..", nothing under a file or a link.
        const fs::path path = staging / entry.path;
        fs::create_directories(entry.directory ? path : path.parent_path(), ec);
        if (ec) return make_error("cannot create " + path.string() + ": " + ec.message());
        if (entry.directory || entry.is_link()) continue;
        Fd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (!out.valid()) return failed("create", path, errno);
        CS_TRY(copy_range(in.get(), offset, out.get(), entry.size, stream));
        offset += entry.size;
        const timespec times[2] = {timespec_of(entry.mtime_ns), timespec_of(entry.mtime_ns)};
        if (::fchmod(out.get(), entry.mode) != 0 || ::futimens(out.get(), times) != 0) {
            return failed("set the mode and time of", path, errno);
        }
        if (out.close() != 0) return failed("write", path, errno);
    }
    // Links after every file, so that nothing is written through one (check_tree() also keeps
    // every entry from lying under a link).
    for (const TreeEntry& entry : tree) {
        if (!entry.is_link()) continue;
        const fs::path path = staging / entry.path;
        const timespec times[2] = {timespec_of(entry.mtime_ns), timespec_of(entry.mtime_ns)};
        if (::symlink(entry.link.c_str(), path.c_str()) != 0) return failed("create the link", path, errno);
        if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
            return failed("set the time of", path, errno);
        }
    }
    // Directories last, deepest first: a file created inside one changes its time, and a
    // read-only one would refuse its files.
    std::vector<const TreeEntry*> dirs;
    for (const TreeEntry& entry : tree)
        if (entry.directory) dirs.push_back(&entry);
    std::sort(dirs.begin(), dirs.end(), [](const TreeEntry* a, const TreeEntry* b) { return a->path > b->path; });
    for (const TreeEntry* dir : dirs) {
        const fs::path path = staging / dir->path;
        const timespec times[2] = {timespec_of(dir->mtime_ns), timespec_of(dir->mtime_ns)};
        if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0 ||
            ::chmod(path.c_str(), dir->mode) != 0) {
            return failed("set the mode and time of", path, errno);
        }
    }
    if (::chmod(staging.c_str(), 0755) != 0) return failed("set the mode of", staging, errno);
    // In one step: the old tree (or file) and the new swap places, then the old goes.
    if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, destination.c_str(), RENAME_EXCHANGE) == 0) {
        remove_tree(staging);
        return {};
    }
    if (errno != ENOENT) return failed("move into place", staging, errno);
    if (::rename(staging.c_str(), destination.c_str()) != 0) return failed("move into place", staging, errno);
    return {};
}

Result<std::string> content_digest(const fs::path& path)
{
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return failed("read", path, errno);
    if (S_ISREG(st.st_mode)) {
        auto digest = sha256_of_file(path);
        if (!digest) return make_error("cannot read " + path.string());
        return to_hex(*digest);
    }
    auto tree = scan_tree(path);
    if (!tree) return tree.error();
    Sha256 hash;
    for (const TreeEntry& entry : tree.value()) {
        std::string line;
        if (entry.directory) {
            line = "d " + std::to_string(entry.mode) + " " + entry.path + '\0';
        } else if (entry.is_link()) {
            line = "l " + entry.link + '\0' + entry.path + '\0';
        } else {
            auto digest = sha256_of_file(path / entry.path);
            if (!digest) return make_error("cannot read " + (path / entry.path).string());
            line = "f " + std::to_string(entry.mode) + " " + to_hex(*digest) + " " + entry.path + '\0';
        }
        hash.update(std::span(reinterpret_cast<const std::uint8_t*>(line.data()), line.size()));
    }
    return to_hex(hash.finish());
}

}  // namespace chunkswarm

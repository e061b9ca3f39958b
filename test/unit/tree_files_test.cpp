// A directory tree read, packed into one stream and rebuilt: contents, modes, times, empty files
// and directories, and what is refused.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chunkswarm/tree_files.hpp"
#include "test_util.hpp"

using namespace chunkswarm;
using test::TempDir;
namespace fs = std::filesystem;

namespace {

void set_time(const fs::path& path, std::int64_t seconds)
{
    const timespec times[2] = {{seconds, 250}, {seconds, 250}};
    REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);
}

// nested/, an empty directory, an empty file, an executable, a non-ASCII name, a read-only dir.
fs::path make_tree(const fs::path& root)
{
    fs::create_directories(root / "nested/deeper");
    fs::create_directories(root / "empty-dir");
    fs::create_directories(root / "read-only");
    test::write_file(root / "nested/deeper/data.bin", test::random_bytes(250'000, 1));
    test::write_file(root / "nested/empty", {});
    test::write_file(root / "run.sh", test::random_bytes(3000, 2));
    test::write_file(root / "caf\xc3\xa9.txt", test::random_bytes(10, 3));
    test::write_file(root / "read-only/inside", test::random_bytes(100, 4));
    ::chmod((root / "run.sh").c_str(), 0755);
    ::chmod((root / "nested/empty").c_str(), 0600);
    set_time(root / "run.sh", 1'600'000'000);
    set_time(root / "nested/deeper", 1'500'000'000);
    ::chmod((root / "read-only").c_str(), 0555);
    return root;
}

struct stat stat_of(const fs::path& path)
{
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st;
}

}  // namespace

TEST_CASE("a tree packed into one stream and unpacked is the same tree: bytes, modes, times, empty parts")
{
    TempDir dir;
    const fs::path source = make_tree(dir.path() / "source");
    auto tree = scan_tree(source);
    REQUIRE(tree.ok());
    std::uint64_t total = 0;
    for (const TreeEntry& e : tree.value())
        total += e.size;
    CHECK(check_tree(tree.value(), total).ok());
    CHECK(tree->front().path == "caf\xc3\xa9.txt");  // path order

    REQUIRE(pack_tree(source, tree.value(), dir.path() / "stream").ok());
    CHECK(fs::file_size(dir.path() / "stream") == total);
    REQUIRE(unpack_tree(tree.value(), dir.path() / "stream", dir.path() / "copy").ok());
    CHECK_FALSE(fs::exists(dir.path() / "copy.partdir"));

    CHECK(content_digest(dir.path() / "copy").value() == content_digest(source).value());
    CHECK((stat_of(dir.path() / "copy/run.sh").st_mode & 0777) == 0755);
    CHECK((stat_of(dir.path() / "copy/nested/empty").st_mode & 0777) == 0600);
    CHECK((stat_of(dir.path() / "copy/read-only").st_mode & 0777) == 0555);
    CHECK(stat_of(dir.path() / "copy/run.sh").st_mtim.tv_sec == 1'600'000'000);
    CHECK(stat_of(dir.path() / "copy/run.sh").st_mtim.tv_nsec == 250);
    CHECK(stat_of(dir.path() / "copy/nested/deeper").st_mtim.tv_sec == 1'500'000'000);
    CHECK(fs::is_directory(dir.path() / "copy/empty-dir"));
    CHECK(fs::file_size(dir.path() / "copy/nested/empty") == 0);

    // Unpacked again over the first copy: swapped in whole, the old one (read-only parts too) gone.
    test::write_file(dir.path() / "copy/nested/stray", {1, 2, 3});
    REQUIRE(unpack_tree(tree.value(), dir.path() / "stream", dir.path() / "copy").ok());
    CHECK_FALSE(fs::exists(dir.path() / "copy/nested/stray"));
    CHECK_FALSE(fs::exists(dir.path() / "copy.partdir"));
    CHECK(content_digest(dir.path() / "copy").value() == content_digest(source).value());
    ::chmod((source / "read-only").c_str(), 0755);
    remove_tree(dir.path() / "copy");
    CHECK_FALSE(fs::exists(dir.path() / "copy"));
}

TEST_CASE("a copy that differs in a byte, a mode or a name has another content digest")
{
    TempDir dir;
    const fs::path a = make_tree(dir.path() / "a");
    const fs::path b = make_tree(dir.path() / "b");
    CHECK(content_digest(a).value() == content_digest(b).value());
    ::chmod((b / "run.sh").c_str(), 0700);
    CHECK(content_digest(a).value() != content_digest(b).value());
    ::chmod((b / "run.sh").c_str(), 0755);
    test::write_file(b / "nested/empty", {0});
    ::chmod((b / "nested/empty").c_str(), 0600);
    CHECK(content_digest(a).value() != content_digest(b).value());
    ::chmod((a / "read-only").c_str(), 0755);
    ::chmod((b / "read-only").c_str(), 0755);
}

TEST_CASE("links and special files are refused by name; an empty directory has nothing to send")
{
    TempDir dir;
    fs::create_directories(dir.path() / "t/sub");
    test::write_file(dir.path() / "t/sub/file", {1});
    fs::create_symlink("/etc/passwd", dir.path() / "t/sub/link");
    auto with_link = scan_tree(dir.path() / "t");
    REQUIRE_FALSE(with_link.ok());
    CHECK(with_link.error().message.find("t/sub/link is a symbolic link") != std::string::npos);

    fs::remove(dir.path() / "t/sub/link");
    REQUIRE(::mkfifo((dir.path() / "t/pipe").c_str(), 0600) == 0);
    auto with_pipe = scan_tree(dir.path() / "t");
    REQUIRE_FALSE(with_pipe.ok());
    CHECK(with_pipe.error().message.find("not a regular file or directory") != std::string::npos);

    fs::create_directories(dir.path() / "nothing");
    CHECK_FALSE(scan_tree(dir.path() / "nothing").ok());
}

TEST_CASE("a file that changes size between the scan and the pack is an error, not a short stream")
{
    TempDir dir;
    fs::create_directories(dir.path() / "t");
    test::write_file(dir.path() / "t/grows", test::random_bytes(1000));
    auto tree = scan_tree(dir.path() / "t");
    REQUIRE(tree.ok());
    test::write_file(dir.path() / "t/grows", test::random_bytes(2000));
    auto packed = pack_tree(dir.path() / "t", tree.value(), dir.path() / "stream");
    REQUIRE_FALSE(packed.ok());
    CHECK(packed.error().message.find("changed while the tree was read") != std::string::npos);
}

// A directory tree read, packed into one stream and rebuilt: contents, modes, times, empty files
// and directories, and what is refused.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chunkswarm/disk/tree_files.hpp"
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

TEST_CASE("links inside the tree travel as links, as a model cache has them")
{
    TempDir dir;
    const fs::path source = dir.path() / "cache";
    fs::create_directories(source / "blobs");
    fs::create_directories(source / "snapshots/main");
    test::write_file(source / "blobs/3f2a", test::random_bytes(5000, 9));
    fs::create_symlink("../../blobs/3f2a", source / "snapshots/main/model.bin");
    fs::create_symlink("snapshots/main", source / "current");  // a link to a directory
    auto tree = scan_tree(source);
    REQUIRE(tree.ok());
    REQUIRE(check_tree(tree.value(), 5000).ok());
    CHECK(count_tree(tree.value()).links == 2);
    CHECK(count_tree(tree.value()).files == 1);
    REQUIRE(pack_tree(source, tree.value(), dir.path() / "stream").ok());
    CHECK(fs::file_size(dir.path() / "stream") == 5000);  // links have no bytes
    REQUIRE(unpack_tree(tree.value(), dir.path() / "stream", dir.path() / "copy").ok());
    CHECK(fs::is_symlink(dir.path() / "copy/snapshots/main/model.bin"));
    CHECK(fs::read_symlink(dir.path() / "copy/snapshots/main/model.bin") == "../../blobs/3f2a");
    CHECK(fs::file_size(dir.path() / "copy/current/model.bin") == 5000);  // through both links
    CHECK(content_digest(dir.path() / "copy").value() == content_digest(source).value());
    // Another target is another tree.
    fs::remove(source / "current");
    fs::create_symlink("blobs", source / "current");
    CHECK(content_digest(dir.path() / "copy").value() != content_digest(source).value());
}

TEST_CASE("a link's target stays inside the tree: ../ steps up to the root, then names")
{
    // Plain names rather than structured bindings: clang cannot capture those (CAPTURE does).
    for (const auto& link : std::vector<std::pair<std::string, std::string>>{
             {"a/b/link", "../../x"}, {"link", "x/y"}, {"a/link", "../b/c"}, {"a/link", "sibling"}}) {
        const std::string& path = link.first;
        const std::string& target = link.second;
        CAPTURE(path);
        CAPTURE(target);
        CHECK(check_link_target(path, target).ok());
    }
    for (const auto& link : std::vector<std::pair<std::string, std::string>>{{"link", "/etc/passwd"},
                                                                             {"link", "../x"},
                                                                             {"a/b/link", "../../../x"},
                                                                             {"link", "x/../../y"},
                                                                             {"link", "x/../y"},
                                                                             {"link", "./x"},
                                                                             {"link", "x//y"},
                                                                             {"link", ".."},
                                                                             {"link", ""},
                                                                             {"link", std::string("x\0y", 3)}}) {
        const std::string& path = link.first;
        const std::string& target = link.second;
        CAPTURE(path);
        CAPTURE(target);
        CHECK_FALSE(check_link_target(path, target).ok());
    }
    // Nothing may lie under a link: a write there would go wherever the link points.
    std::vector<TreeEntry> tree(2);
    tree[0].path = "dir";
    tree[0].link = "elsewhere";
    tree[1].path = "dir/file";
    tree[1].size = 1;
    tree[1].mode = 0644;
    auto under = check_tree(tree, 1);
    REQUIRE_FALSE(under.ok());
    CHECK(under.error().message.find("lies under a file") != std::string::npos);
}

TEST_CASE("a link out of the tree and special files are refused by name; an empty directory has nothing to send")
{
    TempDir dir;
    fs::create_directories(dir.path() / "t/sub");
    test::write_file(dir.path() / "t/sub/file", {1});
    fs::create_symlink("/etc/passwd", dir.path() / "t/sub/link");
    auto with_link = scan_tree(dir.path() / "t");
    REQUIRE_FALSE(with_link.ok());
    CHECK(with_link.error().message.find("t/sub/link: tree path \"sub/link\" links to \"/etc/passwd\"") !=
          std::string::npos);
    fs::remove(dir.path() / "t/sub/link");
    fs::create_symlink("../../outside", dir.path() / "t/sub/link");
    auto climbing = scan_tree(dir.path() / "t");
    REQUIRE_FALSE(climbing.ok());
    CHECK(climbing.error().message.find("which leaves the tree") != std::string::npos);

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

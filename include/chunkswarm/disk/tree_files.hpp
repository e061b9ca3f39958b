// A directory tree on disk, as the owner distributes it and a peer rebuilds it. The tree's files,
// one after another in the manifest's order, are one stream of bytes that is chunked like a single
// file: the owner packs them into one stream file, a peer joins its chunks into one, and unpacks
// it under a temporary name that is renamed into place once every chunk is verified, so nobody
// sees half a tree.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "chunkswarm/core/manifest.hpp"
#include "chunkswarm/core/result.hpp"

namespace chunkswarm {

// The tree under `root` in path order: regular files (of any size), directories and symbolic links
// (as links, never followed), with their permission bits and modification times. A link that
// leads out of the tree, or a special file, is refused, naming it.
Result<std::vector<TreeEntry>> scan_tree(const std::filesystem::path& root);
// The files' bytes one after another into `stream` (blocks shared where the file system can). A
// file whose size changed since the scan is an error.
Result<void> pack_tree(const std::filesystem::path& root, const std::vector<TreeEntry>& tree,
                       const std::filesystem::path& stream);
// Builds the tree from `stream` under "<destination>.partdir" (files, then links, then the
// directories' modes and times), then puts it in place of `destination`, swapping with what was there, which is
// removed.
Result<void> unpack_tree(const std::vector<TreeEntry>& tree, const std::filesystem::path& stream,
                         const std::filesystem::path& destination);
// Removes a tree, read-only directories included; missing is fine.
void remove_tree(const std::filesystem::path& path);
// A SHA-256 (hex) for comparing copies: a file's bytes, or a tree's paths, kinds, modes and
// contents (not its times).
Result<std::string> content_digest(const std::filesystem::path& path);

}  // namespace chunkswarm

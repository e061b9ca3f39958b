// The manifest in a data directory (manifest.json): what a restarted owner or peer resumes from.
#pragma once

#include <filesystem>

#include "chunkswarm/core/manifest.hpp"
#include "chunkswarm/core/result.hpp"

namespace chunkswarm {

Result<Manifest> load_manifest(const std::filesystem::path& path);
// Only a whole manifest (every chunk hash) is written, atomically: a file on disk is trusted on resume.
Result<void> save_manifest(const Manifest& manifest, const std::filesystem::path& path);

}  // namespace chunkswarm

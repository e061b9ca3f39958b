#include "chunkswarm/disk/manifest_file.hpp"

#include <fstream>

#include <nlohmann/json.hpp>

#include "chunkswarm/disk/file_util.hpp"

namespace chunkswarm {

Result<Manifest> load_manifest(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return make_error("cannot open manifest " + path.string());
    }
    nlohmann::json json = nlohmann::json::parse(in, nullptr, false);
    if (json.is_discarded()) {
        return make_error(path.string() + " is not valid JSON");
    }
    return manifest_from_json(json);
}

Result<void> save_manifest(const Manifest& manifest, const std::filesystem::path& path)
{
    // A file on disk is trusted on resume, so it is only ever written with every hash.
    if (!manifest.whole())
        return make_error("internal: manifest saved with only " + std::to_string(manifest.hashed()) + " of its " +
                          std::to_string(manifest.chunk_count) + " chunk hashes");
    // Written as text directly: a JSON tree of every hash costs about 150 bytes per chunk.
    std::string head = manifest_head_to_json(manifest).dump(1);
    head.pop_back();  // the closing brace
    std::string text;
    text.reserve(head.size() + manifest.chunk_sha256.size() * 70 + 32);
    text += head + ",\n \"chunk_sha256\": [";
    for (std::size_t i = 0; i < manifest.chunk_sha256.size(); ++i)
        text += (i ? ",\n  \"" : "\n  \"") + to_hex(manifest.chunk_sha256[i]) + "\"";
    text += "\n ]";
    if (manifest.is_tree()) text += ",\n \"tree\": " + tree_to_json(manifest.tree).dump(1);
    text += "\n}\n";
    return write_file_atomically(path, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

}  // namespace chunkswarm

#include "chunkswarm/disk/file_digest.hpp"

#include <fstream>
#include <vector>

namespace chunkswarm {

std::optional<Digest> sha256_of_file(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    Sha256 hash;
    std::vector<std::uint8_t> buffer(1 << 20);
    while (in) {
        in.read(reinterpret_cast<char*>(buffer.data()), static_cast<std::streamsize>(buffer.size()));
        hash.update({buffer.data(), static_cast<std::size_t>(in.gcount())});
    }
    if (in.bad()) return std::nullopt;
    return hash.finish();
}

}  // namespace chunkswarm

#include "chunkswarm/disk/summary_file.hpp"

#include "chunkswarm/disk/file_util.hpp"

namespace chunkswarm {

std::string format_summary(const std::string& file_name, const ChunkSet& have)
{
    std::string out = "# chunkswarm summary: " + file_name + ", " + std::to_string(have.count()) + " of " +
                      std::to_string(have.size()) + " chunks\n";
    for (ChunkId id : have.ids()) {
        out += to_string(id);
        out += '\n';
    }
    return out;
}

Result<void> write_summary(const std::filesystem::path& path, const std::string& file_name, const ChunkSet& have)
{
    std::string text = format_summary(file_name, have);
    return write_file_atomically(path, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

}  // namespace chunkswarm

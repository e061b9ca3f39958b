#include "chunkswarm/summary_file.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

#include "chunkswarm/file_util.hpp"

namespace chunkswarm {

std::string format_summary(const std::string& file_name, const ChunkSet& have)
{
    std::string out = "# chunkswarm summary: " + file_name + ", " + std::to_string(have.count()) + " of " +
                      std::to_string(have.size()) + " chunks\n";
    for (ChunkId id : have.ids()) {
        out += std::to_string(id);
        out += '\n';
    }
    return out;
}

Result<ChunkSet> parse_summary(const std::string& text, std::uint32_t chunk_count)
{
    ChunkSet have(chunk_count);
    std::istringstream lines(text);
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
        if (line.empty() || line[0] == '#') continue;
        ChunkId id = 0;
        auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), id);
        if (ec != std::errc() || end != line.data() + line.size() || id >= chunk_count) {
            return make_error("summary line " + std::to_string(number) + ": \"" + line + "\" is not a chunk ID below " +
                              std::to_string(chunk_count));
        }
        have.insert(id);
    }
    return have;
}

Result<void> write_summary(const std::filesystem::path& path, const std::string& file_name, const ChunkSet& have)
{
    std::string text = format_summary(file_name, have);
    return write_file_atomically(path, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

Result<ChunkSet> read_summary(const std::filesystem::path& path, std::uint32_t chunk_count)
{
    std::ifstream in(path);
    if (!in) return make_error("cannot open " + path.string());
    std::stringstream text;
    text << in.rdbuf();
    return parse_summary(text.str(), chunk_count);
}

}  // namespace chunkswarm

#include "chunkswarm/disk/sample_file.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <map>
#include <vector>

namespace chunkswarm {

std::optional<std::uint64_t> parse_size(const std::string& text)
{
    static const std::map<std::string, std::uint64_t> kUnits = {
        {"", 1},        {"B", 1},         {"K", 1024},    {"KiB", 1024},
        {"M", 1 << 20}, {"MiB", 1 << 20}, {"G", 1 << 30}, {"GiB", 1 << 30},
    };
    std::size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
        ++digits;
    auto unit = kUnits.find(text.substr(digits));
    if (digits == 0 || digits > 12 || unit == kUnits.end()) return std::nullopt;
    return std::stoull(text.substr(0, digits)) * unit->second;
}

bool write_random_file(const std::filesystem::path& path, std::uint64_t size)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    std::vector<std::uint64_t> block(1 << 17);
    std::uint64_t state =
        0x9e3779b97f4a7c15ULL ^ static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    for (std::uint64_t left = size; left > 0 && out;) {
        for (auto& word : block) {  // splitmix64
            std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            word = z ^ (z >> 31);
        }
        std::uint64_t n = std::min<std::uint64_t>(left, block.size() * sizeof(std::uint64_t));
        out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(n));
        left -= n;
    }
    out.close();
    return static_cast<bool>(out);
}

}  // namespace chunkswarm

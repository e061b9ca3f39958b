// Helpers shared by the unit tests: a temporary directory and deterministic random bytes.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "chunkswarm/core/manifest.hpp"

namespace chunkswarm::test {

class TempDir {
public:
    TempDir()
    {
        std::string pattern = (std::filesystem::temp_directory_path() / "chunkswarm-test-XXXXXX").string();
        path_ = mkdtemp(pattern.data());
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir()
    {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// A manifest for six chunks of 1 KiB, the last one 10 bytes, with placeholder hashes.
inline Manifest small_manifest()
{
    Manifest m;
    m.file_name = "f.bin";
    m.chunk_size = 1024;
    m.chunk_count = 6;
    m.file_size = 5 * 1024 + 10;
    m.chunk_sha256.assign(6, Digest{});
    return m;
}

inline std::vector<std::uint8_t> random_bytes(std::size_t n, std::uint32_t seed = 42)
{
    std::mt19937 rng(seed);
    std::vector<std::uint8_t> out(n);
    for (auto& b : out)
        b = static_cast<std::uint8_t>(rng());
    return out;
}

inline void write_file(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes)
{
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

inline std::vector<std::uint8_t> read_file(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace chunkswarm::test

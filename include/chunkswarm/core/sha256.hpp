// SHA-256 through libcrypto's EVP interface, incremental so no caller needs a whole file in memory.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace chunkswarm {

using Digest = std::array<std::uint8_t, 32>;

class Sha256 {
public:
    Sha256();
    void update(std::span<const std::uint8_t> bytes);
    Digest finish();

private:
    struct CtxDeleter {
        void operator()(void* ctx) const;
    };
    std::unique_ptr<void, CtxDeleter> ctx_;
};

Digest sha256(std::span<const std::uint8_t> bytes);
std::string to_hex(const Digest& digest);
std::optional<Digest> digest_from_hex(std::string_view hex);

}  // namespace chunkswarm

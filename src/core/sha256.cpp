#include "chunkswarm/core/sha256.hpp"

#include <openssl/evp.h>

#include <stdexcept>
#include <vector>

namespace chunkswarm {

void Sha256::CtxDeleter::operator()(void* ctx) const { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx)); }

Sha256::Sha256() : ctx_(EVP_MD_CTX_new())
{
    // Only allocation failure can make these fail; there is nothing sensible to continue with.
    if (!ctx_ || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_.get()), EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("libcrypto could not initialise SHA-256");
    }
}

void Sha256::update(std::span<const std::uint8_t> bytes)
{
    EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_.get()), bytes.data(), bytes.size());
}

Digest Sha256::finish()
{
    Digest digest{};
    unsigned int length = 0;
    EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_.get()), digest.data(), &length);
    return digest;
}

Digest sha256(std::span<const std::uint8_t> bytes)
{
    Sha256 hasher;
    hasher.update(bytes);
    return hasher.finish();
}

std::string to_hex(const Digest& digest)
{
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(digest.size() * 2);
    for (std::uint8_t byte : digest) {
        out.push_back(kHex[byte >> 4]);
        out.push_back(kHex[byte & 0xF]);
    }
    return out;
}

std::optional<Digest> digest_from_hex(std::string_view hex)
{
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    Digest digest{};
    if (hex.size() != digest.size() * 2) {
        return std::nullopt;
    }
    for (std::size_t i = 0; i < digest.size(); ++i) {
        int hi = nibble(hex[2 * i]);
        int lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        digest[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return digest;
}

}  // namespace chunkswarm

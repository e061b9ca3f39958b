#include "chunkswarm/core/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <stdexcept>

namespace chunkswarm {

Nonce random_nonce()
{
    Nonce nonce{};
    if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
        throw std::runtime_error("libcrypto could not produce random bytes");
    }
    return nonce;
}

Digest auth_proof(std::string_view secret, std::string_view role, const Nonce& first, const Nonce& second,
                  PeerId peer_id)
{
    std::string message(role);
    message.append(reinterpret_cast<const char*>(first.data()), first.size());
    message.append(reinterpret_cast<const char*>(second.data()), second.size());
    message += to_string(peer_id);
    Digest proof{};
    unsigned int length = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), proof.data(), &length);
    return proof;
}

bool proofs_equal(const Digest& a, const Digest& b) { return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0; }

std::string nonce_to_hex(const Nonce& nonce)
{
    Digest as_digest{};
    static_assert(sizeof as_digest == sizeof nonce);
    std::copy(nonce.begin(), nonce.end(), as_digest.begin());
    return to_hex(as_digest);
}

std::optional<Nonce> nonce_from_hex(std::string_view hex)
{
    auto digest = digest_from_hex(hex);
    if (!digest) return std::nullopt;
    Nonce nonce{};
    std::copy(digest->begin(), digest->end(), nonce.begin());
    return nonce;
}

Result<std::string> resolve_secret(const std::string& from_config)
{
    const char* env = std::getenv(kSecretEnvVar);
    std::string secret = env && *env ? std::string(env) : from_config;
    if (!secret.empty() && secret.size() < kMinSecretLength) {
        return make_error(std::string("the swarm secret (") +
                          (env && *env ? kSecretEnvVar : "config field \"secret\"") + ") must be at least " +
                          std::to_string(kMinSecretLength) + " characters");
    }
    return secret;
}

std::optional<Nonce> ClientHandshake::start()
{
    awaiting_ = !secret_.empty();
    if (!awaiting_) return std::nullopt;
    nonce_ = random_nonce();
    return nonce_;
}

Result<Digest> ClientHandshake::answer(const std::optional<Nonce>& server_nonce, const Digest& server_proof,
                                       const std::string& server)
{
    if (!awaiting_ || !server_nonce) {
        return make_error(server + (awaiting_ ? " did not prove it knows the swarm secret"
                                              : " asked for a swarm secret this peer does not have"));
    }
    if (!proofs_equal(server_proof, auth_proof(secret_, "server", nonce_, *server_nonce, peer_id_))) {
        return make_error(server + " failed the swarm secret check (a different secret?)");
    }
    awaiting_ = false;
    return auth_proof(secret_, "client", *server_nonce, nonce_, peer_id_);
}

}  // namespace chunkswarm

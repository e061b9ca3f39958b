// The optional swarm secret: mutual challenge-response with HMAC-SHA256 over fresh nonces from
// both sides, so each side proves it knows the secret without sending it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "chunkswarm/core/ids.hpp"
#include "chunkswarm/core/result.hpp"
#include "chunkswarm/core/sha256.hpp"

namespace chunkswarm {

using Nonce = std::array<std::uint8_t, 32>;

// Environment variable that supplies the secret (a command line would show it to other users).
inline constexpr const char* kSecretEnvVar = "CHUNKSWARM_SECRET";
inline constexpr std::size_t kMinSecretLength = 16;

Nonce random_nonce();
// The proof one side sends: HMAC-SHA256(secret, role | own-side nonce | other nonce | peer id).
// `role` ("server" or "client") keeps one side's proof from being replayed as the other's.
Digest auth_proof(std::string_view secret, std::string_view role, const Nonce& first, const Nonce& second,
                  PeerId peer_id);
// Compares in constant time, so timing does not reveal how much of a forged proof was right.
bool proofs_equal(const Digest& a, const Digest& b);
std::string nonce_to_hex(const Nonce& nonce);
std::optional<Nonce> nonce_from_hex(std::string_view hex);
// A client's side of the handshake, one connection at a time: the nonce for its hello, then its
// answer to the server's proof.
class ClientHandshake {
public:
    ClientHandshake(std::string secret, PeerId peer_id) : secret_(std::move(secret)), peer_id_(peer_id) {}

    // A fresh nonce for a new connection's hello (none without a secret); the server's proof is
    // awaited from then on.
    std::optional<Nonce> start();
    bool awaiting_proof() const { return awaiting_; }
    // The server's auth: the client's own proof to send back, or why the server is not trusted
    // (`server` names it in the message).
    Result<Digest> answer(const std::optional<Nonce>& server_nonce, const Digest& server_proof,
                          const std::string& server);

private:
    std::string secret_;
    PeerId peer_id_;
    Nonce nonce_{};
    bool awaiting_ = false;
};

// The secret from the environment if set there, else from the config; empty means none.
Result<std::string> resolve_secret(const std::string& from_config);

}  // namespace chunkswarm

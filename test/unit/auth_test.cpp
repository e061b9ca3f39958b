#include <doctest/doctest.h>

#include <cstdlib>

#include "chunkswarm/core/auth.hpp"
#include "test_ids.hpp"

using namespace chunkswarm;

TEST_CASE("proofs depend on the secret, the role, both nonces and the peer id")
{
    Nonce a = random_nonce();
    Nonce b = random_nonce();
    CHECK(a != b);
    Digest base = auth_proof("a long enough secret", "server", a, b, 3_peer);
    CHECK(proofs_equal(base, auth_proof("a long enough secret", "server", a, b, 3_peer)));
    CHECK_FALSE(proofs_equal(base, auth_proof("another long secret!", "server", a, b, 3_peer)));
    CHECK_FALSE(proofs_equal(base, auth_proof("a long enough secret", "client", a, b, 3_peer)));
    CHECK_FALSE(proofs_equal(base, auth_proof("a long enough secret", "server", b, a, 3_peer)));
    CHECK_FALSE(proofs_equal(base, auth_proof("a long enough secret", "server", a, b, 4_peer)));
}

TEST_CASE("nonces survive their hex form; bad hex is refused")
{
    Nonce n = random_nonce();
    CHECK(nonce_from_hex(nonce_to_hex(n)) == n);
    CHECK_FALSE(nonce_from_hex("abc").has_value());
    CHECK_FALSE(nonce_from_hex(std::string(64, 'z')).has_value());
}

TEST_CASE("the secret comes from the environment before the config, and must not be short")
{
    unsetenv(kSecretEnvVar);
    CHECK(resolve_secret("").value().empty());
    CHECK(resolve_secret("from the config file").value() == "from the config file");
    CHECK(resolve_secret("short").error().message.find("at least 16") != std::string::npos);
    setenv(kSecretEnvVar, "from the environment", 1);
    CHECK(resolve_secret("from the config file").value() == "from the environment");
    setenv(kSecretEnvVar, "tiny", 1);
    CHECK(resolve_secret("").error().message.find(kSecretEnvVar) != std::string::npos);
    unsetenv(kSecretEnvVar);
}

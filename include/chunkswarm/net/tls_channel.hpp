// TLS 1.3 over memory BIOs: ciphertext in and out as bytes, so that a libuv stream (or a test)
// moves them and OpenSSL never touches a socket. A swarm with a secret derives an external PSK from
// it (nothing else to set up); a site with a PKI gives certificates, checked on both sides.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "chunkswarm/core/result.hpp"

using SSL_CTX = struct ssl_ctx_st;
using SSL = struct ssl_st;

namespace chunkswarm::net {

// What the TLS keys come from. With none set the swarm runs the plain protocol.
struct TlsKeys {
    std::string secret;  // the swarm secret: TLS 1.3 with a pre-shared key derived from it
    std::string cert;    // PEM certificate chain of this side
    std::string key;     // PEM private key of `cert`
    std::string ca;      // PEM CA certificates the other side's chain must lead to

    bool uses_certificates() const { return !cert.empty() || !key.empty() || !ca.empty(); }
    bool enabled() const { return !secret.empty() || uses_certificates(); }
};

// One per process and shared by its threads: OpenSSL allows that once the context is configured.
class TlsContext {
public:
    // An error names the file or setting at fault (a missing key, a key that does not match).
    static Result<std::shared_ptr<const TlsContext>> create(const TlsKeys& keys);
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    SSL_CTX* get() const { return ctx_; }
    // "a pre-shared key from the swarm secret" or "certificates"; for logs.
    const char* mode() const;
    bool uses_certificates() const { return certificates_; }
    const std::array<std::uint8_t, 32>& psk() const { return psk_; }

private:
    TlsContext() = default;
    SSL_CTX* ctx_ = nullptr;
    bool certificates_ = false;
    std::array<std::uint8_t, 32> psk_{};
};

enum class TlsSide { client, server };

class TlsChannel {
public:
    TlsChannel(std::shared_ptr<const TlsContext> context, TlsSide side);
    ~TlsChannel();
    TlsChannel(const TlsChannel&) = delete;
    TlsChannel& operator=(const TlsChannel&) = delete;

    // Ciphertext from the other side. Handshake records are answered (see take_output); after the
    // handshake, read_plain() yields the data. An error means the other side is not a member of
    // this swarm (another secret, no TLS, a forged record): the connection must end.
    Result<void> receive(std::span<const std::uint8_t> ciphertext);
    // Decrypted bytes into `out`: how many (0 when nothing more is ready). `closed` is set once
    // the other side ended TLS cleanly.
    Result<std::size_t> read_plain(std::span<std::uint8_t> out);
    // Data to encrypt; held until the handshake is done.
    Result<void> send(std::span<const std::uint8_t> plaintext);
    // Ciphertext to write to the network, in order; empty when there is none.
    std::vector<std::uint8_t> take_output();
    bool established() const { return established_; }
    // The other side is not of this swarm: the handshake failed, or the other side answered it
    // with an alert before any data (TLS 1.3 checks a client's certificate after the client's
    // handshake ends). A record altered later is a fault on the way, not a refusal.
    bool refused() const { return refused_; }
    bool closed() const { return closed_; }

private:
    Result<void> advance_handshake();
    Result<void> write_through(std::span<const std::uint8_t> plaintext);
    std::shared_ptr<const TlsContext> context_;
    SSL* ssl_ = nullptr;
    bool established_ = false;
    bool closed_ = false;
    bool received_data_ = false;
    bool refused_ = false;
    std::vector<std::uint8_t> held_;  // plaintext sent before the handshake ended
};

}  // namespace chunkswarm::net

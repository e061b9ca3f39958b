#include "chunkswarm/net/tls_channel.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>

#include <climits>
#include <cstring>

namespace chunkswarm::net {

namespace {

// Both sides name the key the same way: there is one key per swarm.
constexpr unsigned char kPskIdentity[] = "chunkswarm-psk-v1";
constexpr std::size_t kPskIdentityLength = sizeof kPskIdentity - 1;
// TLS_AES_128_GCM_SHA256: its hash is the one the PSK is bound to, and AES-NI makes it cheap.
constexpr unsigned char kPskCipher[] = {0x13, 0x01};

std::string openssl_errors()
{
    std::string text;
    while (unsigned long code = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        if (!text.empty()) text += "; ";
        text += buffer;
    }
    return text.empty() ? std::string("no detail from OpenSSL") : text;
}

const TlsContext* context_of(SSL* ssl)
{
    return static_cast<const TlsContext*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
}

SSL_SESSION* psk_session(SSL* ssl)
{
    const SSL_CIPHER* cipher = SSL_CIPHER_find(ssl, kPskCipher);
    SSL_SESSION* session = SSL_SESSION_new();
    if (cipher == nullptr || session == nullptr) {
        SSL_SESSION_free(session);
        return nullptr;
    }
    const auto& psk = context_of(ssl)->psk();
    if (SSL_SESSION_set1_master_key(session, psk.data(), psk.size()) != 1 ||
        SSL_SESSION_set_cipher(session, cipher) != 1 ||
        SSL_SESSION_set_protocol_version(session, TLS1_3_VERSION) != 1) {
        SSL_SESSION_free(session);
        return nullptr;
    }
    return session;
}

int use_psk(SSL* ssl, const EVP_MD* md, const unsigned char** id, std::size_t* id_length, SSL_SESSION** session)
{
    *session = nullptr;
    // After a HelloRetryRequest OpenSSL asks again with the hash agreed on; ours is SHA-256.
    if (md != nullptr && md != EVP_sha256()) return 1;
    *session = psk_session(ssl);
    *id = kPskIdentity;
    *id_length = kPskIdentityLength;
    return *session != nullptr ? 1 : 0;
}

int find_psk(SSL* ssl, const unsigned char* identity, std::size_t identity_length, SSL_SESSION** session)
{
    *session = nullptr;
    if (identity_length != kPskIdentityLength || std::memcmp(identity, kPskIdentity, identity_length) != 0) return 1;
    *session = psk_session(ssl);
    return *session != nullptr ? 1 : 0;
}

Result<void> load_certificates(SSL_CTX* ctx, const TlsKeys& keys)
{
    if (keys.cert.empty() || keys.key.empty() || keys.ca.empty()) {
        return make_error("TLS with certificates needs all three of cert, key and ca (set the missing ones)");
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, keys.cert.c_str()) != 1) {
        return make_error("cannot load the TLS certificate " + keys.cert + ": " + openssl_errors());
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, keys.key.c_str(), SSL_FILETYPE_PEM) != 1) {
        return make_error("cannot load the TLS private key " + keys.key + ": " + openssl_errors());
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        return make_error("the TLS private key " + keys.key + " does not belong to the certificate " + keys.cert);
    }
    if (SSL_CTX_load_verify_locations(ctx, keys.ca.c_str(), nullptr) != 1) {
        return make_error("cannot load the TLS CA certificates " + keys.ca + ": " + openssl_errors());
    }
    // Both sides show a certificate from the CA; any holder of one is a member of the swarm.
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    return {};
}

}  // namespace

Result<std::shared_ptr<const TlsContext>> TlsContext::create(const TlsKeys& keys)
{
    std::shared_ptr<TlsContext> context(new TlsContext());
    context->ctx_ = SSL_CTX_new(TLS_method());
    if (context->ctx_ == nullptr) return make_error("cannot set up TLS: " + openssl_errors());
    SSL_CTX* ctx = context->ctx_;
    SSL_CTX_set_app_data(ctx, context.get());
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    // Connections are not resumed, so no tickets; idle connections give their record buffers back.
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256") != 1) {
        return make_error("cannot set up TLS: " + openssl_errors());
    }
    if (keys.uses_certificates()) {
        context->certificates_ = true;
        if (auto loaded = load_certificates(ctx, keys); !loaded) return loaded.error();
        return std::shared_ptr<const TlsContext>(std::move(context));
    }
    if (keys.secret.empty()) return make_error("TLS needs the swarm secret or certificates");
    // The key is an HMAC of a fixed label under the secret: the secret itself is never a TLS key.
    unsigned int length = 0;
    static constexpr char kLabel[] = "chunkswarm tls 1.3 external psk v1";
    HMAC(EVP_sha256(), keys.secret.data(), static_cast<int>(keys.secret.size()),
         reinterpret_cast<const unsigned char*>(kLabel), sizeof kLabel - 1, context->psk_.data(), &length);
    SSL_CTX_set_psk_use_session_callback(ctx, use_psk);
    SSL_CTX_set_psk_find_session_callback(ctx, find_psk);
    return std::shared_ptr<const TlsContext>(std::move(context));
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

const char* TlsContext::mode() const
{
    return certificates_ ? "certificates" : "a pre-shared key from the swarm secret";
}

TlsChannel::TlsChannel(std::shared_ptr<const TlsContext> context, TlsSide side)
    : context_(std::move(context)),
      ssl_(SSL_new(context_->get()))
{
    // Memory BIOs: the ciphertext goes through our event loop, not through OpenSSL's own I/O.
    SSL_set_bio(ssl_, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
    if (side == TlsSide::client) {
        SSL_set_connect_state(ssl_);
        (void)advance_handshake();  // the ClientHello, ready in take_output()
    } else {
        SSL_set_accept_state(ssl_);
    }
}

TlsChannel::~TlsChannel() { SSL_free(ssl_); }

Result<void> TlsChannel::advance_handshake()
{
    ERR_clear_error();
    const int rc = SSL_do_handshake(ssl_);
    if (rc == 1) {
        established_ = true;
        std::vector<std::uint8_t> held = std::move(held_);
        held_.clear();
        return held.empty() ? Result<void>{} : write_through(held);
    }
    const int error = SSL_get_error(ssl_, rc);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return {};
    refused_ = true;
    return make_error("the TLS handshake failed: " + openssl_errors());
}

Result<void> TlsChannel::receive(std::span<const std::uint8_t> ciphertext)
{
    while (!ciphertext.empty()) {
        const int chunk = static_cast<int>(std::min<std::size_t>(ciphertext.size(), INT_MAX));
        const int written = BIO_write(SSL_get_rbio(ssl_), ciphertext.data(), chunk);
        if (written <= 0) return make_error("cannot buffer TLS input: " + openssl_errors());
        ciphertext = ciphertext.subspan(static_cast<std::size_t>(written));
    }
    if (!established_) return advance_handshake();
    return {};
}

Result<std::size_t> TlsChannel::read_plain(std::span<std::uint8_t> out)
{
    if (!established_ || closed_ || out.empty()) return std::size_t{0};
    ERR_clear_error();
    std::size_t read = 0;
    const int rc = SSL_read_ex(ssl_, out.data(), out.size(), &read);
    if (rc == 1) {
        received_data_ = true;
        return read;
    }
    switch (SSL_get_error(ssl_, rc)) {
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE: return std::size_t{0};
        case SSL_ERROR_ZERO_RETURN: closed_ = true; return std::size_t{0};
        default:
            // TLS 1.3 ends a client's handshake before the server has checked the client's
            // certificate: a refusal then comes as an alert in place of the first data.
            if (ERR_GET_REASON(ERR_peek_error()) >= SSL_AD_REASON_OFFSET) {
                refused_ = !received_data_;
                return make_error("the other side ended TLS with an alert: " + openssl_errors());
            }
            return make_error("a TLS record failed its check (the stream was altered): " + openssl_errors());
    }
}

Result<void> TlsChannel::send(std::span<const std::uint8_t> plaintext)
{
    if (plaintext.empty()) return {};
    if (!established_) {
        held_.insert(held_.end(), plaintext.begin(), plaintext.end());
        return {};
    }
    return write_through(plaintext);
}

Result<void> TlsChannel::write_through(std::span<const std::uint8_t> plaintext)
{
    ERR_clear_error();
    std::size_t written = 0;
    // A memory BIO takes everything: one call encrypts the whole span.
    if (SSL_write_ex(ssl_, plaintext.data(), plaintext.size(), &written) != 1 || written != plaintext.size()) {
        return make_error("cannot encrypt for TLS: " + openssl_errors());
    }
    return {};
}

std::vector<std::uint8_t> TlsChannel::take_output()
{
    BIO* out = SSL_get_wbio(ssl_);
    const std::size_t pending = BIO_ctrl_pending(out);
    std::vector<std::uint8_t> bytes(pending);
    if (pending > 0) {
        const int read = BIO_read(out, bytes.data(), static_cast<int>(std::min<std::size_t>(pending, INT_MAX)));
        bytes.resize(read > 0 ? static_cast<std::size_t>(read) : 0);
    }
    return bytes;
}

}  // namespace chunkswarm::net

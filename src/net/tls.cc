#include "net/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <chrono>

namespace ratmemcache::net {
namespace {

int64_t SteadySeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The first error of OpenSSL's queue, as memcached reports it (the queue is emptied).
std::string OpenSslErrors() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof(buffer));
  return buffer;
}

Status Failed(std::string_view what, const std::string& path) {
  return Status::InvalidArgument(std::string(what) + ": " + path + " : " + OpenSslErrors());
}

int VerifyFlags(int mode) {
  switch (mode) {
    case 1: return SSL_VERIFY_PEER;
    case 2: return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    case 3: return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT | SSL_VERIFY_CLIENT_ONCE;
    default: return SSL_VERIFY_NONE;
  }
}

int MinVersion(int level) {
  switch (level) {
    case 0: return TLS1_VERSION;
    case 1: return TLS1_1_VERSION;
    case 3: return TLS1_3_VERSION;
    default: return TLS1_2_VERSION;
  }
}

// Counts sessions created for the server-side cache (memcached's ssl_new_sessions).
int OnNewSession(SSL* ssl, SSL_SESSION*) {
  auto* counter = static_cast<std::atomic<uint64_t>*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  if (counter != nullptr) counter->fetch_add(1, std::memory_order_relaxed);
  return 0;  // no reference kept
}

}  // namespace

Result<SSL_CTX*> TlsContext::Build(const TlsOptions& options) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return Status::IoError("cannot create a TLS context: " + OpenSslErrors());
  auto fail = [ctx](Status status) -> Result<SSL_CTX*> {
    SSL_CTX_free(ctx);
    return status;
  };
  SSL_CTX_set_min_proto_version(ctx, MinVersion(options.min_version));
  // Memory buffers never refuse a write, so SSL_write takes whole requests (no partial
  // writes needed).
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_use_certificate_chain_file(ctx, options.chain_cert.c_str()) != 1) {
    return fail(Failed("Error loading the certificate chain", options.chain_cert));
  }
  const int key_type = options.key_format == 2 ? SSL_FILETYPE_ASN1 : SSL_FILETYPE_PEM;
  if (SSL_CTX_use_PrivateKey_file(ctx, options.key.c_str(), key_type) != 1) {
    return fail(Failed("Error loading the key", options.key));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return fail(Failed("Error validating the certificate", options.chain_cert));
  }
  if (!options.ca_cert.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, options.ca_cert.c_str(), nullptr) != 1) {
      return fail(Failed("Error loading the CA certificate", options.ca_cert));
    }
    SSL_CTX_set_client_CA_list(ctx, SSL_load_client_CA_file(options.ca_cert.c_str()));
  }
  SSL_CTX_set_verify(ctx, VerifyFlags(options.verify_mode), nullptr);
  if (!options.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, options.ciphers.c_str()) != 1) {
    return fail(Failed("Error setting the cipher list", options.ciphers));
  }
  // Always set: with client certificates, resuming a session needs it, and clients may
  // hold TLS 1.3 tickets.
  static constexpr unsigned char kSessionContext[] = "rat_memcached";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof(kSessionContext) - 1);
  if (options.session_cache) {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_new_cb(ctx, OnNewSession);
  } else {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);  // no resumption at all without the cache
  }
  return ctx;
}

Result<std::shared_ptr<TlsContext>> TlsContext::Create(const TlsOptions& options) {
  Result<SSL_CTX*> ctx = Build(options);
  if (!ctx.ok()) return ctx.status();
  std::shared_ptr<TlsContext> context(new TlsContext(options));
  context->ctx_ = *ctx;
  SSL_CTX_set_app_data(context->ctx_, &context->new_sessions_);
  context->refreshed_at_ = SteadySeconds();
  return context;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

Status TlsContext::Reload() {
  Result<SSL_CTX*> ctx = Build(options_);
  if (!ctx.ok()) return ctx.status();
  SSL_CTX_set_app_data(*ctx, &new_sessions_);
  std::lock_guard lock(mu_);
  SSL_CTX_free(ctx_);  // connections' SSL objects hold their own references
  ctx_ = *ctx;
  refreshed_at_ = SteadySeconds();
  return Status::Ok();
}

SSL* TlsContext::NewSsl() {
  std::lock_guard lock(mu_);
  return SSL_new(ctx_);
}

TlsStats TlsContext::Stats() const {
  TlsStats stats;
  stats.handshake_errors = handshake_errors_.load(std::memory_order_relaxed);
  stats.new_sessions = new_sessions_.load(std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  stats.seconds_since_refresh = SteadySeconds() - refreshed_at_;
  return stats;
}

TlsChannel::TlsChannel(TlsContext* context) : context_(context) {
  ssl_ = context->NewSsl();
  if (ssl_ == nullptr) {
    failed_ = true;
    return;
  }
  network_in_ = BIO_new(BIO_s_mem());
  network_out_ = BIO_new(BIO_s_mem());
  if (network_in_ == nullptr || network_out_ == nullptr) {
    BIO_free(network_in_);
    BIO_free(network_out_);
    network_in_ = network_out_ = nullptr;
    failed_ = true;
    return;
  }
  BIO_set_mem_eof_return(network_in_, -1);  // no input yet: "retry", not end of stream
  SSL_set_bio(ssl_, network_in_, network_out_);
  SSL_set_accept_state(ssl_);
}

TlsChannel::~TlsChannel() { SSL_free(ssl_); }  // frees the BIOs too

bool TlsChannel::Check(int result) {
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return true;
    case SSL_ERROR_ZERO_RETURN:
      peer_closed_ = true;
      return true;
    default:
      if (!handshake_done_) context_->CountHandshakeError();
      ERR_clear_error();
      failed_ = true;
      return false;
  }
}

bool TlsChannel::Feed(const char* data, size_t n) {
  if (failed_) return false;
  if (BIO_write(network_in_, data, static_cast<int>(n)) != static_cast<int>(n)) {
    failed_ = true;
    return false;
  }
  if (!handshake_done_) {
    ERR_clear_error();
    const int result = SSL_do_handshake(ssl_);
    if (result == 1) {
      handshake_done_ = true;
    } else if (!Check(result)) {
      return false;
    }
  }
  return true;
}

size_t TlsChannel::ReadPlain(char* out, size_t room) {
  if (failed_ || peer_closed_ || !handshake_done_ || room == 0) return 0;
  ERR_clear_error();
  size_t got = 0;
  const int result = SSL_read_ex(ssl_, out, room, &got);
  if (result == 1) return got;
  Check(result);
  return 0;
}

size_t TlsChannel::WritePlain(const char* data, size_t n) {
  if (failed_ || n == 0) return 0;
  ERR_clear_error();
  size_t written = 0;
  const int result = SSL_write_ex(ssl_, data, n, &written);
  if (result == 1) return written;
  Check(result);
  return 0;
}

void TlsChannel::Shutdown() {
  if (failed_ || ssl_ == nullptr || !handshake_done_) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

std::string_view TlsChannel::PendingCiphertext() {
  if (network_out_ != nullptr) {
    while (const size_t pending = BIO_ctrl_pending(network_out_)) {
      if (out_begin_ == out_.size()) {
        out_.clear();
        out_begin_ = 0;
      }
      const size_t old_size = out_.size();
      out_.resize(old_size + pending);
      const int got = BIO_read(network_out_, out_.data() + old_size, static_cast<int>(pending));
      out_.resize(old_size + (got > 0 ? static_cast<size_t>(got) : 0));
      if (got <= 0) break;
    }
  }
  return std::string_view(out_.data() + out_begin_, out_.size() - out_begin_);
}

void TlsChannel::ConsumeCiphertext(size_t n) {
  out_begin_ += n;
  if (out_begin_ >= out_.size()) {
    out_begin_ = 0;
    out_.clear();
    if (out_.capacity() > (256u << 10)) std::vector<char>().swap(out_);
  }
}

bool TlsChannel::HasCiphertext() {
  return out_begin_ != out_.size() || (network_out_ != nullptr && BIO_ctrl_pending(network_out_) != 0);
}

}  // namespace ratmemcache::net

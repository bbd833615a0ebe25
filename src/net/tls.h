#pragma once

// TLS for client connections (memcached's -Z), on OpenSSL.
//
// TlsContext holds the server's certificate, key and verification settings (an SSL_CTX)
// and can reload them from their files while connections are open ("refresh_certs"):
// connections accepted after a reload use the new certificate, open ones keep theirs.
//
// TlsChannel is one connection's TLS session over memory buffers: the connection reads
// ciphertext from its socket as it reads plain bytes, feeds it in, takes plaintext out,
// and sends the ciphertext the channel produces. The socket and its readiness waits stay
// exactly as for plain TCP, so TLS adds no code path when it is off.
//
// Thread-safety: TlsContext is safe from any thread; a TlsChannel belongs to the worker
// thread of its connection.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "ratmemcache/status.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct bio_st BIO;

namespace ratmemcache::net {

// memcached's ssl_* settings.
struct TlsOptions {
  std::string chain_cert;    // PEM certificate chain file
  std::string key;           // private key file
  int key_format = 1;        // 1 PEM, 2 ASN.1 (DER)
  std::string ca_cert;       // CAs for client certificates ("" = none)
  int verify_mode = 0;       // 0 none, 1 request, 2 require, 3 require once
  int min_version = 2;       // 0 TLSv1.0, 1 TLSv1.1, 2 TLSv1.2, 3 TLSv1.3
  std::string ciphers;       // OpenSSL cipher list ("" = default)
  bool session_cache = false;
};

// Counters for "stats" (memcached's names).
struct TlsStats {
  uint64_t handshake_errors = 0;  // ssl_handshake_errors
  uint64_t new_sessions = 0;      // ssl_new_sessions (with the session cache)
  int64_t seconds_since_refresh = 0;  // time_since_server_cert_refresh
};

class TlsContext {
 public:
  // Loads the certificate chain, key and CA file. Returns: InvalidArgument with
  // memcached's wording ("Error loading the certificate chain: FILE : reason").
  static Result<std::shared_ptr<TlsContext>> Create(const TlsOptions& options);
  ~TlsContext();

  // Reads the files again; on success new connections use them, on failure the current
  // ones stay and the message says why (memcached's refresh_certs).
  Status Reload();
  // A new server-side SSL for one connection (null if OpenSSL fails to make one).
  SSL* NewSsl();
  TlsStats Stats() const;
  void CountHandshakeError() { handshake_errors_.fetch_add(1, std::memory_order_relaxed); }
  const TlsOptions& options() const { return options_; }

 private:
  explicit TlsContext(const TlsOptions& options) : options_(options) {}
  static Result<SSL_CTX*> Build(const TlsOptions& options);

  const TlsOptions options_;
  mutable std::mutex mu_;
  SSL_CTX* ctx_ = nullptr;  // guarded by mu_; each SSL holds its own reference
  int64_t refreshed_at_ = 0;  // steady seconds, guarded by mu_
  std::atomic<uint64_t> handshake_errors_{0};
  std::atomic<uint64_t> new_sessions_{0};
};

class TlsChannel;
// Owns a TlsChannel; usable where the build has no TLS (no channel is ever made there).
struct TlsChannelDeleter {
  void operator()(TlsChannel* channel) const;
};
using TlsChannelPtr = std::unique_ptr<TlsChannel, TlsChannelDeleter>;

class TlsChannel {
 public:
  // `context` must outlive the channel.
  explicit TlsChannel(TlsContext* context);
  ~TlsChannel();
  TlsChannel(const TlsChannel&) = delete;
  TlsChannel& operator=(const TlsChannel&) = delete;

  // Ciphertext received from the peer. Returns false when the session has failed
  // (handshake error, bad record, plain text on a TLS port): close the connection.
  bool Feed(const char* data, size_t n);
  // Plaintext received: up to `room` bytes into `out`; 0 when none is ready. Sets
  // failed() on a fatal error.
  size_t ReadPlain(char* out, size_t room);
  // Encrypts up to `n` bytes of `data` for the peer; returns how many it took (0 before
  // the handshake is done, or once failed()).
  size_t WritePlain(const char* data, size_t n);
  // Ciphertext waiting to be sent (handshake messages, records, alerts).
  std::string_view PendingCiphertext();
  void ConsumeCiphertext(size_t n);
  bool HasCiphertext();
  bool failed() const { return failed_; }
  // The peer closed the TLS session (close_notify).
  bool closed_by_peer() const { return peer_closed_; }
  // Ends the session from our side: a close_notify goes to PendingCiphertext().
  void Shutdown();

 private:
  bool Check(int result);  // maps an SSL_* result; false on a fatal error

  TlsContext* context_;
  SSL* ssl_ = nullptr;
  BIO* network_in_ = nullptr;   // owned by ssl_
  BIO* network_out_ = nullptr;  // owned by ssl_
  std::vector<char> out_;       // ciphertext read from network_out_, not yet sent
  size_t out_begin_ = 0;
  bool handshake_done_ = false;
  bool failed_ = false;
  bool peer_closed_ = false;
};

}  // namespace ratmemcache::net

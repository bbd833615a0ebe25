#pragma once

// ServerContext: what every session of the server shares: the cache, the settings the
// server runs with, per-thread counters, and hooks into the process (network counters,
// shutdown). Built once by the application before the first connection.
//
// Thread-safety: all methods may be called from any thread.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/network_stats.h"
#include "common/task_pool.h"
#include "ratmemcache/cache.h"
#include "server/auth_file.h"
#include "server/prefix_stats.h"
#include "server/server_stats.h"

namespace ratmemcache::server {

// Which protocol the sessions speak (memcached's -B; see config::BindingProtocol).
enum class Protocol : uint8_t { kNegotiate, kAscii, kBinary };

// The server settings that replies depend on (stats settings, shutdown, limits).
struct ServerSettings {
  std::string listen;            // as given with -l, "" = NULL
  uint16_t port = 11211;
  uint32_t max_connections = 1024;
  uint32_t threads = 4;
  uint32_t verbosity = 0;
  bool enable_shutdown = false;  // -A
  bool flush_enabled = true;     // false: -F, flush_all is refused
  bool dump_enabled = true;      // false: -X, stats cachedump is refused
  // -Y: connections must authenticate first (memcached's ASCII auth); null = off. Not
  // owned; must outlive the context.
  const AuthFile* auth_file = nullptr;
  // -S: binary connections must authenticate with SASL PLAIN against this password
  // file; null = off. Not owned; must outlive the context.
  AuthFile* sasl_pwdb = nullptr;
  Protocol protocol = Protocol::kNegotiate;  // -B
  uint32_t tcp_backlog = 1024;
  // Threads that finish gets needing L2 off the event loop; 0 = as many as worker threads.
  uint32_t l2_read_threads = 0;
  // Where reads that need an L2 file run: "adaptive" (on the worker while such reads
  // are fast, as from the page cache; on the blocking-read threads once they are slow),
  // "offload" (always on those threads) or "inline" (always on the worker).
  std::string l2_read_mode = "adaptive";
  // -o idle_timeout (seconds, 0 = off), for "stats settings" and idle_kicks.
  uint32_t idle_timeout = 0;
  // TLS as configured, for "stats settings" (memcached's ssl_* lines).
  bool ssl_enabled = false;
  std::string ssl_chain_cert;
  std::string ssl_key;
  uint32_t ssl_verify_mode = 0;
  uint32_t ssl_keyformat = 1;
  std::string ssl_ciphers;
  std::string ssl_ca_cert;
  bool ssl_session_cache = false;
  uint32_t ssl_min_version = 2;
};

// What "shutdown" asks of the process.
enum class ShutdownMode { kImmediate, kGraceful };

class ServerContext {
 public:
  // `cache` must outlive the context.
  ServerContext(Cache* cache, const ServerSettings& settings);

  Cache& cache() { return *cache_; }
  const ServerSettings& settings() const { return settings_; }

  // The counters of worker `index`. REQUIRES: index < settings().threads.
  ThreadStats& thread_stats(unsigned index) { return *thread_stats_[index]; }
  // "stats detail": per-prefix counters, shared by every connection.
  PrefixStats& prefix_stats() { return prefix_stats_; }
  // Counters summed over threads since the last ResetStats().
  CommandStats Stats();
  // "stats reset": later Stats() and CacheStatsSinceReset() count from now.
  void ResetStats();
  // The cache's counters, with the cumulative ones counted since the last ResetStats().
  CacheStats CacheStatsSinceReset();

  // memcached's verbosity level (0..2), changed by the verbosity command.
  uint32_t verbosity() const { return verbosity_.load(std::memory_order_relaxed); }
  // Also lowers the log level: at 2 every command line is logged at debug level.
  void set_verbosity(uint32_t level);

  // Seconds since the server started, counted like memcached (2 right after start).
  uint64_t uptime() const;

  // Network counters, from the hook the application installs.
  NetworkStats network_stats() const { return network_stats_ ? network_stats_() : NetworkStats{}; }
  void set_network_stats(std::function<NetworkStats()> provider) {
    network_stats_ = std::move(provider);
  }
  // Every socket of the server ("stats conns"), from the hook the application installs.
  std::vector<ConnectionInfo> connections() const {
    return connections_ ? connections_() : std::vector<ConnectionInfo>{};
  }
  void set_connections(std::function<std::vector<ConnectionInfo>()> provider) {
    connections_ = std::move(provider);
  }
  // Threads for lookups that may block on the persistent tier; null when the cache has
  // none (every lookup is then served from RAM on the worker's event loop).
  TaskPool* blocking_reads() { return blocking_reads_.get(); }
  // True when a lookup that needs an L2 file should go to blocking_reads() rather than
  // run on the worker (see ServerSettings::l2_read_mode).
  bool OffloadL2Reads() const {
    if (!blocking_reads_) return false;  // also "inline"
    return always_offload_ || l2_read_ns_.load(std::memory_order_relaxed) > kSlowL2ReadNs;
  }
  // Reports how long a lookup that needed an L2 file took (feeds OffloadL2Reads()).
  void RecordL2Read(std::chrono::nanoseconds took) {
    // A moving average over about eight reads; racing updates only lose a sample.
    const uint64_t sample = static_cast<uint64_t>(took.count());
    const uint64_t average = l2_read_ns_.load(std::memory_order_relaxed);
    l2_read_ns_.store(average - average / 8 + sample / 8, std::memory_order_relaxed);
  }
  // An L2 file read slower than this on average leaves the event loop.
  static constexpr uint64_t kSlowL2ReadNs = 100'000;

  // Finishes the lookups in flight and stops those threads; call after the network has
  // stopped and before it is destroyed (their completions are posted to its threads).
  void StopBlockingReads() {
    if (blocking_reads_) blocking_reads_->Stop();
  }

  // The budget of chunked uploads (set_begin .. set_end) in progress on all connections:
  // their values are held in memory until set_end. TryReserveUpload() takes `bytes` of
  // it, or returns false when that would exceed upload_budget(); ReleaseUpload() gives
  // them back.
  bool TryReserveUpload(uint64_t bytes);
  void ReleaseUpload(uint64_t bytes) { upload_bytes_.fetch_sub(bytes, std::memory_order_relaxed); }
  uint64_t upload_bytes() const { return upload_bytes_.load(std::memory_order_relaxed); }
  // 1 GiB, or twice the item size limit when that is larger.
  uint64_t upload_budget() const { return upload_budget_; }

  // Asks the process to stop; installed by the application.
  void RequestShutdown(ShutdownMode mode) const {
    if (shutdown_) shutdown_(mode);
  }
  void set_shutdown_handler(std::function<void(ShutdownMode)> handler) {
    shutdown_ = std::move(handler);
  }

  // Reloads the TLS certificate and key ("refresh_certs"); installed by the application
  // when TLS is on. Returns: the failure in memcached's words.
  Status RefreshCerts() const {
    if (!refresh_certs_) return Status::InvalidArgument("Error TLS not enabled");
    return refresh_certs_();
  }
  void set_refresh_certs_handler(std::function<Status()> handler) {
    refresh_certs_ = std::move(handler);
  }

 private:
  Cache* cache_;
  ServerSettings settings_;
  std::vector<std::unique_ptr<ThreadStats>> thread_stats_;
  std::mutex baseline_mu_;
  CommandStats baseline_;        // guarded by baseline_mu_
  CacheStats cache_baseline_;    // guarded by baseline_mu_
  std::atomic<uint32_t> verbosity_;
  std::chrono::steady_clock::time_point started_;
  PrefixStats prefix_stats_;
  std::function<NetworkStats()> network_stats_;
  std::function<std::vector<ConnectionInfo>()> connections_;
  std::function<void(ShutdownMode)> shutdown_;
  std::function<Status()> refresh_certs_;
  std::unique_ptr<TaskPool> blocking_reads_;
  std::atomic<uint64_t> l2_read_ns_{0};  // smoothed duration of L2 file reads
  bool always_offload_ = false;          // l2_read_mode "offload" (read per request)
  std::atomic<uint64_t> upload_bytes_{0};
  uint64_t upload_budget_ = 0;
};

}  // namespace ratmemcache::server

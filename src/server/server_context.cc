#include "server/server_context.h"

#include <algorithm>

#include "common/logging.h"

namespace ratmemcache::server {

ServerContext::ServerContext(Cache* cache, const ServerSettings& settings)
    : cache_(cache),
      settings_(settings),
      verbosity_(settings.verbosity > 2 ? 2 : settings.verbosity),
      started_(std::chrono::steady_clock::now()) {
  thread_stats_.reserve(settings.threads);
  for (uint32_t i = 0; i < settings.threads; ++i) {
    thread_stats_.push_back(std::make_unique<ThreadStats>());
  }
  upload_budget_ = std::max<uint64_t>(1ull << 30, 2 * cache->options().max_item_size);
  always_offload_ = settings.l2_read_mode == "offload";
  if (cache->options().l2.enable_l2_cache && settings.l2_read_mode != "inline") {
    const uint32_t threads = settings.l2_read_threads != 0 ? settings.l2_read_threads : settings.threads;
    blocking_reads_ = std::make_unique<TaskPool>(threads, "rmc-l2-read");
  }
}

bool ServerContext::TryReserveUpload(uint64_t bytes) {
  uint64_t used = upload_bytes_.load(std::memory_order_relaxed);
  do {
    if (bytes > upload_budget_ - used) return false;
  } while (!upload_bytes_.compare_exchange_weak(used, used + bytes, std::memory_order_relaxed));
  return true;
}

void ServerContext::set_verbosity(uint32_t level) {
  verbosity_.store(level, std::memory_order_relaxed);
  SetLogVerbosity(static_cast<int>(level));
}

CommandStats ServerContext::Stats() {
  CommandStats total;
  for (const auto& stats : thread_stats_) total.Add(*stats);
  std::lock_guard lock(baseline_mu_);
  return total.Since(baseline_);
}

void ServerContext::ResetStats() {
  prefix_stats_.Clear();  // as memcached's stats_reset()
  CommandStats total;
  for (const auto& stats : thread_stats_) total.Add(*stats);
  CacheStats cache = cache_->Stats();
  std::lock_guard lock(baseline_mu_);
  baseline_ = total;
  cache_baseline_ = cache;
}

CacheStats ServerContext::CacheStatsSinceReset() {
  CacheStats stats = cache_->Stats();
  std::lock_guard lock(baseline_mu_);
  const CacheStats& base = cache_baseline_;
  stats.total_items -= base.total_items;
  stats.evictions -= base.evictions;
  stats.evicted_unfetched -= base.evicted_unfetched;
  stats.expired_unfetched -= base.expired_unfetched;
  stats.reclaimed -= base.reclaimed;
  stats.get_hits -= base.get_hits;
  stats.get_misses -= base.get_misses;
  stats.get_expired -= base.get_expired;
  stats.get_flushed -= base.get_flushed;
  stats.l2_hits -= base.l2_hits;
  stats.l2_gets -= base.l2_gets;
  stats.l2_writes -= base.l2_writes;
  stats.l2_promotions -= base.l2_promotions;
  stats.l2_demotions -= base.l2_demotions;
  return stats;
}

uint64_t ServerContext::uptime() const {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::steady_clock::now() - started_)
                                   .count()) +
         2;
}

}  // namespace ratmemcache::server

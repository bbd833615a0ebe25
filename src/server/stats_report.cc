#include "server/stats_report.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <string>

#include "common/process_info.h"
#include "server/version.h"

namespace ratmemcache::server {
namespace {

class StatWriter {
 public:
  explicit StatWriter(StatsSink& out) : out_(out) {}
  void Line(std::string_view name, std::string_view value) { out_.Stat(name, value); }
  void Number(std::string_view name, uint64_t value) { Line(name, std::to_string(value)); }
  void End() { out_.End(); }

 private:
  StatsSink& out_;
};

// The persistent tier's figures, in "stats" and "stats tiers".
void WriteL2Figures(const CacheStats& cache, StatWriter& w) {
  w.Number("l2_items", cache.l2_items);
  w.Number("l2_bytes", cache.l2_bytes);
  w.Number("l2_get_hits", cache.l2_hits);
  w.Number("l2_get_misses", cache.l2_gets - cache.l2_hits);
  w.Number("l2_writes", cache.l2_writes);
  w.Number("l2_promotions", cache.l2_promotions);
  w.Number("l2_demotions", cache.l2_demotions);
  w.Number("l2_write_behind_items", cache.l2_write_behind_items);
  w.Number("l2_write_behind_bytes", cache.l2_write_behind_bytes);
  w.Number("l2_evicted_for_size", cache.l2_evicted_for_size);
  w.Number("l2_direct_stores", cache.l2_direct_stores);
  w.Number("l2_errors", cache.l2_errors);
  w.Number("l2_write_failing", cache.l2_write_failing);
  w.Number("l2_write_dropped", cache.l2_write_dropped);
}

std::string Rusage(int64_t seconds, int64_t micros) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%" PRId64 ".%06" PRId64, seconds, micros);
  return buf;
}

}  // namespace

void TextStatsSink::Stat(std::string_view name, std::string_view value) {
  std::string line = "STAT ";
  line += name;
  line += ' ';
  line += value;
  line += "\r\n";
  out_.Append(line);
}

void WriteGeneralStats(ServerContext& context, StatsSink& out) {
  const CommandStats cmd = context.Stats();
  const CacheStats cache = context.CacheStatsSinceReset();
  const NetworkStats net = context.network_stats();
  const CpuTimes cpu = ProcessCpuTimes();
  StatWriter w(out);
  w.Number("pid", ProcessId());
  w.Number("uptime", context.uptime());
  w.Number("time", static_cast<uint64_t>(UnixTimeNow()));
  w.Line("version", kCompatibleVersion);
  w.Line("rmc_version", RMC_VERSION);
  w.Number("pointer_size", sizeof(void*) * 8);
  w.Line("rusage_user", Rusage(cpu.user_seconds, cpu.user_microseconds));
  w.Line("rusage_system", Rusage(cpu.system_seconds, cpu.system_microseconds));
  w.Number("max_connections", context.settings().max_connections);
  // memcached counts its listening sockets among the connections, less one.
  w.Number("curr_connections", net.curr_connections + net.listeners - (net.listeners ? 1 : 0));
  w.Number("total_connections", net.total_connections + net.listeners);
  w.Number("rejected_connections", net.rejected_connections);
  if (context.settings().idle_timeout != 0) w.Number("idle_kicks", net.idle_kicks);
  if (net.tls_enabled) {
    if (context.settings().ssl_session_cache) w.Number("ssl_new_sessions", net.ssl_new_sessions);
    w.Number("ssl_handshake_errors", net.ssl_handshake_errors);
    w.Number("time_since_server_cert_refresh",
             static_cast<uint64_t>(std::max<int64_t>(0, net.time_since_server_cert_refresh)));
  }
  w.Number("connection_structures", net.connection_structures + net.listeners);
  w.Number("cmd_get", cmd.cmd_get);
  w.Number("cmd_set", cmd.cmd_set);
  w.Number("cmd_flush", cmd.cmd_flush);
  w.Number("cmd_touch", cmd.cmd_touch);
  w.Number("cmd_meta", cmd.cmd_meta);
  w.Number("get_hits", cmd.get_hits);
  w.Number("get_misses", cmd.get_misses);
  w.Number("get_expired", cache.get_expired);
  w.Number("get_flushed", cache.get_flushed);
  w.Number("delete_misses", cmd.delete_misses);
  w.Number("delete_hits", cmd.delete_hits);
  w.Number("incr_misses", cmd.incr_misses);
  w.Number("incr_hits", cmd.incr_hits);
  w.Number("decr_misses", cmd.decr_misses);
  w.Number("decr_hits", cmd.decr_hits);
  w.Number("cas_misses", cmd.cas_misses);
  w.Number("cas_hits", cmd.cas_hits);
  w.Number("cas_badval", cmd.cas_badval);
  w.Number("touch_hits", cmd.touch_hits);
  w.Number("touch_misses", cmd.touch_misses);
  w.Number("store_too_large", cmd.store_too_large);
  w.Number("store_no_memory", cmd.store_no_memory);
  w.Number("auth_cmds", cmd.auth_cmds);
  w.Number("auth_errors", cmd.auth_errors);
  w.Number("bytes_read", net.bytes_read);
  w.Number("bytes_written", net.bytes_written);
  w.Number("limit_maxbytes", cache.limit_maxbytes);
  w.Number("accepting_conns", 1);
  // Listening is never paused (connections over -c are accepted and refused instead).
  w.Number("listen_disabled_num", 0);
  w.Number("time_in_listen_disabled_us", 0);
  w.Number("threads", context.settings().threads);
  w.Number("hash_bytes", cache.hash_bytes);
  w.Number("lock_stripes", cache.lock_stripes);
  w.Number("bytes", cache.bytes);
  w.Number("curr_items", cache.curr_items);
  w.Number("total_items", cache.total_items);
  w.Number("expired_unfetched", cache.expired_unfetched);
  w.Number("evicted_unfetched", cache.evicted_unfetched);
  w.Number("evictions", cache.evictions);
  w.Number("reclaimed", cache.reclaimed);
  if (cache.l2_enabled) {
    WriteL2Figures(cache, w);
    // The same figures under the names of memcached's extstore, where it has one.
    w.Number("get_extstore", cache.l2_gets);
    w.Number("miss_from_extstore", cache.l2_gets - cache.l2_hits);
    w.Number("recache_from_extstore", cache.l2_promotions);
    w.Number("extstore_objects_read", cache.l2_hits);
    w.Number("extstore_objects_written", cache.l2_writes);
    w.Number("extstore_objects_used", cache.l2_items);
    w.Number("extstore_bytes_used", cache.l2_bytes);
    w.Number("extstore_limit_maxbytes", context.cache().options().l2.max_disk_size);
  }
  if (context.cache().options().compression.enable_lz4) {
    w.Number("compressed_stores", cache.compressed_stores);
    w.Number("compression_saved_bytes", cache.compression_saved_bytes);
  }
  // Ours: bytes held by chunked uploads (set_begin .. set_end) in progress.
  w.Number("stream_upload_bytes", context.upload_bytes());
  w.End();
}

void WriteConnsStats(ServerContext& context, StatsSink& out) {
  StatWriter w(out);
  for (const ConnectionInfo& c : context.connections()) {
    const std::string prefix = std::to_string(c.fd) + ":";
    w.Line(prefix + "addr", c.addr);
    if (!c.listen_addr.empty()) w.Line(prefix + "listen_addr", c.listen_addr);
    w.Line(prefix + "state", c.state);
    w.Number(prefix + "secs_since_last_cmd", c.secs_since_last_cmd);
  }
  w.End();
}

void WriteSettingsStats(ServerContext& context, StatsSink& out) {
  const ServerSettings& s = context.settings();
  const CacheOptions& options = context.cache().options();
  StatWriter w(out);
  w.Number("maxbytes", context.cache().Stats().limit_maxbytes);
  w.Number("maxconns", s.max_connections);
  w.Number("tcpport", s.port);
  w.Number("udpport", 0);
  w.Line("inter", s.listen.empty() ? "NULL" : s.listen);
  w.Number("verbosity", context.verbosity());
  w.Line("evictions", "on");
  w.Line("domain_socket", "NULL");
  w.Line("shutdown_command", s.enable_shutdown ? "yes" : "no");
  w.Number("num_threads", s.threads);
  w.Line("stat_key_prefix", ":");
  w.Line("detail_enabled", "no");
  w.Line("cas_enabled", "yes");
  w.Number("tcp_backlog", s.tcp_backlog);
  w.Line("binding_protocol", s.protocol == Protocol::kAscii    ? "ascii"
                             : s.protocol == Protocol::kBinary ? "binary"
                                                               : "auto-negotiate");
  w.Line("auth_enabled_sasl", s.sasl_pwdb != nullptr ? "yes" : "no");
  w.Line("auth_enabled_ascii", s.auth_file != nullptr ? s.auth_file->path() : "no");
  w.Number("item_size_max", options.max_item_size);
  w.Line("maxconns_fast", "yes");
  w.Line("flush_enabled", s.flush_enabled ? "yes" : "no");
  w.Line("dump_enabled", s.dump_enabled ? "yes" : "no");
  w.Line("hash_algorithm", "xxh3");
  w.Number("idle_timeout", s.idle_timeout);
  // As memcached prints them, unset paths included.
  static constexpr const char* kTlsVersions[] = {"tlsv1.0", "tlsv1.1", "tlsv1.2", "tlsv1.3"};
  w.Line("ssl_enabled", s.ssl_enabled ? "yes" : "no");
  w.Line("ssl_chain_cert", s.ssl_chain_cert.empty() ? "(null)" : s.ssl_chain_cert);
  w.Line("ssl_key", s.ssl_key.empty() ? "(null)" : s.ssl_key);
  static constexpr uint32_t kVerifyFlags[] = {0, 1, 3, 7};  // OpenSSL's SSL_VERIFY_* bits
  w.Number("ssl_verify_mode", kVerifyFlags[std::min<uint32_t>(s.ssl_verify_mode, 3)]);
  w.Number("ssl_keyformat", s.ssl_keyformat);
  w.Line("ssl_ciphers", s.ssl_ciphers.empty() ? "NULL" : s.ssl_ciphers);
  w.Line("ssl_ca_cert", s.ssl_ca_cert.empty() ? "NULL" : s.ssl_ca_cert);
  w.Number("ssl_wbuf_size", 16384);
  w.Line("ssl_session_cache", s.ssl_session_cache ? "yes" : "no");
  w.Line("ssl_kernel_tls", "no");
  w.Line("ssl_min_version", kTlsVersions[std::min<uint32_t>(s.ssl_min_version, 3)]);
  w.Line("eviction_strategy", EvictionStrategyName(options.l1.eviction_strategy));
  w.Number("max_entries", options.l1.max_entries);
  w.Number("default_ttl", options.ttl.default_ttl);
  w.Number("max_ttl", options.ttl.max_ttl);
  w.Number("cleanup_interval", options.ttl.cleanup_interval);
  w.Line("l2_enabled", options.l2.enable_l2_cache ? "yes" : "no");
  if (options.l2.enable_l2_cache) {
    w.Line("l2_data_dir", options.l2.data_dir);
    w.Number("l2_max_disk_size", options.l2.max_disk_size);
    w.Line("l2_compression", options.l2.enable_compression ? options.l2.compression : "none");
    w.Line("l2_sync_writes", options.l2.sync_writes ? "yes" : "no");
    w.Number("l2_blob_min_size", options.l2.blob_min_size);
    w.Line("l2_mmap_reads", options.l2.mmap_reads ? "yes" : "no");
  }
  w.End();
}

void WriteItemsStats(ServerContext& context, StatsSink& out) {
  StatWriter w(out);
  for (const Cache::SlabClassStats& c : context.cache().SlabClasses()) {
    const std::string prefix = "items:" + std::to_string(c.id) + ":";
    w.Number(prefix + "number", c.items);
    w.Number(prefix + "mem_requested", c.requested);
    w.Number(prefix + "evicted", c.evicted);
    w.Number(prefix + "evicted_nonzero", c.evicted_nonzero);
    w.Number(prefix + "reclaimed", c.reclaimed);
    w.Number(prefix + "expired_unfetched", c.expired_unfetched);
    w.Number(prefix + "evicted_unfetched", c.evicted_unfetched);
  }
  w.End();
}

void WriteSlabsStats(ServerContext& context, StatsSink& out) {
  StatWriter w(out);
  const std::vector<Cache::SlabClassStats> classes = context.cache().SlabClasses();
  for (const Cache::SlabClassStats& c : classes) {
    const std::string prefix = std::to_string(c.id) + ":";
    w.Number(prefix + "chunk_size", c.chunk_size);
    w.Number(prefix + "total_chunks", c.items);
    w.Number(prefix + "used_chunks", c.items);
    w.Number(prefix + "free_chunks", 0);
  }
  w.Number("active_slabs", classes.size());
  w.Number("total_malloced", context.cache().Stats().bytes);
  w.End();
}

void WriteTiersStats(ServerContext& context, StatsSink& out) {
  const CacheStats cache = context.CacheStatsSinceReset();
  const CacheOptions& options = context.cache().options();
  StatWriter w(out);
  w.Number("l1_items", cache.curr_items);
  w.Number("l1_bytes", cache.bytes);
  w.Number("l1_limit_maxbytes", cache.limit_maxbytes);
  w.Number("l1_policy_bytes", cache.policy_bytes);
  w.Number("l1_get_hits", cache.get_hits);
  w.Number("l1_get_misses", cache.get_misses);
  w.Number("l1_evictions", cache.evictions);
  w.Line("l2_enabled", cache.l2_enabled ? "yes" : "no");
  if (cache.l2_enabled) {
    w.Number("l2_limit_maxbytes", options.l2.max_disk_size);
    WriteL2Figures(cache, w);
  }
  w.End();
}

}  // namespace ratmemcache::server

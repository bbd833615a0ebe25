// ConfigToToml: the effective configuration as a TOML document (--print-config), written
// with toml++ so that strings are escaped as the reader expects them.

#include <sstream>

#include "config/server_config.h"

#include <toml++/toml.h>

namespace ratmemcache::config {
namespace {

std::string BindText(const std::vector<Endpoint>& endpoints) {
  std::string text;
  for (const Endpoint& endpoint : endpoints) {
    if (!text.empty()) text += ",";
    const bool v6 = endpoint.host.find(':') != std::string::npos;
    text += v6 ? "[" + endpoint.host + "]" : endpoint.host;
    text += ":" + std::to_string(endpoint.port);
  }
  return text;
}

std::string_view ProtocolName(BindingProtocol protocol) {
  switch (protocol) {
    case BindingProtocol::kAscii: return "ascii";
    case BindingProtocol::kBinary: return "binary";
    case BindingProtocol::kAuto: break;
  }
  return "auto";
}

int64_t Int(uint64_t value) { return static_cast<int64_t>(value); }

}  // namespace

std::string ConfigToToml(const ServerConfig& config) {
  const CacheOptions& cache = config.cache;
  toml::table server{
      {"bind", BindText(config.listen)},
      {"max_connections", Int(config.max_connections)},
      {"max_item_size", Int(cache.max_item_size)},
      {"enable_shutdown", config.enable_shutdown},
      {"verbosity", Int(config.verbosity)},
      {"pid_file", config.pid_file},
      {"user", config.user},
      {"daemon", config.daemonize},
      {"backlog", config.backlog},
      {"auth_file", config.auth_file},
      {"enable_sasl", config.sasl},
      {"sasl_pwdb", config.sasl_pwdb},
      {"protocol", std::string(ProtocolName(config.protocol))},
      {"flush_enabled", config.flush_enabled},
      {"dump_enabled", config.dump_enabled},
      {"metrics_port", Int(config.metrics_port)},
      {"idle_timeout", Int(config.idle_timeout)},
  };
  const TlsSettings& tls = config.tls;
  toml::table tls_table{
      {"enabled", tls.enabled},
      {"chain_cert", tls.chain_cert},
      {"key", tls.key},
      {"key_format", Int(tls.key_format)},
      {"ca_cert", tls.ca_cert},
      {"verify_mode", Int(tls.verify_mode)},
      {"min_version", Int(tls.min_version)},
      {"ciphers", tls.ciphers},
      {"session_cache", tls.session_cache},
  };
  toml::table l1{
      {"max_memory", Int(cache.l1.max_memory)},
      {"max_entries", Int(cache.l1.max_entries)},
      {"eviction_strategy", std::string(EvictionStrategyName(cache.l1.eviction_strategy))},
  };
  const L2Options& l2 = cache.l2;
  toml::table l2_table{
      {"enable_l2_cache", l2.enable_l2_cache},
      {"data_dir", l2.data_dir},
      {"clear_on_startup", l2.clear_on_startup},
      {"max_disk_size", Int(l2.max_disk_size)},
      {"write_buffer_size", Int(l2.write_buffer_size)},
      {"max_write_buffer_number", Int(l2.max_write_buffer_number)},
      {"block_cache_size", Int(l2.block_cache_size)},
      {"enable_compression", l2.enable_compression},
      {"compression", l2.compression},
      {"compression_level", l2.compression_level},
      {"background_threads", Int(l2.background_threads)},
      {"blob_min_size", Int(l2.blob_min_size)},
      {"mmap_reads", l2.mmap_reads},
      {"sync_writes", l2.sync_writes},
      {"write_behind_interval_ms", Int(l2.write_behind_interval_ms)},
  };
  toml::table ttl{
      {"default_ttl", Int(cache.ttl.default_ttl)},
      {"max_ttl", Int(cache.ttl.max_ttl)},
      {"cleanup_interval", Int(cache.ttl.cleanup_interval)},
  };
  toml::table performance{
      {"worker_threads", Int(cache.performance.worker_threads)},
      {"l2_read_mode", config.l2_read_mode},
      {"l2_read_threads", Int(config.l2_read_threads)},
      {"large_value_threshold", Int(cache.performance.large_value_threshold)},
      {"l2_promotion", cache.performance.l2_promotion == L2Promotion::kAlways ? "always" : "second_read"},
      {"lock_stripes", Int(cache.performance.lock_stripes)},
  };
  toml::table compression{
      {"enable_lz4", cache.compression.enable_lz4},
      {"compression_threshold", Int(cache.compression.compression_threshold)},
      {"compression_level", cache.compression.compression_level},
  };
  const LoggingOptions& logging = cache.logging;
  toml::table logging_table{
      {"enable_logging", logging.enable_logging},
      {"level", logging.level},
      {"enable_colors", logging.enable_colors},
      {"show_timestamp", logging.show_timestamp},
      {"enable_async", logging.enable_async},
      {"buffer_size", Int(logging.buffer_size)},
      {"batch_interval_ms", Int(logging.batch_interval_ms)},
      {"file", logging.file},
  };
  toml::table root{
      {"server", std::move(server)},       {"l1", std::move(l1)},
      {"l2", std::move(l2_table)},         {"ttl", std::move(ttl)},
      {"performance", std::move(performance)}, {"compression", std::move(compression)},
      {"logging", std::move(logging_table)}, {"tls", std::move(tls_table)},
  };
  std::ostringstream out;
  out << "# rat_memcached effective configuration (--print-config)";
  if (!config.preset.empty()) out << "; from preset \"" << config.preset << "\", then the file and flags";
  out << "\n\n" << root << "\n";
  return out.str();
}

}  // namespace ratmemcache::config

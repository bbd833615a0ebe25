// memcached's -o extended options -> ServerConfig.

#include <algorithm>
#include <array>
#include <charconv>

#include "config/server_config.h"

namespace ratmemcache::config {
namespace {

// memcached's tuning suboptions for its slab allocator, LRU maintainer, hash table and
// logger. This server has no counterpart (its RAM tier sizes items exactly and evicts by
// policy), so they are accepted, to keep memcached command lines working, and noted.
constexpr std::array<std::string_view, 38> kTuningWithoutEffect = {
    "maxconns_fast",     "no_maxconns_fast",     "modern",
    "no_modern",         "hashpower",            "no_hashexpand",
    "slab_reassign",     "no_slab_reassign",     "slab_automove",
    "no_slab_automove",  "slab_automove_ratio",  "slab_automove_window",
    "slab_automove_freeratio", "tail_repair_time", "hash_algorithm",
    "lru_crawler",       "no_lru_crawler",       "lru_crawler_sleep",
    "lru_crawler_tocrawl", "lru_maintainer",     "no_lru_maintainer",
    "hot_lru_pct",       "warm_lru_pct",         "hot_max_factor",
    "warm_max_factor",   "temporary_ttl",        "watcher_logbuf_size",
    "worker_logbuf_size", "slab_sizes",          "slab_chunk_max",
    "no_chunked_items",  "inline_ascii_resp",    "no_inline_ascii_resp",
    "drop_privileges",   "no_drop_privileges",   "resp_obj_mem_limit",
    "read_buf_mem_limit", "track_sizes",
};

// TLS tuning of memcached's own buffers and kernel offload: no counterpart here.
constexpr std::array<std::string_view, 2> kTlsTuningWithoutEffect = {"ssl_wbuf_size", "ssl_kernel_tls"};

Status Illegal(std::string_view item) {
  return Status::InvalidArgument("-o: Illegal suboption \"" + std::string(item) + "\"");
}

Result<uint32_t> Number(std::string_view name, std::string_view value, uint32_t min, uint32_t max) {
  uint32_t n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() || n < min || n > max) {
    return Status::InvalidArgument("-o " + std::string(name) + ": '" + std::string(value) +
                                   "' is not a number from " + std::to_string(min) + " to " +
                                   std::to_string(max));
  }
  return n;
}

// Applies one "name[=value]" item.
Status ApplyItem(std::string_view item, ServerConfig* config) {
  const size_t eq = item.find('=');
  const std::string_view name = item.substr(0, eq);
  const bool has_value = eq != std::string_view::npos;
  const std::string_view value = has_value ? item.substr(eq + 1) : std::string_view();
  TlsSettings& tls = config->tls;

  auto needs_value = [&]() -> Status {
    if (!has_value || value.empty()) {
      return Status::InvalidArgument("-o " + std::string(name) + ": needs a value (" +
                                     std::string(name) + "=...)");
    }
    return Status::Ok();
  };
  auto number = [&](uint32_t min, uint32_t max, uint32_t* out) -> Status {
    Result<uint32_t> n = Number(name, value, min, max);
    if (!n.ok()) return n.status();
    *out = *n;
    return Status::Ok();
  };
  auto text = [&](std::string* out) -> Status {
    Status present = needs_value();
    if (present.ok()) *out = std::string(value);
    return present;
  };

  if (name == "idle_timeout") return number(0, 365u * 24 * 3600, &config->idle_timeout);
  if (name == "ssl_chain_cert") return text(&tls.chain_cert);
  if (name == "ssl_key") return text(&tls.key);
  if (name == "ssl_ca_cert") return text(&tls.ca_cert);
  if (name == "ssl_ciphers") return text(&tls.ciphers);
  if (name == "ssl_verify_mode") return number(0, 3, &tls.verify_mode);
  if (name == "ssl_keyformat") return number(1, 2, &tls.key_format);
  if (name == "ssl_min_version") return number(0, 3, &tls.min_version);
  if (name == "ssl_session_cache") {
    tls.session_cache = true;
    return Status::Ok();
  }
  if (name.substr(0, 4) == "ext_") {
    return Status::InvalidArgument(
        "-o " + std::string(name) +
        ": extstore is not part of this server; its persistent tier takes that role "
        "(--data-dir DIR, --l2-size SIZE; see docs/tiers.md)");
  }
  if (name.substr(0, 6) == "proxy_") return Illegal(item);
  const bool tuning =
      std::find(kTuningWithoutEffect.begin(), kTuningWithoutEffect.end(), name) != kTuningWithoutEffect.end() ||
      std::find(kTlsTuningWithoutEffect.begin(), kTlsTuningWithoutEffect.end(), name) !=
          kTlsTuningWithoutEffect.end();
  if (tuning) {
    config->ignored_options.push_back(std::string(item));
    return Status::Ok();
  }
  return Illegal(item);
}

}  // namespace

Status ApplyExtendedOptions(std::string_view text, ServerConfig* config) {
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (item.empty()) continue;
    Status applied = ApplyItem(item, config);
    if (!applied.ok()) return applied;
  }
  return Status::Ok();
}

}  // namespace ratmemcache::config

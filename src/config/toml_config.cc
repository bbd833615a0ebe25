// TOML configuration: the seed's sections ([l1], [ttl], [performance], [logging]) plus
// [server] for what memcached sets with flags. Unknown sections and keys are errors, so a
// typo never passes silently.

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/logging.h"
#include "config/presets.h"
#include "config/server_config.h"

#include <toml++/toml.h>

namespace ratmemcache::config {
namespace {

// What the pre-pass found wrong (line 0: nothing).
struct TextProblem {
  size_t line = 0;
  const char* what = "";
};

bool IsControl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\t' && c != '\n' && c != '\r') || u == 0x7f;
}

// True for `key = "value"` (or 'value'), a bare dotted key and one one-line string,
// optionally followed by a comment: the only place non-ASCII text is accepted.
bool IsSimpleStringLine(std::string_view line) {
  size_t i = 0;
  auto skip_blanks = [&] {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
  };
  skip_blanks();
  const size_t key_start = i;
  while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_' ||
                             line[i] == '-' || line[i] == '.')) {
    ++i;
  }
  if (i == key_start) return false;
  skip_blanks();
  if (i >= line.size() || line[i] != '=') return false;
  ++i;
  skip_blanks();
  if (i >= line.size() || (line[i] != '"' && line[i] != '\'')) return false;
  const char quote = line[i++];
  if (line.substr(i, 2) == std::string(2, quote)) return false;  // multi-line or empty+junk
  while (i < line.size() && line[i] != quote) {
    if (IsControl(line[i])) return false;
    i += (quote == '"' && line[i] == '\\') ? 2 : 1;
  }
  if (i >= line.size()) return false;
  ++i;
  skip_blanks();
  return i == line.size() || line[i] == '#';
}

// Checks the bytes of a TOML document before toml++ sees them: no control characters
// but tab and line ends, and non-ASCII text only in comments and in one-line
// `key = "value"` strings (file paths, say). The toml++ of Debian 12 (3.3.0) reaches
// __builtin_unreachable() (undefined behaviour, found by fuzzing) when it meets some
// non-ASCII characters outside strings, also while it reads a malformed line, so
// non-ASCII text is let through only where the line is plainly well formed.
TextProblem CheckTomlText(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // a UTF-8 BOM, as toml++ allows
  size_t line_number = 0;
  bool in_multiline = false;  // inside a """ or ''' string spanning lines
  std::string_view delimiter;
  while (!text.empty()) {
    ++line_number;
    const size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    bool non_ascii = false;
    size_t code_end = line.size();  // where a comment starts, if outside strings
    // Find comments outside strings and follow multi-line strings across lines.
    for (size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (IsControl(c)) return {line_number, "a control character"};
      if (static_cast<unsigned char>(c) >= 0x80) non_ascii = true;
      if (in_multiline) {
        if (c == '\\' && delimiter[0] == '"') {
          ++i;
        } else if (line.substr(i, 3) == delimiter) {
          in_multiline = false;
          i += 2;
        }
        continue;
      }
      if (c == '#') {
        code_end = i;
        break;
      }
      if (c == '"' || c == '\'') {
        const std::string triple(3, c);
        if (line.substr(i, 3) == triple) {
          in_multiline = true;
          delimiter = c == '"' ? "\"\"\"" : "\'\'\'";
          i += 2;
          continue;
        }
        for (++i; i < line.size() && line[i] != c; ++i) {
          if (IsControl(line[i])) return {line_number, "a control character"};
          if (static_cast<unsigned char>(line[i]) >= 0x80) non_ascii = true;
          if (c == '"' && line[i] == '\\') ++i;
        }
        if (i >= line.size()) return {line_number, "a string that does not end"};
      }
    }
    if (!non_ascii) continue;
    bool code_non_ascii = false;
    for (size_t i = 0; i < code_end; ++i) code_non_ascii |= static_cast<unsigned char>(line[i]) >= 0x80;
    if (code_non_ascii && (in_multiline || !IsSimpleStringLine(line))) {
      return {line_number, "non-ASCII text outside a comment or a one-line key = \"string\""};
    }
  }
  if (in_multiline) return {line_number, "a string that does not end"};
  return {};
}

// Keys of the seed's configuration that RatMemCache does not implement yet; naming them
// gets a specific error instead of "unknown key".
struct Pending {
  std::string_view section;
  std::string_view key;  // "" = the whole section
  std::string_view why;
};
constexpr Pending kNotYet[] = {
    {"performance", "enable_warmup", "not implemented: L2 items are read back on demand"},
    {"l2", "cache_warmup_strategy", "not implemented: L2 items are read back on demand"},
    {"l2", "compression_threshold", "RocksDB compresses whole blocks; there is no threshold"},
    {"l2", "compression_max_threshold", "RocksDB compresses whole blocks; there is no threshold"},
    {"l2", "zstd_compression_level", "use compression = \"zstd\" and compression_level"},
    {"l2", "l2_write_strategy", "every change reaches L2 through the write-behind queue"},
    {"l2", "l2_write_threshold", "every change reaches L2 through the write-behind queue"},
    {"l2", "l2_write_ttl_threshold", "every change reaches L2 through the write-behind queue"},
    {"logging", "batch_size", "spdlog writes whole lines; use buffer_size and batch_interval_ms"},
    {"logging", "enable_performance_logs", "not implemented yet"},
    {"logging", "enable_audit_logs", "not implemented yet"},
    {"logging", "enable_cache_logs", "not implemented yet"},
};

class Reader {
 public:
  Reader(std::string_view origin, ServerConfig* config) : origin_(origin), config_(config) {}

  Status Apply(const toml::table& root) {
    // A preset is the base the rest of the document changes, wherever the key stands.
    if (const toml::node* preset = root.get("preset")) {
      const auto name = preset->value<std::string>();
      if (!preset->is_string() || !name) return FailTop("preset", "must be a string");
      if (config_->preset_from_command_line) {
        if (*name != config_->preset) {
          return FailTop("preset", "\"" + *name + "\" conflicts with --preset " + config_->preset);
        }
      } else {
        Status applied = ApplyPreset(*name, config_);
        if (!applied.ok()) return FailTop("preset", applied.message());
      }
    }
    for (const auto& [section_key, section_node] : root) {
      const std::string section(section_key.str());
      if (section == "preset") continue;
      if (const Pending* pending = FindPending(section, "")) {
        return Fail(section, "", pending->why);
      }
      const toml::table* table = section_node.as_table();
      if (table == nullptr) return Fail(section, "", "must be a section ([" + section + "])");
      for (const auto& [key_name, node] : *table) {
        const std::string key(key_name.str());
        Status status = ApplyKey(section, key, node);
        if (!status.ok()) return status;
      }
    }
    return Status::Ok();
  }

 private:
  static const Pending* FindPending(std::string_view section, std::string_view key) {
    for (const Pending& pending : kNotYet) {
      if (pending.section == section && pending.key == key) return &pending;
    }
    return nullptr;
  }

  Status Fail(std::string_view section, std::string_view key, std::string_view problem) const {
    std::string where = origin_.empty() ? "config" : std::string(origin_);
    where += ": [" + std::string(section) + "]";
    if (!key.empty()) where += " " + std::string(key);
    return Status::InvalidArgument(where + ": " + std::string(problem));
  }

  Status FailTop(std::string_view key, std::string_view problem) const {
    const std::string where = origin_.empty() ? "config" : std::string(origin_);
    return Status::InvalidArgument(where + ": " + std::string(key) + ": " + std::string(problem));
  }

  Status Uint(const toml::node& node, std::string_view section, std::string_view key,
              uint64_t min, uint64_t max, uint64_t* out) const {
    const auto value = node.value<int64_t>();
    if (!node.is_integer() || !value) return Fail(section, key, "must be an integer");
    if (*value < 0 || static_cast<uint64_t>(*value) < min || static_cast<uint64_t>(*value) > max) {
      return Fail(section, key, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                                    ", got " + std::to_string(*value));
    }
    *out = static_cast<uint64_t>(*value);
    return Status::Ok();
  }

  template <typename T>
  Status UintAs(const toml::node& node, std::string_view section, std::string_view key,
                uint64_t min, uint64_t max, T* out) const {
    uint64_t wide = 0;
    Status status = Uint(node, section, key, min, max, &wide);
    if (status.ok()) *out = static_cast<T>(wide);
    return status;
  }

  // A size in bytes: an integer, or a string such as "64m".
  Status Size(const toml::node& node, std::string_view section, std::string_view key,
              uint64_t* out) const {
    if (node.is_integer()) return Uint(node, section, key, 0, UINT64_MAX >> 1, out);
    if (const auto text = node.value<std::string>()) {
      if (auto size = ParseByteSize(*text)) {
        *out = *size;
        return Status::Ok();
      }
    }
    return Fail(section, key, "must be a number of bytes or a size such as \"64m\"");
  }

  Status Bool(const toml::node& node, std::string_view section, std::string_view key,
              bool* out) const {
    const auto value = node.value<bool>();
    if (!node.is_boolean() || !value) return Fail(section, key, "must be true or false");
    *out = *value;
    return Status::Ok();
  }

  Status String(const toml::node& node, std::string_view section, std::string_view key,
                std::string* out) const {
    const auto value = node.value<std::string>();
    if (!node.is_string() || !value) return Fail(section, key, "must be a string");
    *out = *value;
    return Status::Ok();
  }

  Status ApplyKey(const std::string& section, const std::string& key, const toml::node& node) {
    if (const Pending* pending = FindPending(section, key)) return Fail(section, key, pending->why);
    CacheOptions& cache = config_->cache;
    if (section == "l1") {
      if (key == "max_memory") return Size(node, section, key, &cache.l1.max_memory);
      if (key == "max_entries") return Uint(node, section, key, 0, UINT64_MAX >> 1, &cache.l1.max_entries);
      if (key == "eviction_strategy") {
        std::string name;
        Status status = String(node, section, key, &name);
        if (!status.ok()) return status;
        auto strategy = ParseEvictionStrategy(name);
        if (!strategy) {
          return Fail(section, key, "unknown strategy '" + name + "' (valid: " +
                                        std::string(EvictionStrategyNames()) + ")");
        }
        cache.l1.eviction_strategy = *strategy;
        return Status::Ok();
      }
    } else if (section == "l2") {
      L2Options& l2 = cache.l2;
      if (key == "enable_l2_cache") return Bool(node, section, key, &l2.enable_l2_cache);
      if (key == "data_dir") return String(node, section, key, &l2.data_dir);
      if (key == "clear_on_startup") return Bool(node, section, key, &l2.clear_on_startup);
      if (key == "max_disk_size") return Size(node, section, key, &l2.max_disk_size);
      if (key == "write_buffer_size") return Size(node, section, key, &l2.write_buffer_size);
      if (key == "max_write_buffer_number") {
        return UintAs(node, section, key, 2, 64, &l2.max_write_buffer_number);
      }
      if (key == "block_cache_size") return Size(node, section, key, &l2.block_cache_size);
      if (key == "enable_compression") return Bool(node, section, key, &l2.enable_compression);
      if (key == "compression") return String(node, section, key, &l2.compression);
      if (key == "compression_level") return UintAs(node, section, key, 0, 19, &l2.compression_level);
      if (key == "background_threads") return UintAs(node, section, key, 1, 64, &l2.background_threads);
      if (key == "blob_min_size") return Size(node, section, key, &l2.blob_min_size);
      if (key == "mmap_reads") return Bool(node, section, key, &l2.mmap_reads);
      if (key == "sync_writes") return Bool(node, section, key, &l2.sync_writes);
      if (key == "write_behind_interval_ms") {
        return UintAs(node, section, key, 1, 60000, &l2.write_behind_interval_ms);
      }
    } else if (section == "ttl") {
      if (key == "default_ttl") return UintAs(node, section, key, 0, UINT32_MAX, &cache.ttl.default_ttl);
      if (key == "max_ttl") return UintAs(node, section, key, 0, UINT32_MAX, &cache.ttl.max_ttl);
      if (key == "cleanup_interval") {
        return UintAs(node, section, key, 0, 86400, &cache.ttl.cleanup_interval);
      }
    } else if (section == "performance") {
      if (key == "worker_threads") {
        return UintAs(node, section, key, 1, 1024, &cache.performance.worker_threads);
      }
      if (key == "l2_read_mode") {
        Status status = String(node, section, key, &config_->l2_read_mode);
        if (status.ok() && config_->l2_read_mode != "adaptive" && config_->l2_read_mode != "offload" &&
            config_->l2_read_mode != "inline") {
          return Fail(section, key, "unknown mode '" + config_->l2_read_mode +
                                        "' (valid: adaptive, offload, inline)");
        }
        return status;
      }
      if (key == "l2_read_threads") {
        return UintAs(node, section, key, 0, 256, &config_->l2_read_threads);
      }
      if (key == "large_value_threshold") {
        return Size(node, section, key, &cache.performance.large_value_threshold);
      }
      if (key == "l2_promotion") {
        std::string mode;
        Status status = String(node, section, key, &mode);
        if (!status.ok()) return status;
        if (mode == "second_read") {
          cache.performance.l2_promotion = L2Promotion::kSecondRead;
        } else if (mode == "always") {
          cache.performance.l2_promotion = L2Promotion::kAlways;
        } else {
          return Fail(section, key, "unknown mode '" + mode + "' (valid: second_read, always)");
        }
        return Status::Ok();
      }
      if (key == "lock_stripes") {
        return UintAs(node, section, key, 0, 65536, &cache.performance.lock_stripes);
      }
      if (key == "enable_concurrency") {
        // false: one worker thread, as the seed's single-threaded mode.
        bool enabled = true;
        Status status = Bool(node, section, key, &enabled);
        if (status.ok() && !enabled) cache.performance.worker_threads = 1;
        return status;
      }
    } else if (section == "compression") {
      CompressionOptions& compression = cache.compression;
      if (key == "enable_lz4") return Bool(node, section, key, &compression.enable_lz4);
      if (key == "compression_threshold") {
        return UintAs(node, section, key, 16, UINT32_MAX, &compression.compression_threshold);
      }
      if (key == "compression_level") {
        return UintAs(node, section, key, 0, 12, &compression.compression_level);
      }
    } else if (section == "logging") {
      LoggingOptions& logging = cache.logging;
      if (key == "level") {
        Status status = String(node, section, key, &logging.level);
        if (status.ok() && !IsValidLogLevel(logging.level)) {
          return Fail(section, key, "unknown level '" + logging.level +
                                        "' (valid: trace, debug, info, warn, error, off)");
        }
        return status;
      }
      if (key == "enable_logging") return Bool(node, section, key, &logging.enable_logging);
      if (key == "enable_colors") return Bool(node, section, key, &logging.enable_colors);
      if (key == "show_timestamp") return Bool(node, section, key, &logging.show_timestamp);
      if (key == "enable_async") return Bool(node, section, key, &logging.enable_async);
      if (key == "buffer_size") return UintAs(node, section, key, 64, 1 << 24, &logging.buffer_size);
      if (key == "batch_interval_ms") {
        return UintAs(node, section, key, 1, 3600000, &logging.batch_interval_ms);
      }
      if (key == "file") return String(node, section, key, &logging.file);
    } else if (section == "server") {
      if (key == "bind") {
        std::string text;
        Status status = String(node, section, key, &text);
        if (!status.ok()) return status;
        auto endpoints = ParseEndpoints(text, 11211);
        if (!endpoints.ok()) return Fail(section, key, endpoints.status().message());
        config_->listen = std::move(endpoints).value();
        config_->listen_text = text;
        return Status::Ok();
      }
      if (key == "max_connections") {
        return UintAs(node, section, key, 1, 1000000, &config_->max_connections);
      }
      if (key == "max_item_size") {
        config_->max_item_size_given = true;
        return Size(node, section, key, &cache.max_item_size);
      }
      if (key == "enable_shutdown") return Bool(node, section, key, &config_->enable_shutdown);
      if (key == "verbosity") return UintAs(node, section, key, 0, 3, &config_->verbosity);
      if (key == "pid_file") return String(node, section, key, &config_->pid_file);
      if (key == "user") return String(node, section, key, &config_->user);
      if (key == "daemon") return Bool(node, section, key, &config_->daemonize);
      if (key == "backlog") return UintAs(node, section, key, 1, 65535, &config_->backlog);
      if (key == "auth_file") return String(node, section, key, &config_->auth_file);
      if (key == "enable_sasl") return Bool(node, section, key, &config_->sasl);
      if (key == "sasl_pwdb") return String(node, section, key, &config_->sasl_pwdb);
      if (key == "flush_enabled") return Bool(node, section, key, &config_->flush_enabled);
      if (key == "metrics_port") return UintAs(node, section, key, 0, 65535, &config_->metrics_port);
      if (key == "dump_enabled") return Bool(node, section, key, &config_->dump_enabled);
      if (key == "idle_timeout") {
        return UintAs(node, section, key, 0, 365u * 24 * 3600, &config_->idle_timeout);
      }
      if (key == "protocol") {
        std::string name;
        Status status = String(node, section, key, &name);
        if (!status.ok()) return status;
        if (name == "auto") config_->protocol = BindingProtocol::kAuto;
        else if (name == "ascii") config_->protocol = BindingProtocol::kAscii;
        else if (name == "binary") config_->protocol = BindingProtocol::kBinary;
        else return Fail(section, key, "unknown protocol '" + name + "' (valid: auto, ascii, binary)");
        return Status::Ok();
      }
    } else if (section == "tls") {
      TlsSettings& tls = config_->tls;
      if (key == "enabled") return Bool(node, section, key, &tls.enabled);
      if (key == "chain_cert") return String(node, section, key, &tls.chain_cert);
      if (key == "key") return String(node, section, key, &tls.key);
      if (key == "key_format") return UintAs(node, section, key, 1, 2, &tls.key_format);
      if (key == "ca_cert") return String(node, section, key, &tls.ca_cert);
      if (key == "verify_mode") return UintAs(node, section, key, 0, 3, &tls.verify_mode);
      if (key == "min_version") return UintAs(node, section, key, 0, 3, &tls.min_version);
      if (key == "ciphers") return String(node, section, key, &tls.ciphers);
      if (key == "session_cache") return Bool(node, section, key, &tls.session_cache);
    } else {
      return Fail(section, "",
                  "unknown section (valid: server, l1, l2, ttl, performance, compression, logging, tls)");
    }
    return Fail(section, key, "unknown key");
  }

  std::string_view origin_;
  ServerConfig* config_;
};

}  // namespace

Status ApplyToml(std::string_view text, std::string_view origin, ServerConfig* config) {
  if (const TextProblem problem = CheckTomlText(text); problem.line != 0) {
    return Status::InvalidArgument(std::string(origin.empty() ? "config" : origin) + ":" +
                                   std::to_string(problem.line) + ": " + problem.what);
  }
  toml::parse_result parsed = toml::parse(text, origin);
  if (!parsed) {
    const toml::parse_error& error = parsed.error();
    std::ostringstream message;
    message << (origin.empty() ? "config" : origin) << ":" << error.source().begin.line << ":"
            << error.source().begin.column << ": " << error.description();
    return Status::InvalidArgument(message.str());
  }
  return Reader(origin, config).Apply(parsed.table());
}

Status ApplyPreset(std::string_view name, ServerConfig* config) {
  const std::optional<std::string_view> text = PresetToml(name);
  if (!text) {
    return Status::InvalidArgument("unknown preset '" + std::string(name) + "' (valid: " +
                                   std::string(PresetNames()) + ")");
  }
  const std::string origin = "preset " + std::string(name);
  Status applied = ApplyToml(*text, origin, config);
  if (applied.ok()) config->preset = std::string(name);
  return applied;
}

Status ApplyTomlFile(const std::string& path, ServerConfig* config) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Status::InvalidArgument(path + ": not a readable configuration file");
  }
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  if (!file || !(text << file.rdbuf()) || file.bad()) {
    // An empty file is a valid (empty) configuration; anything unreadable is not.
    if (std::filesystem::file_size(path, ec) != 0 || ec) {
      return Status::InvalidArgument(path + ": cannot read the configuration file");
    }
  }
  return ApplyToml(text.str(), path, config);
}

}  // namespace ratmemcache::config

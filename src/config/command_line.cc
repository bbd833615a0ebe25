// memcached's command-line flags (plus the seed's --bind and --config) -> ServerConfig.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "config/server_config.h"
#include "ratmemcache/cache.h"

namespace ratmemcache::config {
namespace {

// Parses an unsigned decimal for flag `flag`, within [min, max].
Result<uint64_t> FlagNumber(std::string_view flag, const std::string& text, uint64_t min,
                            uint64_t max) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return Status::InvalidArgument(std::string(flag) + ": '" + text + "' is not a number");
  }
  if (value < min || value > max) {
    return Status::InvalidArgument(std::string(flag) + ": must be between " + std::to_string(min) +
                                   " and " + std::to_string(max) + ", got " + text);
  }
  return value;
}

// Stores the number given to `flag` in *out when the flag was given (text not empty).
template <typename T>
Status ApplyNumber(std::string_view flag, const std::string& text, uint64_t min, uint64_t max,
                   T* out) {
  if (text.empty()) return Status::Ok();
  Result<uint64_t> n = FlagNumber(flag, text, min, max);
  if (!n.ok()) return n.status();
  *out = static_cast<T>(*n);
  return Status::Ok();
}

// Stores the byte size given to `flag` in *out when the flag was given.
Status ApplySize(std::string_view flag, const std::string& text, std::string_view examples,
                 uint64_t* out) {
  if (text.empty()) return Status::Ok();
  std::optional<uint64_t> size = ParseByteSize(text);
  if (!size) {
    return Status::InvalidArgument(std::string(flag) + ": '" + text + "' is not a size (examples: " +
                                   std::string(examples) + ")");
  }
  *out = *size;
  return Status::Ok();
}

// The version line; with `verbose` (-V -v) also what this build contains.
std::string VersionText(bool verbose) {
  std::string text = std::string("rat_memcached ") + RMC_VERSION +
                     " (RatMemCache; speaks the memcached 1.6.18 protocol)\n";
  if (verbose) {
    const BuildFeatures features = CompiledFeatures();
#ifdef _WIN32
    const char* platform = "windows";
#else
    const char* platform = "posix";
#endif
    text += std::string("features: persistent tier (RocksDB) ") + (features.persistent_tier ? "yes" : "no") +
            ", LZ4 in RAM " + (features.lz4 ? "yes" : "no") + ", TLS " + (RMC_HAVE_TLS ? "yes" : "no") +
            ", platform " + platform + "\n";
  }
  return text;
}

// TLS needs a certificate and its key, and a build with TLS; its settings without TLS on
// are refused rather than left to look as if they protected anything.
Status ValidateTls(const TlsSettings& tls) {
  if (!tls.enabled) {
    if (!tls.chain_cert.empty() || !tls.key.empty() || !tls.ca_cert.empty()) {
      return Status::InvalidArgument(
          "-o ssl_chain_cert/ssl_key/ssl_ca_cert given but TLS is off: add -Z/--enable-ssl "
          "([tls] enabled = true)");
    }
    return Status::Ok();
  }
  if (!RMC_HAVE_TLS) {
    return Status::InvalidArgument("-Z/--enable-ssl: this build has no TLS (built without OpenSSL)");
  }
  if (tls.chain_cert.empty() || tls.key.empty()) {
    return Status::InvalidArgument(
        "-Z/--enable-ssl: needs the server's certificate and key: -o "
        "ssl_chain_cert=FILE,ssl_key=FILE ([tls] chain_cert, key)");
  }
  return Status::Ok();
}

// memcached's rules for -S and -Y against -B.
Status ResolveProtocol(bool protocol_given, ServerConfig* config) {
  if (config->sasl && !config->auth_file.empty()) {
    return Status::InvalidArgument(
        "-S/--enable-sasl and -Y/--auth-file cannot be combined: SASL needs the binary "
        "protocol, -Y the ascii one");
  }
  if (config->sasl) {
    if (!protocol_given) {
      config->protocol = BindingProtocol::kBinary;
    } else if (config->protocol != BindingProtocol::kBinary) {
      return Status::InvalidArgument(
          "-S/--enable-sasl: you cannot allow the ASCII protocol while using SASL (-B binary)");
    }
    if (config->sasl_pwdb.empty()) {
      const char* env = std::getenv("MEMCACHED_SASL_PWDB");
      if (env != nullptr) config->sasl_pwdb = env;
    }
    if (config->sasl_pwdb.empty()) {
      return Status::InvalidArgument(
          "-S/--enable-sasl: no password file: give --sasl-pwdb FILE (or set "
          "MEMCACHED_SASL_PWDB) with user:password lines");
    }
  }
  if (!config->auth_file.empty()) {
    if (!protocol_given) {
      config->protocol = BindingProtocol::kAscii;
    } else if (config->protocol != BindingProtocol::kAscii) {
      return Status::InvalidArgument(
          "-Y/--auth-file: you cannot allow the BINARY protocol while using ascii "
          "authentication tokens (-B ascii)");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<CommandLine> ParseCommandLine(int argc, const char* const* argv) {
  CLI::App app{"rat_memcached: a memcached-compatible cache server (RatMemCache)", "rat_memcached"};
  app.set_help_flag("-h,--help", "print this help and exit");
  std::string port, memory, connections, threads, item_size, udp_port, backlog, bind, config_file;
  std::vector<std::string> listen;
  int verbose = 0;
  bool version = false, enable_shutdown = false, daemonize = false;
  bool disable_flush_all = false, disable_dumping = false;
  std::string pid_file, user, data_dir, l2_size, auth_file, protocol, sasl_pwdb, eviction;
  bool no_l2 = false, sasl = false;
  app.add_option("-p,--port", port, "TCP port to listen on (default: 11211)");
  app.add_option("-l,--listen", listen,
                 "interface(s) to listen on, comma-separated host[:port] (default: 127.0.0.1)");
  app.add_option("--bind", bind, "HOST:PORT to listen on (the seed's flag; same as -l HOST:PORT)");
  app.add_option("-m,--memory-limit", memory, "RAM for items in megabytes (default: 64)");
  app.add_option("-c,--conn-limit", connections, "max simultaneous connections (default: 1024)");
  app.add_option("-t,--threads", threads, "number of worker threads (default: 4)");
  app.add_option("-I,--max-item-size", item_size,
                 "max item size, with k/m/g suffixes (default: 1m, min: 1k, max: 1g)");
  app.add_option("-U,--udp-port", udp_port, "UDP port; only 0 (off) is supported");
  app.add_option("-b,--listen-backlog", backlog, "listen backlog (default: 1024)");
  app.add_flag("-v,--verbose", verbose, "verbose; -vv very verbose (commands), -vvv more");
  app.add_flag("-A,--enable-shutdown", enable_shutdown, "enable the ascii \"shutdown\" command");
  app.add_flag("-F,--disable-flush-all", disable_flush_all, "refuse the flush_all command");
  app.add_flag("-X,--disable-dumping", disable_dumping, "refuse stats cachedump");
  app.add_option("-Y,--auth-file", auth_file,
                 "ASCII authentication: a file of user:password lines; clients first send "
                 "\"set <any> 0 0 <n>\\r\\n<user> <password>\\r\\n\"");
  app.add_option("-B,--protocol", protocol,
                 "protocol - one of ascii, binary, or auto (default: auto-negotiate)");
  app.add_flag("-S,--enable-sasl", sasl,
               "turn on SASL (PLAIN) authentication for the binary protocol; passwords from "
               "--sasl-pwdb or $MEMCACHED_SASL_PWDB");
  app.add_option("--sasl-pwdb", sasl_pwdb,
                 "SASL password file: user:password lines (memcached's MEMCACHED_SASL_PWDB)");
  app.add_option("--eviction", eviction,
                 "RAM eviction policy: lru, lfu, fifo, hybrid, ttl, s3fifo or sieve (default: s3fifo; [l1] eviction_strategy)");
  app.add_flag("-d,--daemon", daemonize, "run as a daemon");
  app.add_option("-P,--pidfile,--pid-file", pid_file, "save the process id in this file");
  app.add_option("-u,--user", user, "run as this user (only when started as root)");
  app.add_option("--config", config_file, "TOML configuration file (flags override it)");
  std::string preset;
  bool print_config = false;
  app.add_option("--preset", preset,
                 "start from a preset: development, production or high_speed_communication "
                 "(the file's keys and the flags override it)");
  app.add_flag("--print-config", print_config, "print the effective configuration as TOML and exit");
  std::string metrics_port, log_file;
  app.add_option("--log-file", log_file,
                 "append log lines to this file instead of stderr; reopened on SIGHUP "
                 "([logging] file)");
  app.add_option("--metrics-port", metrics_port,
                 "HTTP port for Prometheus metrics (/metrics) and a status page (/), on the "
                 "first listen host (default: off)");
  app.add_option("--data-dir", data_dir, "directory of the persistent tier (default: ./rat_memcache_data)");
  app.add_option("--l2-size", l2_size, "largest size of the persistent tier on disk, k/m/g suffixes (default: 1g)");
  app.add_flag("--no-l2", no_l2, "RAM only: no persistent tier");
  std::vector<std::string> extended;
  app.add_option("-o,--extended", extended,
                 "memcached's comma-separated extended options: idle_timeout=SECONDS, "
                 "ssl_chain_cert=FILE, ssl_key=FILE, ssl_ca_cert=FILE, ssl_verify_mode=0-3, "
                 "ssl_keyformat=1|2, ssl_min_version=0-3, ssl_ciphers=LIST, ssl_session_cache; "
                 "memcached's slab/LRU tuning is accepted and has no effect");
  bool enable_ssl = false;
  app.add_flag("-Z,--enable-ssl", enable_ssl,
               "TLS on every TCP listener (needs -o ssl_chain_cert=FILE,ssl_key=FILE)");
  app.add_flag("-V,--version", version, "print version and exit");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    CommandLine help;
    help.exit_now = true;
    help.output = app.help();
    return help;
  } catch (const CLI::ParseError& error) {
    return Status::InvalidArgument(error.what());
  }

  CommandLine result;
  if (version) {
    result.exit_now = true;
    result.output = VersionText(verbose > 0);
    return result;
  }
  ServerConfig& config = result.config;
  if (!preset.empty()) {
    Status applied = ApplyPreset(preset, &config);
    if (!applied.ok()) return Status::InvalidArgument("--preset: " + applied.message());
    config.preset_from_command_line = true;
  }
  if (!config_file.empty()) {
    Status loaded = ApplyTomlFile(config_file, &config);
    if (!loaded.ok()) return loaded;
  }

  CacheOptions& cache = config.cache;
  uint64_t memory_mb = 0;
  for (Status status : {ApplyNumber("-m/--memory-limit", memory, 1, 1ull << 30, &memory_mb),
                        ApplyNumber("-c/--conn-limit", connections, 1, 1000000, &config.max_connections),
                        ApplyNumber("-t/--threads", threads, 1, 1024, &cache.performance.worker_threads),
                        ApplySize("-I/--max-item-size", item_size, "1048576, 512k, 2m, 1g",
                                  &cache.max_item_size)}) {
    if (!status.ok()) return status;
  }
  if (memory_mb != 0) cache.l1.max_memory = memory_mb << 20;
  if (!udp_port.empty() && udp_port != "0") {
    return Status::InvalidArgument("-U/--udp-port: UDP is not supported; only -U 0 is accepted");
  }
  for (Status status : {ApplyNumber("-b/--listen-backlog", backlog, 1, 65535, &config.backlog),
                        ApplySize("--l2-size", l2_size, "512m, 10g", &cache.l2.max_disk_size)}) {
    if (!status.ok()) return status;
  }
  if (!metrics_port.empty()) {
    Result<uint64_t> n = FlagNumber("--metrics-port", metrics_port, 0, 65535);
    if (!n.ok()) return n.status();
    config.metrics_port = static_cast<uint16_t>(*n);
  }
  if (!log_file.empty()) cache.logging.file = log_file;
  if (!data_dir.empty()) cache.l2.data_dir = data_dir;
  if (no_l2) cache.l2.enable_l2_cache = false;
  if (verbose > 0) config.verbosity = static_cast<uint32_t>(std::min(verbose, 3));  // -vvv is the most
  if (enable_shutdown) config.enable_shutdown = true;
  if (disable_flush_all) config.flush_enabled = false;
  if (disable_dumping) config.dump_enabled = false;
  if (!auth_file.empty()) config.auth_file = auth_file;
  if (!eviction.empty()) {
    std::optional<EvictionStrategy> strategy = ParseEvictionStrategy(eviction);
    if (!strategy) {
      return Status::InvalidArgument("--eviction: '" + eviction + "' is not an eviction policy (valid: " +
                                     std::string(EvictionStrategyNames()) + ")");
    }
    cache.l1.eviction_strategy = *strategy;
  }
  for (const std::string& list : extended) {
    Status applied = ApplyExtendedOptions(list, &config);
    if (!applied.ok()) return applied;
  }
  if (enable_ssl) config.tls.enabled = true;
  Status tls = ValidateTls(config.tls);
  if (!tls.ok()) return tls;
  if (sasl) config.sasl = true;
  if (!sasl_pwdb.empty()) config.sasl_pwdb = sasl_pwdb;
  bool protocol_given = !protocol.empty();
  if (protocol_given) {
    if (protocol == "auto" || protocol == "negotiate") {
      config.protocol = BindingProtocol::kAuto;
    } else if (protocol == "ascii") {
      config.protocol = BindingProtocol::kAscii;
    } else if (protocol == "binary") {
      config.protocol = BindingProtocol::kBinary;
    } else {
      return Status::InvalidArgument("-B/--protocol: '" + protocol +
                                     "' is not a protocol (valid: ascii, binary, auto)");
    }
  }
  Status protocols = ResolveProtocol(protocol_given, &config);
  if (!protocols.ok()) return protocols;
  if (daemonize) config.daemonize = true;
  if (!pid_file.empty()) config.pid_file = pid_file;
  if (!user.empty()) config.user = user;

  // Where to listen: --bind, else -l (ports from -p), else the configured endpoints with
  // the port of -p if given.
  std::optional<uint16_t> port_flag;
  if (!port.empty()) {
    Result<uint64_t> n = FlagNumber("-p/--port", port, 0, 65535);
    if (!n.ok()) return n.status();
    port_flag = static_cast<uint16_t>(*n);
  }
  if (!bind.empty()) {
    auto endpoints = ParseEndpoints(bind, port_flag.value_or(11211));
    if (!endpoints.ok()) return Status::InvalidArgument("--bind: " + endpoints.status().message());
    config.listen = std::move(endpoints).value();
    config.listen_text = bind;
  } else if (!listen.empty()) {
    std::string joined;
    for (const std::string& item : listen) joined += (joined.empty() ? "" : ",") + item;
    auto endpoints = ParseEndpoints(joined, port_flag.value_or(11211));
    if (!endpoints.ok()) return Status::InvalidArgument("-l/--listen: " + endpoints.status().message());
    config.listen = std::move(endpoints).value();
    config.listen_text = joined;
  } else if (port_flag) {
    for (Endpoint& endpoint : config.listen) endpoint.port = *port_flag;
  }

  if (!item_size.empty()) config.max_item_size_given = true;
  if (!config.max_item_size_given && cache.l2.enable_l2_cache &&
      cache.performance.large_value_threshold != 0) {
    cache.max_item_size = kDefaultMaxItemSizeWithL2;
  }

  Status valid = ValidateOptions(cache);
  if (!valid.ok()) return valid;
  if (print_config) {
    result.exit_now = true;
    result.output = ConfigToToml(config);
  }
  return result;
}

}  // namespace ratmemcache::config

#pragma once

// ServerConfig: everything rat_memcached runs with, and the ways to set it: a preset
// (--preset or the file's top-level `preset`, see presets.h), a TOML file (--config) and
// memcached's command-line flags. Precedence: built-in defaults, then the preset, then the
// file's keys, then flags given on the command line.
//
// Errors are values: every failure names the flag or key at fault and what is wrong with
// it. Thread-safety: plain functions and values.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ratmemcache/options.h"
#include "ratmemcache/status.h"

namespace ratmemcache::config {

struct Endpoint {
  std::string host;  // "" = every interface
  uint16_t port = 11211;
};

// Which protocol connections speak (memcached's -B).
enum class BindingProtocol : uint8_t {
  kAuto,    // chosen per connection by its first byte: 0x80 binary, anything else text
  kAscii,   // text only (binary requests read as text)
  kBinary,  // binary only (text closes the connection)
};

// memcached's TLS settings: -Z/--enable-ssl and -o ssl_*, or the [tls] section.
struct TlsSettings {
  bool enabled = false;      // -Z: every TCP listener speaks TLS
  std::string chain_cert;    // ssl_chain_cert: the server's certificate chain (PEM)
  std::string key;           // ssl_key: its private key
  uint32_t key_format = 1;   // ssl_keyformat: 1 PEM, 2 ASN.1 (DER), as OpenSSL numbers them
  std::string ca_cert;       // ssl_ca_cert: CAs that client certificates are checked against
  uint32_t verify_mode = 0;  // ssl_verify_mode: 0 none, 1 request, 2 require, 3 require once
  uint32_t min_version = 2;  // ssl_min_version: 0 TLSv1.0, 1 TLSv1.1, 2 TLSv1.2, 3 TLSv1.3
  std::string ciphers;       // ssl_ciphers: OpenSSL cipher list ("" = OpenSSL's default)
  bool session_cache = false;  // ssl_session_cache: server-side session resumption
};

struct ServerConfig {
  // The server persists by default, when built with the persistent tier.
  ServerConfig() { cache.l2.enable_l2_cache = CompiledFeatures().persistent_tier; }

  CacheOptions cache;
  std::vector<Endpoint> listen{{"127.0.0.1", 11211}};
  std::string listen_text = "127.0.0.1";  // as given, for "stats settings"
  uint32_t max_connections = 1024;        // -c
  uint32_t verbosity = 0;                 // -v count
  bool enable_shutdown = false;           // -A
  bool flush_enabled = true;              // false: -F (flush_all refused)
  bool dump_enabled = true;               // false: -X (stats cachedump refused)
  std::string auth_file;                  // -Y: ASCII authentication ("" = off)
  bool sasl = false;                      // -S: binary SASL authentication
  // -S's password file: --sasl-pwdb, [server] sasl_pwdb, else $MEMCACHED_SASL_PWDB.
  std::string sasl_pwdb;
  // -B; kAuto becomes kBinary with -S and kAscii with -Y, as in memcached.
  BindingProtocol protocol = BindingProtocol::kAuto;
  bool daemonize = false;                 // -d
  std::string pid_file;                   // -P
  std::string user;                       // -u
  int backlog = 1024;                     // -b
  uint32_t l2_read_threads = 0;           // [performance] l2_read_threads; 0 = automatic
  std::string l2_read_mode = "adaptive";  // [performance] l2_read_mode
  // Whether -I or [server] max_item_size was given. When not, and L2 takes large values,
  // the limit is kDefaultMaxItemSizeWithL2 instead of memcached's 1 MiB.
  bool max_item_size_given = false;
  // The preset applied ("" = none), and whether --preset chose it (then a file naming a
  // different one is an error).
  std::string preset;
  bool preset_from_command_line = false;
  // --metrics-port / [server] metrics_port: HTTP port for /metrics (Prometheus), /status.json
  // and the status page, on the first listen address's host. 0 = off.
  uint16_t metrics_port = 0;
  // -o idle_timeout / [server] idle_timeout: seconds without input after which a client
  // connection is closed (counted in "idle_kicks"). 0 = never.
  uint32_t idle_timeout = 0;
  TlsSettings tls;
  // -o suboptions of memcached's that were accepted but mean nothing here (slab and LRU
  // tuning, ...): logged once at start so the operator knows.
  std::vector<std::string> ignored_options;
};

// The item size limit of a server whose L2 takes large values, unless -I says otherwise:
// values well above memcached's 1 MiB work out of the box.
inline constexpr uint64_t kDefaultMaxItemSizeWithL2 = 128ull << 20;

// What the command line asks for.
struct CommandLine {
  ServerConfig config;
  // Set for --help and --version: print `output` to stdout and exit 0.
  bool exit_now = false;
  std::string output;
};

// Parses memcached-style arguments (argv[0] is the program name), loading --config first
// if given. Returns: InvalidArgument naming the flag or config key at fault.
Result<CommandLine> ParseCommandLine(int argc, const char* const* argv);

// Applies the TOML document `text` (from `origin`, for messages) on top of `config`.
// Unknown sections and keys are errors. Returns: InvalidArgument naming the key.
Status ApplyToml(std::string_view text, std::string_view origin, ServerConfig* config);
// Reads `path` and applies it. Returns: InvalidArgument (also when unreadable).
Status ApplyTomlFile(const std::string& path, ServerConfig* config);

// Applies preset `name` (see presets.h) to `config` and records it. Returns:
// InvalidArgument for an unknown name (listing the valid ones).
Status ApplyPreset(std::string_view name, ServerConfig* config);

// `config` as a TOML document that ApplyToml reads back to the same configuration: every
// key of every section, sizes in bytes (for --print-config).
std::string ConfigToToml(const ServerConfig& config);

// Applies memcached's -o list `text` ("name[=value],..."): idle_timeout and the ssl_*
// settings take effect; memcached's slab/LRU/hash tuning suboptions are accepted and
// noted in config->ignored_options; extstore's ext_* are refused (the persistent tier
// takes its place). Returns: InvalidArgument naming the suboption ("Illegal suboption"
// for unknown names, as memcached says).
Status ApplyExtendedOptions(std::string_view text, ServerConfig* config);

// Parses a byte size: a plain number of bytes, or a number with a k, m or g suffix
// (powers of 1024, either case). Returns nullopt for anything else or on overflow.
std::optional<uint64_t> ParseByteSize(std::string_view text);

// Parses "-l" / "--bind" lists: comma-separated "host", "host:port", "[v6]" or
// "[v6]:port"; `default_port` fills missing ports. Returns: InvalidArgument.
Result<std::vector<Endpoint>> ParseEndpoints(std::string_view text, uint16_t default_port);

}  // namespace ratmemcache::config

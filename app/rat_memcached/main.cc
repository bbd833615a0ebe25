// rat_memcached: the RatMemCache server, a drop-in replacement for memcached.
// Reads flags and the TOML file, builds the cache, serves until SIGINT/SIGTERM or an
// enabled "shutdown" command, then stops gracefully (in-flight replies are sent).

#include <asio.hpp>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>

#include "common/logging.h"
#include "config/server_config.h"
#include "net/net_server.h"
#if RMC_HAVE_TLS
#include "net/tls.h"
#endif
#include "platform.h"
#include "ratmemcache/cache.h"
#include "server/http_status.h"
#include "server/server_context.h"
#include "server/session_factory.h"

namespace rmc = ratmemcache;

namespace {

// Exit codes: 2 for configuration errors; 71 (EX_OSERR, as memcached) when the server
// cannot be set up (ports, user, daemon).
constexpr int kConfigError = 2;
constexpr int kSystemError = 71;

std::string DescribeListen(const rmc::config::ServerConfig& config) {
  std::string text;
  for (const auto& endpoint : config.listen) {
    if (!text.empty()) text += ", ";
    text += (endpoint.host.empty() ? "*" : endpoint.host) + ":" + std::to_string(endpoint.port);
  }
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  rmc::Result<rmc::config::CommandLine> parsed = rmc::config::ParseCommandLine(argc, argv);
  if (!parsed.ok()) {
    std::fprintf(stderr, "rat_memcached: %s\n", parsed.status().message().c_str());
    return kConfigError;
  }
  if (parsed->exit_now) {
    std::fputs(parsed->output.c_str(), stdout);
    return 0;
  }
  const rmc::config::ServerConfig& config = parsed->config;
  rmc::platform::IgnoreBrokenPipes();

  // A pid file of a running server (or not a pid file at all) stops us before anything
  // starts; a stale one is replaced once we run.
  std::string pid_note;
  if (!config.pid_file.empty()) {
    rmc::Status usable = rmc::platform::CheckPidFile(config.pid_file, &pid_note);
    if (!usable.ok()) {
      std::fprintf(stderr, "rat_memcached: %s\n", usable.message().c_str());
      return kConfigError;
    }
  }
  // Fork before any thread exists (the async logger has one).
  if (config.daemonize) {
    rmc::Status daemon = rmc::platform::Daemonize(config.verbosity > 0);
    if (!daemon.ok()) {
      std::fprintf(stderr, "rat_memcached: cannot daemonize: %s\n", daemon.message().c_str());
      return kSystemError;
    }
  }
  rmc::Status logging = rmc::ConfigureLogging(config.cache.logging, static_cast<int>(config.verbosity));
  if (!logging.ok()) {
    std::fprintf(stderr, "rat_memcached: %s\n", logging.message().c_str());
    return kConfigError;
  }
  if (!pid_note.empty()) rmc::Log().warn("{}", pid_note);
  for (const std::string& option : config.ignored_options) {
    rmc::Log().info("-o {}: memcached's tuning option, accepted; it has no counterpart here", option);
  }
  // Every connection is a file descriptor; leave room for listeners, logs and the rest.
  const uint64_t wanted_files = uint64_t{config.max_connections} + 64;
  const uint64_t files = rmc::platform::RaiseOpenFileLimit(wanted_files);
  if (files < wanted_files) {
    rmc::Log().warn("open file limit is {} (wanted {}): fewer than -c {} connections may fit",
                    files, wanted_files, config.max_connections);
  }

  rmc::Result<std::unique_ptr<rmc::Cache>> built = rmc::CacheBuilder().options(config.cache).Build();
  if (!built.ok()) {
    std::fprintf(stderr, "rat_memcached: %s\n", built.status().message().c_str());
    return built.code() == rmc::StatusCode::kInvalidArgument ? kConfigError : kSystemError;
  }
  std::unique_ptr<rmc::Cache> cache = std::move(built).value();

  std::optional<rmc::server::AuthFile> auth_file;
  if (!config.auth_file.empty()) {
    rmc::Result<rmc::server::AuthFile> loaded = rmc::server::AuthFile::Load(config.auth_file);
    if (!loaded.ok()) {
      std::fprintf(stderr, "rat_memcached: -Y/--auth-file: %s\n", loaded.status().message().c_str());
      return kConfigError;
    }
    auth_file.emplace(std::move(loaded).value());
  }

  std::optional<rmc::server::AuthFile> sasl_pwdb;
  if (config.sasl) {
    rmc::Result<rmc::server::AuthFile> loaded =
        rmc::server::AuthFile::Load(config.sasl_pwdb, rmc::server::AuthFileFormat::kSaslPwdb);
    if (!loaded.ok()) {
      std::fprintf(stderr, "rat_memcached: -S/--sasl-pwdb: %s\n", loaded.status().message().c_str());
      return kConfigError;
    }
    sasl_pwdb.emplace(std::move(loaded).value());
  }

  rmc::server::ServerSettings settings;
  settings.auth_file = auth_file ? &*auth_file : nullptr;
  settings.sasl_pwdb = sasl_pwdb ? &*sasl_pwdb : nullptr;
  switch (config.protocol) {
    case rmc::config::BindingProtocol::kAuto: settings.protocol = rmc::server::Protocol::kNegotiate; break;
    case rmc::config::BindingProtocol::kAscii: settings.protocol = rmc::server::Protocol::kAscii; break;
    case rmc::config::BindingProtocol::kBinary: settings.protocol = rmc::server::Protocol::kBinary; break;
  }
  settings.listen = config.listen_text;
  settings.port = config.listen.empty() ? 0 : config.listen.front().port;
  settings.max_connections = config.max_connections;
  settings.threads = config.cache.performance.worker_threads;
  settings.l2_read_threads = config.l2_read_threads;
  settings.l2_read_mode = config.l2_read_mode;
  settings.verbosity = config.verbosity;
  settings.enable_shutdown = config.enable_shutdown;
  settings.flush_enabled = config.flush_enabled;
  settings.dump_enabled = config.dump_enabled;
  settings.tcp_backlog = static_cast<uint32_t>(config.backlog);
  settings.idle_timeout = config.idle_timeout;
  settings.ssl_enabled = config.tls.enabled;
  settings.ssl_chain_cert = config.tls.chain_cert;
  settings.ssl_key = config.tls.key;
  settings.ssl_verify_mode = config.tls.verify_mode;
  settings.ssl_keyformat = config.tls.key_format;
  settings.ssl_ciphers = config.tls.ciphers;
  settings.ssl_ca_cert = config.tls.ca_cert;
  settings.ssl_session_cache = config.tls.session_cache;
  settings.ssl_min_version = config.tls.min_version;
  rmc::server::ServerContext context(cache.get(), settings);
  rmc::server::ServerSessionFactory factory(&context);

  rmc::net::NetOptions net_options;
  for (const auto& endpoint : config.listen) net_options.listen.push_back({endpoint.host, endpoint.port});
  net_options.threads = settings.threads;
  net_options.max_connections = config.max_connections;
  net_options.backlog = config.backlog;
  net_options.idle_timeout_s = config.idle_timeout;
#if RMC_HAVE_TLS
  if (config.tls.enabled) {
    rmc::net::TlsOptions tls;
    tls.chain_cert = config.tls.chain_cert;
    tls.key = config.tls.key;
    tls.key_format = static_cast<int>(config.tls.key_format);
    tls.ca_cert = config.tls.ca_cert;
    tls.verify_mode = static_cast<int>(config.tls.verify_mode);
    tls.min_version = static_cast<int>(config.tls.min_version);
    tls.ciphers = config.tls.ciphers;
    tls.session_cache = config.tls.session_cache;
    auto created = rmc::net::TlsContext::Create(tls);
    if (!created.ok()) {
      std::fprintf(stderr, "rat_memcached: -Z/--enable-ssl: %s\n", created.status().message().c_str());
      return kConfigError;
    }
    net_options.tls = std::move(created).value();
    context.set_refresh_certs_handler([tls = net_options.tls] { return tls->Reload(); });
  }
#endif
  rmc::net::NetServer server(net_options, &factory);

  // --metrics-port: its own network server (one thread), so scrapes never wait behind
  // cache traffic and cache clients never count against its connections.
  rmc::server::HttpSessionFactory http_factory(&context);
  std::unique_ptr<rmc::net::NetServer> http_server;
  if (config.metrics_port != 0) {
    rmc::net::NetOptions http_options;
    const std::string host = config.listen.empty() ? "127.0.0.1" : config.listen.front().host;
    http_options.listen.push_back({host, config.metrics_port});
    http_options.threads = 1;
    http_options.max_connections = 64;
    http_server = std::make_unique<rmc::net::NetServer>(http_options, &http_factory);
  }

  // Signals are caught from here on; one arriving before run() stops it at once.
  asio::io_context main_context(1);
  asio::signal_set signals(main_context, SIGINT, SIGTERM);
  signals.async_wait([&main_context](const asio::error_code& ec, int) {
    if (!ec) main_context.stop();
  });
  // SIGHUP: read the -Y password file again, as memcached does, and reopen the log file
  // (after logrotate moved it).
  asio::signal_set hangups(main_context);
  if (rmc::platform::ReloadSignal() != 0) hangups.add(rmc::platform::ReloadSignal());
  rmc::platform::InstallConsoleStopHandler();
  std::function<void()> await_hangup = [&] {
    hangups.async_wait([&](const asio::error_code& ec, int) {
      if (ec) return;
      rmc::Status reopened = rmc::ReopenLogFile();
      if (!reopened.ok()) rmc::Log().error("SIGHUP: {}", reopened.message());
      if (auth_file) {
        rmc::Status reloaded = auth_file->Reload();
        if (reloaded.ok()) {
          rmc::Log().info("SIGHUP: reloaded {}", auth_file->path());
        } else {
          rmc::Log().warn("SIGHUP: {}; the entries loaded before stay in force", reloaded.message());
        }
      }
      await_hangup();
    });
  };
  if (rmc::platform::ReloadSignal() != 0) await_hangup();
  context.set_network_stats([&server] { return server.Stats(); });
  context.set_connections([&server] { return server.Connections(); });
  context.set_shutdown_handler([&main_context](rmc::server::ShutdownMode) {
    asio::post(main_context, [&main_context] { main_context.stop(); });
  });

  rmc::Status started = server.Start();
  if (started.ok() && http_server) started = http_server->Start();
  if (!started.ok()) {
    rmc::Log().error("{}", started.message());
    server.Stop(0);
    context.StopBlockingReads();
    return kSystemError;
  }
  if (!config.user.empty()) {
    rmc::Status switched = rmc::platform::SwitchUser(config.user);
    if (!switched.ok()) {
      rmc::Log().error("{}", switched.message());
      server.Stop(0);
      context.StopBlockingReads();
      return kSystemError;
    }
  }
  if (!config.pid_file.empty()) {
    rmc::Status written = rmc::platform::WritePidFile(config.pid_file);
    if (!written.ok()) rmc::Log().warn("{}", written.message());
  }

  rmc::Log().info("rat_memcached {} listening on {} ({} threads, {} MiB RAM, max item {} bytes, {})",
                  RMC_VERSION, DescribeListen(config), settings.threads,
                  config.cache.l1.max_memory >> 20, config.cache.max_item_size,
                  config.cache.l2.enable_l2_cache
                      ? "persistent tier in " + config.cache.l2.data_dir
                      : std::string("RAM only"));
  if (http_server) {
    rmc::Log().info("metrics at http://{}:{}/metrics, status page at /",
                    config.listen.empty() || config.listen.front().host.empty() ? "127.0.0.1"
                                                                                : config.listen.front().host,
                    http_server->bound_ports().front());
  }
  main_context.run();

  rmc::Log().info("stopping: finishing in-flight replies");
  if (http_server) http_server->Stop(0);
  server.Stop(2000);
  context.StopBlockingReads();  // before the network (its completions' target) goes
  rmc::Status persisted = cache->Shutdown();
  if (!persisted.ok()) rmc::Log().error("stopping the cache: {}", persisted.message());
  if (!config.pid_file.empty()) rmc::platform::RemoveOwnPidFile(config.pid_file);
  rmc::Log().info("stopped");
  rmc::Log().flush();
  return 0;
}

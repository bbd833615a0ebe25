// libFuzzer target: the TOML configuration loader. Whatever it accepts, --print-config
// must write back as a document it accepts again, to the same configuration.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "config/server_config.h"

using namespace ratmemcache::config;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ServerConfig config;
  if (!ApplyToml(text, "fuzz", &config).ok()) return 0;
  const std::string printed = ConfigToToml(config);
  ServerConfig again;
  if (ratmemcache::Status s = ApplyToml(printed, "printed", &again); !s.ok()) {
    std::fprintf(stderr, "%s\n---\n%s\n", s.message().c_str(), printed.c_str());
    std::abort();
  }
  // The same configuration, key for key (the heading comment names the preset the first
  // came from; the printed document, holding every key, needs none).
  auto body = [](const std::string& document) { return document.substr(document.find("\n\n")); };
  if (body(ConfigToToml(again)) != body(printed)) std::abort();
  return 0;
}

#include "config/presets.h"

namespace ratmemcache::config {
namespace {

struct Preset {
  std::string_view name;
  std::string_view toml;
};

// They leave enable_l2_cache alone (on where the build has the persistent tier), so that
// every preset also works in a build without it.
// development: a small cache on a laptop that starts empty each time and says much.
// production: the seed's production example (4 GiB and 2M entries in RAM, a 50 GiB
// compressed persistent tier with 4 background threads), quieter logs written
// asynchronously.
// high_speed_communication: RAM only, no compression, nothing but errors logged: the
// shortest path per request, for caches that may lose their contents.
constexpr Preset kPresets[] = {
    {"development", R"([l1]
max_memory = "64m"

[l2]
clear_on_startup = true
max_disk_size = "1g"
write_buffer_size = "8m"
block_cache_size = "8m"
background_threads = 1

[performance]
worker_threads = 2

[logging]
level = "debug"
)"},
    {"production", R"([l1]
max_memory = "4g"
max_entries = 2000000

[l2]
clear_on_startup = false
max_disk_size = "50g"
enable_compression = true
background_threads = 4

[performance]
worker_threads = 4

[logging]
level = "warn"
enable_async = true
)"},
    {"high_speed_communication", R"([l1]
max_memory = "1g"

[l2]
enable_l2_cache = false

[compression]
enable_lz4 = false

[performance]
worker_threads = 4

[server]
max_connections = 10000

[logging]
level = "error"
)"},
};

}  // namespace

std::optional<std::string_view> PresetToml(std::string_view name) {
  for (const Preset& preset : kPresets) {
    if (preset.name == name) return preset.toml;
  }
  return std::nullopt;
}

std::string_view PresetNames() { return "development, production, high_speed_communication"; }

}  // namespace ratmemcache::config

#pragma once

// Configuration presets (the seed's original three): named starting points, each a TOML
// document applied on top of the built-in defaults and before the configuration file's
// own keys and the command-line flags, which override it. Chosen with --preset NAME or a
// top-level `preset = "NAME"` in the file. Thread-safety: constant data.

#include <optional>
#include <string_view>

namespace ratmemcache::config {

// The TOML text of preset `name` (exact, lower case), or nullopt for an unknown name.
std::optional<std::string_view> PresetToml(std::string_view name);

// "development, production, high_speed_communication", for messages.
std::string_view PresetNames();

}  // namespace ratmemcache::config

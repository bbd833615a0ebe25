// Presets (--preset, the file's `preset`) and --print-config.

#include "config/presets.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "common/scoped_temp_dir.h"
#include "config/server_config.h"

namespace ratmemcache::config {
namespace {

Result<CommandLine> Parse(std::vector<std::string> args) {
  std::vector<const char*> argv{"rat_memcached"};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  return ParseCommandLine(static_cast<int>(argv.size()), argv.data());
}

class PresetTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_.path() / name).string();
    std::ofstream(path) << text;
    return path;
  }
  // The printed configuration without its comment line.
  static std::string Body(const std::string& printed) { return printed.substr(printed.find('\n') + 1); }

  ScopedTempDir dir_{"rmc_presets"};
};

TEST_F(PresetTest, EachPresetIsValidAndApplies) {
  for (std::string_view name : {"development", "production", "high_speed_communication"}) {
    ASSERT_TRUE(PresetToml(name).has_value()) << name;
    Result<CommandLine> parsed = Parse({"--preset", std::string(name)});
    ASSERT_TRUE(parsed.ok()) << name << ": " << parsed.status().ToString();
    EXPECT_EQ(parsed->config.preset, name);
  }
  const ServerConfig production = Parse({"--preset", "production"})->config;
  EXPECT_EQ(production.cache.l1.max_memory, 4ull << 30);
  EXPECT_EQ(production.cache.l1.max_entries, 2000000u);
  EXPECT_EQ(production.cache.l2.max_disk_size, 50ull << 30);
  EXPECT_EQ(production.cache.l2.background_threads, 4u);
  EXPECT_TRUE(production.cache.l2.enable_l2_cache);
  EXPECT_EQ(production.cache.logging.level, "warn");
  const ServerConfig fast = Parse({"--preset", "high_speed_communication"})->config;
  EXPECT_FALSE(fast.cache.l2.enable_l2_cache);
  EXPECT_EQ(fast.max_connections, 10000u);
  const ServerConfig development = Parse({"--preset", "development"})->config;
  EXPECT_TRUE(development.cache.l2.clear_on_startup);
  EXPECT_EQ(development.cache.logging.level, "debug");
}

TEST_F(PresetTest, FileKeysAndFlagsOverrideThePreset) {
  const std::string file = Write("a.toml", "[l1]\nmax_memory = \"128m\"\n");
  Result<CommandLine> parsed = Parse({"--preset", "development", "--config", file});
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->config.cache.l1.max_memory, 128ull << 20);    // the file
  EXPECT_TRUE(parsed->config.cache.l2.clear_on_startup);           // the preset
  parsed = Parse({"--preset", "development", "--config", file, "-m", "32"});
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->config.cache.l1.max_memory, 32ull << 20);     // the flag
}

TEST_F(PresetTest, APresetNamedInTheFileIsTheBaseOfTheWholeFile) {
  // The preset key comes first in a TOML file, yet it must not override the file's
  // sections, whatever order a TOML library walks them in.
  const std::string file = Write("b.toml", "preset = \"production\"\n[l2]\nbackground_threads = 2\n"
                                           "[logging]\nlevel = \"info\"\n");
  Result<CommandLine> parsed = Parse({"--config", file});
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->config.preset, "production");
  EXPECT_EQ(parsed->config.cache.l2.background_threads, 2u);
  EXPECT_EQ(parsed->config.cache.logging.level, "info");
  EXPECT_EQ(parsed->config.cache.l2.max_disk_size, 50ull << 30);
  // --preset naming the same one is fine; another one is a conflict.
  EXPECT_TRUE(Parse({"--preset", "production", "--config", file}).ok());
  Result<CommandLine> conflict = Parse({"--preset", "development", "--config", file});
  ASSERT_FALSE(conflict.ok());
  EXPECT_NE(conflict.status().message().find("conflicts with --preset development"), std::string::npos)
      << conflict.status().message();
}

TEST_F(PresetTest, UnknownPresetsAreRefusedWithTheValidNames) {
  Result<CommandLine> flag = Parse({"--preset", "turbo"});
  ASSERT_FALSE(flag.ok());
  EXPECT_EQ(flag.status().message(),
            "--preset: unknown preset 'turbo' (valid: development, production, high_speed_communication)");
  Result<CommandLine> file = Parse({"--config", Write("c.toml", "preset = \"turbo\"\n")});
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.status().message().find("c.toml: preset: unknown preset 'turbo'"), std::string::npos)
      << file.status().message();
  EXPECT_FALSE(Parse({"--config", Write("d.toml", "preset = 3\n")}).ok());
}

// What --print-config prints, read back as a configuration file, is the same
// configuration: printed again, it is the same text.
TEST_F(PresetTest, PrintedConfigurationReadsBackToItself) {
  const std::vector<std::vector<std::string>> cases = {
      {},
      {"--preset", "production"},
      {"--preset", "high_speed_communication", "-p", "11999", "-c", "50", "-A", "-F", "-X", "-vv"},
      {"-l", "127.0.0.1:1234,[::1]:99", "--eviction", "sieve", "-I", "2m", "--data-dir", "/tmp/a \"b\""},
      {"-Y", "/etc/auth", "-m", "100", "--no-l2", "--log-file", "/var/log/rat.log", "--metrics-port", "9150"},
      {"-vvvv"},  // more -v than the file's verbosity accepts: clamped to 3
  };
  for (const auto& args : cases) {
    std::vector<std::string> print = args;
    print.push_back("--print-config");
    Result<CommandLine> first = Parse(print);
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    ASSERT_TRUE(first->exit_now);
    const std::string file = Write("printed.toml", first->output);
    Result<CommandLine> again = Parse({"--config", file, "--print-config"});
    ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << first->output;
    EXPECT_EQ(Body(again->output), Body(first->output));
  }
  Result<CommandLine> printed = Parse({"--preset", "production", "--print-config"});
  EXPECT_NE(printed->output.find("from preset \"production\""), std::string::npos);
  EXPECT_NE(printed->output.find("max_memory = 4294967296"), std::string::npos);
}

}  // namespace
}  // namespace ratmemcache::config

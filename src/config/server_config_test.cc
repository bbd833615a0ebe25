#include "config/server_config.h"

#include <gtest/gtest.h>

#include <vector>

namespace ratmemcache::config {
namespace {

Result<CommandLine> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "rat_memcached");
  return ParseCommandLine(static_cast<int>(args.size()), args.data());
}

TEST(ByteSize, Suffixes) {
  EXPECT_EQ(ParseByteSize("1048576"), 1048576u);
  EXPECT_EQ(ParseByteSize("512k"), 512u << 10);
  EXPECT_EQ(ParseByteSize("2M"), 2u << 20);
  EXPECT_EQ(ParseByteSize("1g"), 1ull << 30);
  EXPECT_FALSE(ParseByteSize(""));
  EXPECT_FALSE(ParseByteSize("m"));
  EXPECT_FALSE(ParseByteSize("2x"));
  EXPECT_FALSE(ParseByteSize("-1"));
  EXPECT_FALSE(ParseByteSize("99999999999999999999g"));
}

TEST(Endpoints, Forms) {
  auto one = ParseEndpoints("127.0.0.1", 11211);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->at(0).host, "127.0.0.1");
  EXPECT_EQ(one->at(0).port, 11211);
  auto list = ParseEndpoints("127.0.0.1:1234,[::1]:99,[::1],localhost", 7);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 4u);
  EXPECT_EQ(list->at(0).port, 1234);
  EXPECT_EQ(list->at(1).host, "::1");
  EXPECT_EQ(list->at(1).port, 99);
  EXPECT_EQ(list->at(2).port, 7);
  EXPECT_EQ(list->at(3).host, "localhost");
  EXPECT_FALSE(ParseEndpoints("host:99999", 1).ok());
  // Found by fuzz/fuzz_toml_config: a host of any bytes was taken, and --print-config
  // then wrote a bind that could not be read back.
  EXPECT_FALSE(ParseEndpoints("127.0. .@@@1:11@@1:112", 1).ok());
  EXPECT_FALSE(ParseEndpoints("[::1 ]:5", 1).ok());
  EXPECT_FALSE(ParseEndpoints("exa mple.com", 1).ok());
  EXPECT_TRUE(ParseEndpoints("[fe80::1%eth0]:5,my-host_1.example.com:6,::ffff:10.0.0.1", 1).ok());
  EXPECT_FALSE(ParseEndpoints("host:", 1).ok());
  EXPECT_FALSE(ParseEndpoints("[::1", 1).ok());
}

TEST(CommandLine, MemcachedFlags) {
  auto parsed = Parse({"-p", "22122", "-m", "128", "-c", "10", "-t", "2", "-I", "2m", "-vv", "-A",
                       "-U", "0", "-P", "/tmp/x.pid"});
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const ServerConfig& c = parsed->config;
  EXPECT_EQ(c.listen.at(0).host, "127.0.0.1");
  EXPECT_EQ(c.listen.at(0).port, 22122);
  EXPECT_EQ(c.cache.l1.max_memory, 128u << 20);
  EXPECT_EQ(c.max_connections, 10u);
  EXPECT_EQ(c.cache.performance.worker_threads, 2u);
  EXPECT_EQ(c.cache.max_item_size, 2u << 20);
  EXPECT_EQ(c.verbosity, 2u);
  EXPECT_TRUE(c.enable_shutdown);
  EXPECT_EQ(c.pid_file, "/tmp/x.pid");
}

TEST(CommandLine, ItemSizeDefaultFollowsTheLargeValuePath) {
  EXPECT_EQ(Parse({})->config.cache.max_item_size, kDefaultMaxItemSizeWithL2);
  EXPECT_EQ(Parse({"--no-l2"})->config.cache.max_item_size, 1u << 20);  // memcached's
  EXPECT_EQ(Parse({"-I", "1m"})->config.cache.max_item_size, 1u << 20);
  EXPECT_EQ(Parse({"-I", "1g", "-m", "16"})->config.cache.max_item_size, 1u << 30);
  // Without L2 every item must fit in half of RAM, as in memcached.
  auto too_big = Parse({"-I", "1g", "-m", "16", "--no-l2"});
  ASSERT_FALSE(too_big.ok());
  EXPECT_NE(too_big.status().message().find("max_item_size"), std::string::npos);
  ServerConfig config;
  ASSERT_TRUE(ApplyToml("[performance]\nlarge_value_threshold = \"64k\"\n[server]\nmax_item_size = \"2m\"\n",
                        "t.toml", &config).ok());
  EXPECT_EQ(config.cache.performance.large_value_threshold, 64u << 10);
  EXPECT_TRUE(config.max_item_size_given);
}

TEST(Toml, L2PromotionModes) {
  ServerConfig config;
  EXPECT_EQ(config.cache.performance.l2_promotion, L2Promotion::kSecondRead);
  ASSERT_TRUE(ApplyToml("[performance]\nl2_promotion = \"always\"\n", "t.toml", &config).ok());
  EXPECT_EQ(config.cache.performance.l2_promotion, L2Promotion::kAlways);
  ASSERT_TRUE(ApplyToml("[performance]\nl2_promotion = \"second_read\"\n", "t.toml", &config).ok());
  EXPECT_EQ(config.cache.performance.l2_promotion, L2Promotion::kSecondRead);
}

TEST(Toml, CompressionSectionApplies) {
  ServerConfig config;
  ASSERT_TRUE(ApplyToml("[compression]\nenable_lz4 = true\ncompression_threshold = 2048\n"
                        "compression_level = 6\n",
                        "t.toml", &config).ok());
  EXPECT_TRUE(config.cache.compression.enable_lz4);
  EXPECT_EQ(config.cache.compression.compression_threshold, 2048u);
  EXPECT_EQ(config.cache.compression.compression_level, 6);
  Status bad = ApplyToml("[compression]\ncompression_level = 13\n", "t.toml", &config);
  EXPECT_NE(bad.message().find("[compression] compression_level"), std::string::npos) << bad.message();
  bad = ApplyToml("[compression]\ncompression_threshold = 8\n", "t.toml", &config);
  EXPECT_NE(bad.message().find("[compression] compression_threshold"), std::string::npos) << bad.message();
}

TEST(CommandLine, ProtocolFollowsSaslAndAsciiAuthAsInMemcached) {
  EXPECT_EQ(Parse({})->config.protocol, BindingProtocol::kAuto);
  EXPECT_EQ(Parse({"-B", "binary"})->config.protocol, BindingProtocol::kBinary);
  EXPECT_EQ(Parse({"--protocol", "ascii"})->config.protocol, BindingProtocol::kAscii);
  auto sasl = Parse({"-S", "--sasl-pwdb", "/etc/pw"});
  ASSERT_TRUE(sasl.ok()) << sasl.status().message();
  EXPECT_EQ(sasl->config.protocol, BindingProtocol::kBinary);
  EXPECT_TRUE(sasl->config.sasl);
  EXPECT_EQ(sasl->config.sasl_pwdb, "/etc/pw");
  EXPECT_EQ(Parse({"-Y", "/etc/auth"})->config.protocol, BindingProtocol::kAscii);
  for (std::vector<const char*> bad : {std::vector<const char*>{"-S", "-B", "auto", "--sasl-pwdb", "x"},
                                       {"-Y", "f", "-B", "binary"},
                                       {"-S", "-Y", "f", "--sasl-pwdb", "x"},
                                       {"-B", "tcp"}}) {
    auto parsed = Parse(bad);
    EXPECT_FALSE(parsed.ok()) << bad[0] << " " << bad[1];
    if (!parsed.ok()) {
      EXPECT_NE(parsed.status().message().find('-'), std::string::npos);
    }
  }
}

TEST(CommandLine, BindAndListen) {
  auto bind = Parse({"--bind", "0.0.0.0:5000"});
  ASSERT_TRUE(bind.ok());
  EXPECT_EQ(bind->config.listen.at(0).host, "0.0.0.0");
  EXPECT_EQ(bind->config.listen.at(0).port, 5000);
  auto listen = Parse({"-l", "127.0.0.1,::1", "-p", "6000"});
  ASSERT_TRUE(listen.ok());
  ASSERT_EQ(listen->config.listen.size(), 2u);
  EXPECT_EQ(listen->config.listen.at(1).port, 6000);
}

TEST(CommandLine, ErrorsNameTheFlag) {
  for (auto [args, fragment] : std::vector<std::pair<std::vector<const char*>, std::string>>{
           {{"-t", "0"}, "-t/--threads"},
           {{"-m", "x"}, "-m/--memory-limit"},
           {{"-I", "huge"}, "-I/--max-item-size"},
           {{"-I", "2g"}, "max_item_size"},
           {{"-U", "1"}, "-U/--udp-port"},
           {{"-c", "0"}, "-c/--conn-limit"},
       }) {
    auto parsed = Parse(args);
    ASSERT_FALSE(parsed.ok()) << fragment;
    EXPECT_NE(parsed.status().message().find(fragment), std::string::npos)
        << parsed.status().message();
  }
}

TEST(CommandLine, HelpAndVersionExitEarly) {
  auto help = Parse({"--help"});
  ASSERT_TRUE(help.ok());
  EXPECT_TRUE(help->exit_now);
  EXPECT_NE(help->output.find("--memory-limit"), std::string::npos);
  auto version = Parse({"-V"});
  ASSERT_TRUE(version.ok());
  EXPECT_NE(version->output.find("rat_memcached"), std::string::npos);
}

TEST(Toml, SeedSectionsApply) {
  ServerConfig config;
  ASSERT_TRUE(ApplyToml(R"(
[l1]
max_memory = 1073741824
max_entries = 100000
eviction_strategy = "Lru"
[ttl]
default_ttl = 3600
max_ttl = 86400
cleanup_interval = 300
[performance]
worker_threads = 4
enable_concurrency = true
[logging]
level = "INFO"
enable_colors = true
show_timestamp = true
enable_logging = true
enable_async = false
buffer_size = 16384
batch_interval_ms = 25
)", "test.toml", &config).ok());
  EXPECT_EQ(config.cache.l1.max_memory, 1073741824u);
  EXPECT_EQ(config.cache.l1.max_entries, 100000u);
  EXPECT_EQ(config.cache.ttl.default_ttl, 3600u);
  EXPECT_EQ(config.cache.ttl.max_ttl, 86400u);
  EXPECT_EQ(config.cache.logging.buffer_size, 16384u);
}

TEST(Toml, L2SectionApplies) {
  ServerConfig config;
  EXPECT_TRUE(config.cache.l2.enable_l2_cache) << "the server persists by default";
  ASSERT_TRUE(ApplyToml(R"(
[l2]
enable_l2_cache = true
data_dir = "/var/lib/rmc"
clear_on_startup = true
max_disk_size = "10g"
write_buffer_size = 67108864
max_write_buffer_number = 4
block_cache_size = "32m"
enable_compression = true
compression = "zstd"
compression_level = 6
background_threads = 2
sync_writes = true
blob_min_size = "4k"
mmap_reads = false
)", "t.toml", &config).ok());
  EXPECT_EQ(config.cache.l2.blob_min_size, 4096u);
  EXPECT_FALSE(config.cache.l2.mmap_reads);
  EXPECT_EQ(config.cache.l2.data_dir, "/var/lib/rmc");
  EXPECT_EQ(config.cache.l2.max_disk_size, 10ull << 30);
  EXPECT_EQ(config.cache.l2.compression, "zstd");
  EXPECT_EQ(config.cache.l2.compression_level, 6);
  EXPECT_TRUE(config.cache.l2.sync_writes);
  auto no_l2 = Parse({"--no-l2"});
  ASSERT_TRUE(no_l2.ok());
  EXPECT_FALSE(no_l2->config.cache.l2.enable_l2_cache);
  auto flags = Parse({"--data-dir", "/tmp/x", "--l2-size", "2g"});
  ASSERT_TRUE(flags.ok());
  EXPECT_EQ(flags->config.cache.l2.data_dir, "/tmp/x");
  EXPECT_EQ(flags->config.cache.l2.max_disk_size, 2ull << 30);
}

TEST(Toml, ErrorsNameTheKey) {
  struct Case {
    const char* text;
    const char* fragment;
  };
  for (const Case& c : {
           Case{"[l1]\nmax_entries = \"many\"\n", "t.toml: [l1] max_entries: must be an integer"},
           Case{"[l1]\nnope = 1\n", "[l1] nope: unknown key"},
           Case{"[server]\nbind = \"x:70000\"\n", "[server] bind"},
           Case{"[performance]\nworker_threads = 0\n", "[performance] worker_threads: must be between 1"},
           Case{"[performance]\nenable_warmup = true\n", "not implemented"},
           Case{"[performance]\nl2_read_mode = \"fast\"\n", "[performance] l2_read_mode: unknown mode 'fast'"},
           Case{"[performance]\nl2_promotion = \"never\"\n", "[performance] l2_promotion: unknown mode 'never'"},
           Case{"[l2]\nl2_write_strategy = \"always\"\n", "[l2] l2_write_strategy: every change"},
           Case{"[l2]\nmax_disk_size = \"lots\"\n", "[l2] max_disk_size"},
           Case{"[logging]\nenable_audit_logs = true\n", "not implemented yet"},
           Case{"title = 1\n", "must be a section"},
       }) {
    ServerConfig config;
    Status status = ApplyToml(c.text, "t.toml", &config);
    ASSERT_FALSE(status.ok()) << c.text;
    EXPECT_NE(status.message().find(c.fragment), std::string::npos) << status.message();
  }
}

// Regression: a directory given as --config was read as an empty file.
TEST(Toml, ConfigFileMustBeARegularFile) {
  ServerConfig config;
  Status status = ApplyTomlFile("/tmp", &config);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("/tmp"), std::string::npos);
  EXPECT_FALSE(ApplyTomlFile("/nonexistent.toml", &config).ok());
}

// Found by fuzz/fuzz_toml_config: a non-ASCII character where toml++ 3.3.0 expects
// whitespace made it reach __builtin_unreachable() (UBSan: "execution reached an
// unreachable program point"). Refused before parsing now; non-ASCII text in strings and
// comments stays fine.
TEST(TomlConfig, NonAsciiOutsideStringsIsRefusedNotParsed) {
  ServerConfig config;
  const Status refused = ApplyToml("[l2]\nenable_l2_cache = true\n\xef\xbb\xb7" "data_dir = \"x\"\n", "f.toml", &config);
  EXPECT_EQ(refused.message(), "f.toml:3: non-ASCII text outside a comment or a one-line key = \"string\"");
  EXPECT_FALSE(ApplyToml("[l2]\ndata_dir = \"x\"\n\xc3\xa9 = 1\n", "f.toml", &config).ok());
  const Status fine = ApplyToml(
      "# caf\xc3\xa9 \xe2\x80\x94 comment\n[l2]\ndata_dir = \"/donn\xc3\xa9" "es \\\" \xef\xbb\xb7\"\n"
      "[logging]\nfile = \'/var/log/\xc3\xa9\'\n",
      "f.toml", &config);
  ASSERT_TRUE(fine.ok()) << fine.message();
  EXPECT_EQ(config.cache.l2.data_dir, "/donn\xc3\xa9" "es \" \xef\xbb\xb7");
  EXPECT_FALSE(ApplyToml("[logging]\nfile = \"\"\"a\n\xc3\xa9\"\"\"\n", "f.toml", &config).ok());
  EXPECT_TRUE(ApplyToml("[logging]\nfile = \"\"\"a\nb # c\"\"\"\n", "f.toml", &config).ok());
  EXPECT_TRUE(ApplyToml("\xef\xbb\xbf[logging]\nlevel = \"info\"\n", "f.toml", &config).ok());  // a BOM
  // The second input the fuzzer found: an unterminated string holding NULs, then
  // non-ASCII text.
  const std::string unterminated("pre.et =-\"proiii\0iii\0\0G\xc2\xb8GGG", 27);
  EXPECT_EQ(ApplyToml(unterminated, "f.toml", &config).message(), "f.toml:1: a control character");
  EXPECT_EQ(ApplyToml("a = \"x\n", "f.toml", &config).message(), "f.toml:1: a string that does not end");
  EXPECT_EQ(ApplyToml(std::string("a = 1\n\0", 7), "f.toml", &config).message(), "f.toml:2: a control character");
  // The third: a "string" inside a bare value is no string to toml++.
  EXPECT_EQ(ApplyToml("Rompressl=++_resBBBrv\"127.0.0.1;\xcf\x93" "211\"\n", "f.toml", &config).message(),
            "f.toml:1: non-ASCII text outside a comment or a one-line key = \"string\"");
  // The fourth: a literal string after a malformed value.
  EXPECT_FALSE(ApplyToml("ceAut = 3bi`k.'......l=+\xcf\x82[.'......\n", "f.toml", &config).ok());
  EXPECT_TRUE(ApplyToml("[\"server\"]\n\"bind\" = \"127.0.0.1\"\n[logging]\nfile = 'x' # \xc3\xa9\n", "f.toml",
                        &config).ok());
}

}  // namespace
}  // namespace ratmemcache::config

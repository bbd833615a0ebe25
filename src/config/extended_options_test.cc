#include <gtest/gtest.h>

#include <vector>

#include "config/server_config.h"

namespace ratmemcache::config {
namespace {

Result<CommandLine> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "rat_memcached");
  return ParseCommandLine(static_cast<int>(args.size()), args.data());
}

TEST(ExtendedOptions, IdleTimeoutAndTlsSettingsTakeEffect) {
  ServerConfig config;
  ASSERT_TRUE(ApplyExtendedOptions("idle_timeout=30,ssl_chain_cert=/c.pem,ssl_key=/k.pem,"
                                   "ssl_verify_mode=2,ssl_min_version=3,ssl_session_cache,"
                                   "ssl_ca_cert=/ca.pem,ssl_ciphers=HIGH,ssl_keyformat=2",
                                   &config)
                  .ok());
  EXPECT_EQ(config.idle_timeout, 30u);
  EXPECT_EQ(config.tls.chain_cert, "/c.pem");
  EXPECT_EQ(config.tls.key, "/k.pem");
  EXPECT_EQ(config.tls.verify_mode, 2u);
  EXPECT_EQ(config.tls.min_version, 3u);
  EXPECT_TRUE(config.tls.session_cache);
  EXPECT_EQ(config.tls.ca_cert, "/ca.pem");
  EXPECT_EQ(config.tls.ciphers, "HIGH");
  EXPECT_EQ(config.tls.key_format, 2u);
  EXPECT_TRUE(config.ignored_options.empty());
}

TEST(ExtendedOptions, MemcachedTuningIsAcceptedAndNoted) {
  ServerConfig config;
  ASSERT_TRUE(ApplyExtendedOptions("modern,slab_reassign,slab_automove=1,hashpower=20,,lru_crawler", &config).ok());
  EXPECT_EQ(config.ignored_options,
            (std::vector<std::string>{"modern", "slab_reassign", "slab_automove=1", "hashpower=20", "lru_crawler"}));
}

TEST(ExtendedOptions, UnknownExtstoreAndBadValuesAreErrors) {
  ServerConfig config;
  Status unknown = ApplyExtendedOptions("bogus=5", &config);
  EXPECT_EQ(unknown.message(), "-o: Illegal suboption \"bogus=5\"");
  EXPECT_NE(ApplyExtendedOptions("ext_path=/tmp/x:1g", &config).message().find("--data-dir"), std::string::npos);
  EXPECT_NE(ApplyExtendedOptions("idle_timeout=abc", &config).message().find("idle_timeout"), std::string::npos);
  EXPECT_FALSE(ApplyExtendedOptions("idle_timeout=", &config).ok());
  EXPECT_FALSE(ApplyExtendedOptions("ssl_verify_mode=4", &config).ok());
  EXPECT_FALSE(ApplyExtendedOptions("ssl_min_version=tls1.2", &config).ok());
  EXPECT_FALSE(ApplyExtendedOptions("ssl_key", &config).ok());
}

TEST(ExtendedOptions, CommandLineNeedsCertificatesForTlsAndTlsForCertificates) {
  EXPECT_FALSE(Parse({"-Z"}).ok());
  EXPECT_FALSE(Parse({"-o", "ssl_chain_cert=/c.pem,ssl_key=/k.pem"}).ok());
  auto both = Parse({"-Z", "-o", "ssl_chain_cert=/c.pem", "-o", "ssl_key=/k.pem,idle_timeout=5"});
  ASSERT_TRUE(both.ok()) << both.status().message();
  EXPECT_EQ(both->config.tls.enabled, RMC_HAVE_TLS != 0);
  EXPECT_EQ(both->config.idle_timeout, 5u);
}

TEST(ExtendedOptions, TomlTlsSectionAndIdleTimeout) {
  ServerConfig config;
  ASSERT_TRUE(ApplyToml("[server]\nidle_timeout = 9\n[tls]\nenabled = true\nchain_cert = \"/c\"\n"
                        "key = \"/k\"\nverify_mode = 1\n",
                        "test", &config)
                  .ok());
  EXPECT_EQ(config.idle_timeout, 9u);
  EXPECT_TRUE(config.tls.enabled);
  EXPECT_EQ(config.tls.verify_mode, 1u);
  EXPECT_FALSE(ApplyToml("[tls]\nverify_mode = 7\n", "test", &config).ok());
  EXPECT_FALSE(ApplyToml("[tls]\nbogus = 1\n", "test", &config).ok());
  // --print-config writes what the reader takes back.
  ServerConfig again;
  ASSERT_TRUE(ApplyToml(ConfigToToml(config), "printed", &again).ok());
  EXPECT_EQ(again.tls.chain_cert, "/c");
  EXPECT_EQ(again.idle_timeout, 9u);
}

}  // namespace
}  // namespace ratmemcache::config

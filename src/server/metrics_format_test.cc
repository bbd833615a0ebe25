#include "server/metrics_format.h"

#include <gtest/gtest.h>

namespace ratmemcache::server {
namespace {

TEST(PrometheusText, CountersGaugesFlagsAndInfo) {
  const StatPairs stats = {{"cmd_get", "12"},        {"curr_items", "3"},    {"rusage_user", "0.25"},
                           {"version", "1.6.18"},   {"l2_enabled", "yes"},  {"l1_bytes", "400"},
                           {"total_items", "9"},    {"rmc_version", "0.1.0"}};
  const std::string text = PrometheusText(stats);
  EXPECT_NE(text.find("# TYPE ratmemcache_cmd_get_total counter\nratmemcache_cmd_get_total 12\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE ratmemcache_curr_items gauge\nratmemcache_curr_items 3\n"), std::string::npos);
  EXPECT_NE(text.find("ratmemcache_rusage_user_total 0.25\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE ratmemcache_l2_enabled gauge\nratmemcache_l2_enabled 1\n"), std::string::npos);
  EXPECT_NE(text.find("ratmemcache_l1_bytes 400\n"), std::string::npos);  // a tier's contents: a gauge
  EXPECT_NE(text.find("ratmemcache_total_items_total 9\n"), std::string::npos);
  EXPECT_NE(text.find("ratmemcache_build_info{version=\"1.6.18\",rmc_version=\"0.1.0\"} 1\n"),
            std::string::npos);
  // Every sample has its HELP and TYPE lines first.
  EXPECT_EQ(text.rfind("# HELP ratmemcache_cmd_get_total", 0), 0u);
}

TEST(PrometheusText, LabelValuesAreEscaped) {
  EXPECT_NE(PrometheusText({{"version", "a\"b\\c\nd"}}).find("version=\"a\\\"b\\\\c\\nd\""),
            std::string::npos);
}

TEST(StatsJson, NumbersStayNumbersAndStringsAreEscaped) {
  EXPECT_EQ(StatsJson({{"cmd_get", "12"}, {"rusage_user", "0.25"}, {"version", "1.6.18"},
                       {"odd", "a\"b\\\n\x01"}, {"l2_enabled", "no"}}),
            "{\"cmd_get\":12,\"rusage_user\":0.25,\"version\":\"1.6.18\","
            "\"odd\":\"a\\\"b\\\\\\n\\u0001\",\"l2_enabled\":\"no\"}");
  EXPECT_EQ(StatsJson({}), "{}");
}

TEST(IsCounterStat, Classification) {
  for (const char* counter : {"cmd_get", "get_hits", "bytes_read", "evictions", "total_connections",
                              "l2_promotions", "l2_get_hits", "uptime", "compression_saved_bytes"}) {
    EXPECT_TRUE(IsCounterStat(counter)) << counter;
  }
  for (const char* gauge : {"curr_items", "bytes", "curr_connections", "limit_maxbytes", "l1_items",
                            "l2_bytes", "l2_write_behind_items", "hash_bytes", "threads",
                            "extstore_objects_used", "extstore_bytes_used"}) {
    EXPECT_FALSE(IsCounterStat(gauge)) << gauge;
  }
}

}  // namespace
}  // namespace ratmemcache::server

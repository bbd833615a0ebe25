#pragma once

// The figures of "stats" and "stats tiers" for machines: Prometheus text exposition
// format (version 0.0.4) and a flat JSON object. Pure functions of the collected pairs;
// thread-safe.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/stats_report.h"

namespace ratmemcache::server {

using StatPairs = std::vector<std::pair<std::string, std::string>>;

// A StatsSink that keeps every statistic, in order.
class CollectingStatsSink final : public StatsSink {
 public:
  void Stat(std::string_view name, std::string_view value) override {
    stats_.emplace_back(std::string(name), std::string(value));
  }
  void End() override {}
  const StatPairs& stats() const { return stats_; }

 private:
  StatPairs stats_;
};

// One metric per numeric statistic, named "ratmemcache_<stat>": counters (cumulative
// figures such as cmd_get, get_hits, bytes_read, evictions) with the suffix "_total",
// gauges (current figures such as curr_items, bytes, curr_connections) without; "yes" and
// "no" become gauges 1 and 0; the text ones (version, rmc_version) become labels of
// ratmemcache_build_info. Each with # HELP and # TYPE lines.
std::string PrometheusText(const StatPairs& stats);

// {"name": value, ...}: numbers as JSON numbers, everything else as strings.
std::string StatsJson(const StatPairs& stats);

// True for statistics that only grow (exported as counters).
bool IsCounterStat(std::string_view name);

}  // namespace ratmemcache::server

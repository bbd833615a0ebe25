// rmc_sim: a cache simulator that replays request traces against the real RAM tier
// (src/ram/RamTier, not a model of it) under every eviction policy and prints miss
// ratios. Each get that misses is followed by a set of the object, as a look-aside
// cache client does.
//
//   build/bench/rmc_sim                          the standard suite (docs/eviction.md)
//   build/bench/rmc_sim --workload zipf:0.8 --keys 1000000 --requests 4000000
//   build/bench/rmc_sim --workload csv:trace.csv --cache-sizes 10000,100000
//
// Workloads: zipf:ALPHA (Zipf over --keys keys, 100-byte values), scan (Zipf 1.0 with a
// scan of 50,000 one-time keys after every 150,000 requests), shift (Zipf 1.0 whose
// popular keys move to a disjoint set halfway), sizes (Zipf 0.9, values of 64 B to 8 KiB
// fixed per key; cache sized in bytes), batch (Zipf 1.0 look-aside traffic; every 100,000
// requests a job writes 5,000 new keys and reads them back 20,000 requests later: the
// write-then-read-later pattern of a cache filled ahead of use), csv:FILE (lines "time,key,size[,op]", op get
// (default), set or delete; a header line is skipped).
// Cache sizes: --cache-sizes N,N,... in objects (bytes for "sizes"), or by default 0.1%,
// 1% and 10% of the keys (of all objects' bytes for "sizes").
// Output: a table on stdout; --csv FILE also writes workload,cache_size,policy,miss_ratio.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "common/expiry_clock.h"
#include "common/hash.h"
#include "ram/ram_tier.h"

namespace {

using namespace ratmemcache;

// One request of a trace.
struct Request {
  uint64_t key;
  uint32_t size;
  char op;  // 'g' get, 's' set, 'd' delete
};

using Trace = std::vector<Request>;

// Zipf(alpha) over [0, n) by binary search in the cumulative distribution.
class Zipf {
 public:
  Zipf(uint64_t n, double alpha) : cdf_(n) {
    double sum = 0;
    for (uint64_t i = 0; i < n; ++i) cdf_[i] = (sum += 1.0 / std::pow(static_cast<double>(i + 1), alpha));
    for (double& c : cdf_) c /= sum;
  }
  uint64_t operator()(std::mt19937_64& rng) const {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return static_cast<uint64_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }

 private:
  std::vector<double> cdf_;
};

// Ranks are spread over the key space so that popular keys are not neighbours.
uint64_t Scatter(uint64_t rank, uint64_t keys) { return (rank * 2654435761ull) % keys; }

// Keys drawn from Zipf(alpha) over [0, keys), scattered, from a seeded generator.
class ZipfKeys {
 public:
  ZipfKeys(uint64_t keys, double alpha, uint64_t seed) : keys_(keys), zipf_(keys, alpha), rng_(seed) {}
  uint64_t Next() { return Scatter(zipf_(rng_), keys_); }

 private:
  uint64_t keys_;
  Zipf zipf_;
  std::mt19937_64 rng_;
};

struct Workload {
  std::string name;
  Trace trace;
  bool sized_in_bytes = false;
  uint64_t unique_objects = 0;
  uint64_t unique_bytes = 0;
};

void CountUnique(Workload& w) {
  std::vector<std::pair<uint64_t, uint32_t>> seen;
  seen.reserve(w.trace.size());
  for (const Request& r : w.trace) seen.emplace_back(r.key, r.size);
  std::sort(seen.begin(), seen.end());
  seen.erase(std::unique(seen.begin(), seen.end(),
                         [](const auto& a, const auto& b) { return a.first == b.first; }),
             seen.end());
  w.unique_objects = seen.size();
  for (const auto& [key, size] : seen) w.unique_bytes += size;
}

Workload ZipfWorkload(double alpha, uint64_t keys, uint64_t requests, uint64_t seed) {
  Workload w;
  char name[32];
  std::snprintf(name, sizeof name, "zipf %.1f", alpha);
  w.name = name;
  ZipfKeys zipf(keys, alpha, seed);
  w.trace.reserve(requests);
  for (uint64_t i = 0; i < requests; ++i) w.trace.push_back({zipf.Next(), 100, 'g'});
  return w;
}

Workload ScanWorkload(uint64_t keys, uint64_t requests, uint64_t seed) {
  Workload w;
  w.name = "zipf 1.0 + scans";
  ZipfKeys zipf(keys, 1.0, seed);
  uint64_t next_scan_key = keys;  // scans read keys no other request uses
  while (w.trace.size() < requests) {
    for (int i = 0; i < 150000 && w.trace.size() < requests; ++i) w.trace.push_back({zipf.Next(), 100, 'g'});
    for (int i = 0; i < 50000 && w.trace.size() < requests; ++i) w.trace.push_back({next_scan_key++, 100, 'g'});
  }
  return w;
}

Workload ShiftWorkload(uint64_t keys, uint64_t requests, uint64_t seed) {
  Workload w;
  w.name = "working-set shift";
  ZipfKeys zipf(keys, 1.0, seed);
  for (uint64_t i = 0; i < requests; ++i) {
    const uint64_t offset = i < requests / 2 ? 0 : keys;  // the second half: other keys
    w.trace.push_back({offset + zipf.Next(), 100, 'g'});
  }
  return w;
}

Workload BatchWorkload(uint64_t keys, uint64_t requests, uint64_t seed) {
  Workload w;
  w.name = "zipf 1.0 + batches";
  ZipfKeys zipf(keys, 1.0, seed);
  uint64_t next_batch_key = keys;  // batch keys are used by no other request
  auto background = [&](int count) {
    for (int i = 0; i < count && w.trace.size() < requests; ++i) w.trace.push_back({zipf.Next(), 100, 'g'});
  };
  while (w.trace.size() < requests) {
    background(75000);
    const uint64_t first = next_batch_key;
    for (int i = 0; i < 5000; ++i) w.trace.push_back({next_batch_key++, 100, 's'});
    background(20000);
    for (uint64_t k = first; k < next_batch_key && w.trace.size() < requests; ++k) {
      w.trace.push_back({k, 100, 'g'});
    }
  }
  return w;
}

Workload SizesWorkload(uint64_t keys, uint64_t requests, uint64_t seed) {
  Workload w;
  w.name = "mixed sizes (zipf 0.9)";
  w.sized_in_bytes = true;
  ZipfKeys zipf(keys, 0.9, seed);
  for (uint64_t i = 0; i < requests; ++i) {
    const uint64_t key = zipf.Next();
    const uint32_t size = 64u << (HashKey(std::to_string(key)) % 8);  // 64 B .. 8 KiB
    w.trace.push_back({key, size, 'g'});
  }
  return w;
}

// "time,key,size[,op]" lines. Returns false (with a message) on an unreadable file.
bool CsvWorkload(const std::string& path, Workload* w) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "rmc_sim: cannot read %s\n", path.c_str());
    return false;
  }
  w->name = "csv " + path;
  w->sized_in_bytes = true;
  std::string line;
  size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::stringstream split(line);
    for (std::string field; std::getline(split, field, ',');) fields.push_back(field);
    if (fields.size() < 3) {
      std::fprintf(stderr, "rmc_sim: %s line %zu: expected time,key,size[,op]\n", path.c_str(), number);
      return false;
    }
    char* end = nullptr;
    const unsigned long long size = std::strtoull(fields[2].c_str(), &end, 10);
    if (end == fields[2].c_str() || *end != '\0') {
      if (number == 1) continue;  // a header
      std::fprintf(stderr, "rmc_sim: %s line %zu: size '%s' is not a number\n", path.c_str(), number,
                   fields[2].c_str());
      return false;
    }
    char op = 'g';
    if (fields.size() > 3) {
      const std::string& o = fields[3];
      if (o == "set" || o == "SET") op = 's';
      else if (o == "delete" || o == "DELETE" || o == "del") op = 'd';
      else if (o != "get" && o != "GET" && !o.empty()) {
        std::fprintf(stderr, "rmc_sim: %s line %zu: op '%s' is not get, set or delete\n", path.c_str(),
                     number, o.c_str());
        return false;
      }
    }
    w->trace.push_back({HashKey(fields[1]), static_cast<uint32_t>(std::min<unsigned long long>(size, 1u << 20)), op});
  }
  return true;
}

// Replays `trace` on a RAM tier of `capacity` (objects, or bytes) under `policy`; returns
// the miss ratio of the gets.
double Replay(const Workload& w, uint64_t capacity, EvictionStrategy policy, uint32_t stripes) {
  ExpiryClock clock;
  ram::RamTierOptions options;
  options.eviction = policy;
  options.stripes = stripes;
  options.max_item_size = 2u << 20;
  if (w.sized_in_bytes) {
    options.max_memory = capacity;
  } else {
    options.max_entries = capacity;
    options.max_memory = 1ull << 40;
  }
  ram::RamTier tier(options, &clock);
  uint64_t gets = 0, misses = 0;
  char key[24];
  for (const Request& r : w.trace) {
    const std::string_view k(key, static_cast<size_t>(std::snprintf(key, sizeof key, "%llx",
                                                                      static_cast<unsigned long long>(r.key))));
    if (r.op == 'd') {
      tier.Delete(k).IgnoreError();
      continue;
    }
    if (r.op == 'g') {
      ++gets;
      if (tier.Get(k).ok()) continue;
      ++misses;
    }
    Result<WritableItem> item = tier.Allocate(k, r.size, 0, 0);
    if (item.ok()) tier.Store(StoreMode::kSet, std::move(item).value(), 0).IgnoreError();
  }
  return gets == 0 ? 0 : static_cast<double>(misses) / gets;
}

std::vector<uint64_t> ParseList(const std::string& text) {
  std::vector<uint64_t> out;
  std::stringstream split(text);
  for (std::string item; std::getline(split, item, ',');) out.push_back(std::stoull(item));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string workload_arg, csv_out, sizes_arg, policies_arg;
  uint64_t keys = 1000000, requests = 4000000;
  uint32_t stripes = ram::RamTierOptions{}.stripes;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "rmc_sim: %s needs a value\n", flag.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (flag == "--workload") workload_arg = value();
    else if (flag == "--keys") keys = std::stoull(value());
    else if (flag == "--requests") requests = std::stoull(value());
    else if (flag == "--cache-sizes") sizes_arg = value();
    else if (flag == "--policies") policies_arg = value();
    else if (flag == "--stripes") stripes = static_cast<uint32_t>(std::stoul(value()));
    else if (flag == "--csv") csv_out = value();
    else {
      std::fprintf(stderr, "rmc_sim: unknown flag %s (see the top of bench/rmc_sim.cc)\n", flag.c_str());
      return 2;
    }
  }
  std::vector<EvictionStrategy> policies;
  if (policies_arg.empty()) {
    policies = {EvictionStrategy::kLru,    EvictionStrategy::kLfu,  EvictionStrategy::kFifo,
                EvictionStrategy::kHybrid, EvictionStrategy::kTtl,  EvictionStrategy::kS3Fifo,
                EvictionStrategy::kSieve};
  } else {
    std::stringstream split(policies_arg);
    for (std::string name; std::getline(split, name, ',');) {
      std::optional<EvictionStrategy> p = ParseEvictionStrategy(name);
      if (!p) {
        std::fprintf(stderr, "rmc_sim: unknown policy %s (valid: %s)\n", name.c_str(),
                     std::string(EvictionStrategyNames()).c_str());
        return 2;
      }
      policies.push_back(*p);
    }
  }

  std::vector<std::function<Workload()>> workloads;
  const uint64_t seed = 42;
  if (workload_arg.empty()) {
    for (double alpha : {0.6, 0.8, 1.0, 1.2}) {
      workloads.push_back([=] { return ZipfWorkload(alpha, keys, requests, seed); });
    }
    workloads.push_back([=] { return ScanWorkload(keys, requests, seed); });
    workloads.push_back([=] { return ShiftWorkload(keys, requests, seed); });
    workloads.push_back([=] { return BatchWorkload(keys, requests, seed); });
    workloads.push_back([=] { return SizesWorkload(keys, requests, seed); });
  } else if (workload_arg.rfind("zipf:", 0) == 0) {
    const double alpha = std::stod(workload_arg.substr(5));
    workloads.push_back([=] { return ZipfWorkload(alpha, keys, requests, seed); });
  } else if (workload_arg == "scan") {
    workloads.push_back([=] { return ScanWorkload(keys, requests, seed); });
  } else if (workload_arg == "shift") {
    workloads.push_back([=] { return ShiftWorkload(keys, requests, seed); });
  } else if (workload_arg == "batch") {
    workloads.push_back([=] { return BatchWorkload(keys, requests, seed); });
  } else if (workload_arg == "sizes") {
    workloads.push_back([=] { return SizesWorkload(keys, requests, seed); });
  } else if (workload_arg.rfind("csv:", 0) == 0) {
    Workload w;
    if (!CsvWorkload(workload_arg.substr(4), &w)) return 1;
    workloads.push_back([w] { return w; });
  } else {
    std::fprintf(stderr, "rmc_sim: unknown workload %s (zipf:ALPHA, scan, shift, batch, sizes, csv:FILE)\n",
                 workload_arg.c_str());
    return 2;
  }

  std::FILE* csv = nullptr;
  if (!csv_out.empty()) {
    csv = std::fopen(csv_out.c_str(), "w");
    if (csv == nullptr) {
      std::fprintf(stderr, "rmc_sim: cannot write %s\n", csv_out.c_str());
      return 1;
    }
    std::fprintf(csv, "workload,cache_size,policy,miss_ratio\n");
  }
  std::printf("%-24s %12s", "workload", "cache size");
  for (EvictionStrategy p : policies) std::printf(" %8s", std::string(EvictionStrategyName(p)).c_str());
  std::printf("\n");
  for (const auto& make : workloads) {
    Workload w = make();
    CountUnique(w);
    std::vector<uint64_t> sizes;
    if (!sizes_arg.empty()) {
      sizes = ParseList(sizes_arg);
    } else {
      const uint64_t total = w.sized_in_bytes ? w.unique_bytes : w.unique_objects;
      for (double fraction : {0.001, 0.01, 0.1}) {
        sizes.push_back(std::max<uint64_t>(static_cast<uint64_t>(total * fraction), 64));
      }
    }
    for (uint64_t size : sizes) {
      std::printf("%-24s %12llu", w.name.c_str(), static_cast<unsigned long long>(size));
      std::fflush(stdout);
      for (EvictionStrategy p : policies) {
        const double ratio = Replay(w, size, p, stripes);
        std::printf(" %8.4f", ratio);
        std::fflush(stdout);
        if (csv != nullptr) {
          std::fprintf(csv, "%s,%llu,%s,%.6f\n", w.name.c_str(), static_cast<unsigned long long>(size),
                       std::string(EvictionStrategyName(p)).c_str(), ratio);
        }
      }
      std::printf("\n");
    }
  }
  if (csv != nullptr) std::fclose(csv);
  return 0;
}

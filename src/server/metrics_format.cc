#include "server/metrics_format.h"

#include <algorithm>
#include <array>

namespace ratmemcache::server {
namespace {

bool IsNumber(std::string_view text) {
  if (text.empty()) return false;
  bool digits = false;
  bool dot = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') {
      digits = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else if (c == '-' && i == 0) {
    } else {
      return false;
    }
  }
  return digits;
}

// Stats that are current values, not running totals.
constexpr std::array<std::string_view, 15> kGauges = {
    "pid",      "time",        "pointer_size", "max_connections", "curr_connections",
    "connection_structures", "limit_maxbytes", "accepting_conns", "threads", "hash_bytes",
    "lock_stripes", "bytes",   "curr_items",   "stream_upload_bytes", "l2_enabled"};

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Prometheus label values escape backslash, quote and newline.
std::string LabelValue(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void JsonString(std::string_view text, std::string& out) {
  out += '"';
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[(c >> 4) & 0xf];
          out += kHex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

}  // namespace

// Totals whose names would otherwise read as current values.
constexpr std::array<std::string_view, 1> kCountersByName = {"compression_saved_bytes"};
// Current values whose names would otherwise read as totals (memcached's extstore names).
constexpr std::array<std::string_view, 2> kMoreGauges = {"extstore_objects_used", "extstore_bytes_used"};

bool IsCounterStat(std::string_view name) {
  if (std::find(kCountersByName.begin(), kCountersByName.end(), name) != kCountersByName.end()) return true;
  if (std::find(kGauges.begin(), kGauges.end(), name) != kGauges.end()) return false;
  if (std::find(kMoreGauges.begin(), kMoreGauges.end(), name) != kMoreGauges.end()) return false;
  if (name.rfind("total_", 0) == 0) return true;
  // Tier figures: items and bytes held now, limits, queue depths.
  if (EndsWith(name, "_items") || EndsWith(name, "_bytes") || EndsWith(name, "limit_maxbytes")) {
    return false;
  }
  return true;
}

std::string PrometheusText(const StatPairs& stats) {
  std::string out;
  std::string info_labels;
  for (const auto& [name, value] : stats) {
    std::string number;
    bool is_flag = false;
    if (IsNumber(value)) {
      number = value;
    } else if (value == "yes" || value == "no") {
      number = value == "yes" ? "1" : "0";
      is_flag = true;
    } else {
      if (!info_labels.empty()) info_labels += ',';
      info_labels += name + "=\"" + LabelValue(value) + "\"";
      continue;
    }
    const bool counter = !is_flag && IsCounterStat(name);
    const std::string metric = "ratmemcache_" + name + (counter ? "_total" : "");
    out += "# HELP " + metric + " memcached-style statistic \"" + name + "\"" +
           (is_flag ? " (1 = yes)" : "") + "\n";
    out += "# TYPE " + metric + (counter ? " counter\n" : " gauge\n");
    out += metric + " " + number + "\n";
  }
  if (!info_labels.empty()) {
    out += "# HELP ratmemcache_build_info versions of the server\n";
    out += "# TYPE ratmemcache_build_info gauge\n";
    out += "ratmemcache_build_info{" + info_labels + "} 1\n";
  }
  return out;
}

std::string StatsJson(const StatPairs& stats) {
  std::string out = "{";
  bool first = true;
  for (const auto& [name, value] : stats) {
    if (!first) out += ',';
    first = false;
    JsonString(name, out);
    out += ':';
    if (IsNumber(value) && value.front() != '-' && value.front() != '.') {
      out += value;
    } else {
      JsonString(value, out);
    }
  }
  out += '}';
  return out;
}

}  // namespace ratmemcache::server

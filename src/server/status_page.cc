// The read-only status page served at / by --metrics-port (see http_status.h). Plain HTML
// and a small script, no external resources: it reads /status.json every second and fills
// in the figures. Each figure's element has the id "v-<name>", for people and tests alike.

#include "server/http_status.h"

namespace ratmemcache::server {

const std::string_view kStatusPageHtml = R"HTML(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>rat_memcached status</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; }
table { border-collapse: collapse; margin: 0 2em 1.5em 0; display: inline-table; vertical-align: top; }
th { text-align: left; padding: 0.3em 1em 0.3em 0; font-weight: normal; color: #555; }
td { text-align: right; padding: 0.3em 0; font-variant-numeric: tabular-nums; min-width: 8em; }
caption { text-align: left; font-weight: bold; padding-bottom: 0.4em; }
#state { color: #555; font-size: 0.9em; }
</style>
</head>
<body>
<h1>rat_memcached <span id="v-rmc_version"></span> (memcached <span id="v-version"></span>)</h1>
<p id="state">loading…</p>
<table>
<caption>Cache</caption>
<tr><th>items</th><td id="v-curr_items"></td></tr>
<tr><th>memory used</th><td id="v-bytes"></td></tr>
<tr><th>memory limit</th><td id="v-limit_maxbytes"></td></tr>
<tr><th>memory used %</th><td id="v-memory_pct"></td></tr>
<tr><th>hit ratio</th><td id="v-hit_ratio"></td></tr>
<tr><th>gets</th><td id="v-cmd_get"></td></tr>
<tr><th>sets</th><td id="v-cmd_set"></td></tr>
<tr><th>evictions</th><td id="v-evictions"></td></tr>
</table>
<table>
<caption>Tiers</caption>
<tr><th>RAM items</th><td id="v-l1_items"></td></tr>
<tr><th>RAM bytes</th><td id="v-l1_bytes"></td></tr>
<tr><th>persistent tier</th><td id="v-l2_enabled"></td></tr>
<tr><th>disk items</th><td id="v-l2_items"></td></tr>
<tr><th>disk bytes</th><td id="v-l2_bytes"></td></tr>
<tr><th>disk hits</th><td id="v-l2_get_hits"></td></tr>
<tr><th>disk misses</th><td id="v-l2_get_misses"></td></tr>
<tr><th>waiting for disk</th><td id="v-l2_write_behind_items"></td></tr>
</table>
<table>
<caption>Server</caption>
<tr><th>connections</th><td id="v-curr_connections"></td></tr>
<tr><th>connections total</th><td id="v-total_connections"></td></tr>
<tr><th>threads</th><td id="v-threads"></td></tr>
<tr><th>uptime (s)</th><td id="v-uptime"></td></tr>
<tr><th>bytes read</th><td id="v-bytes_read"></td></tr>
<tr><th>bytes written</th><td id="v-bytes_written"></td></tr>
</table>
<p><a href="/metrics">/metrics</a> (Prometheus) · <a href="/status.json">/status.json</a></p>
<script>
"use strict";
let refreshes = 0;
function show(id, text) {
  const cell = document.getElementById("v-" + id);
  if (cell) cell.textContent = text;
}
function percent(part, whole) {
  return whole > 0 ? (100 * part / whole).toFixed(1) + "%" : "-";
}
async function refresh() {
  try {
    const reply = await fetch("/status.json", {cache: "no-store"});
    const stats = await reply.json();
    for (const [name, value] of Object.entries(stats)) show(name, String(value));
    show("hit_ratio", percent(stats.get_hits, stats.get_hits + stats.get_misses));
    show("memory_pct", percent(stats.bytes, stats.limit_maxbytes));
    refreshes += 1;
    document.getElementById("state").textContent =
        "live: refreshed " + refreshes + " time(s), last at " + new Date().toLocaleTimeString();
    document.getElementById("state").dataset.refreshes = String(refreshes);
  } catch (error) {
    document.getElementById("state").textContent = "cannot reach the server: " + error;
  }
}
refresh();
setInterval(refresh, 1000);
</script>
</body>
</html>
)HTML";

}  // namespace ratmemcache::server

#pragma once

// The text of memcached's "stats" and "stats settings" replies, with memcached's field
// names and order. Only fields that mean something for RatMemCache are printed; see
// docs/compatibility.md for the ones left out.

#include "common/output_buffer.h"
#include "server/server_context.h"

namespace ratmemcache::server {

// Appends the general statistics ("STAT name value" lines, then "END").
void WriteGeneralStats(ServerContext& context, OutputBuffer& out);
// Appends "stats settings".
void WriteSettingsStats(ServerContext& context, OutputBuffer& out);

}  // namespace ratmemcache::server

#pragma once

// The text of memcached's "stats" and "stats settings" replies, with memcached's field
// names and order. Only fields that mean something for RatMemCache are printed; see
// docs/compatibility.md for the ones left out.

#include <string_view>

#include "common/output_buffer.h"
#include "server/server_context.h"

namespace ratmemcache::server {

// Where a stats reply goes: memcached's text lines or its binary packets.
class StatsSink {
 public:
  virtual ~StatsSink() = default;
  // One statistic.
  virtual void Stat(std::string_view name, std::string_view value) = 0;
  // The end of the reply ("END" in text, an empty packet in binary).
  virtual void End() = 0;
};

// "STAT <name> <value>\r\n" lines and "END\r\n", appended to an OutputBuffer.
class TextStatsSink final : public StatsSink {
 public:
  explicit TextStatsSink(OutputBuffer& out) : out_(out) {}
  void Stat(std::string_view name, std::string_view value) override;
  void End() override { out_.Append("END\r\n"); }

 private:
  OutputBuffer& out_;
};

// Appends the general statistics ("STAT name value" lines, then "END").
void WriteGeneralStats(ServerContext& context, StatsSink& out);
// Appends "stats settings".
void WriteSettingsStats(ServerContext& context, StatsSink& out);
// Appends "stats items": per memcached slab class holding RAM items, the fields that
// have a meaning here (memcached's names; the LRU-segment and crawler ones are left out).
void WriteItemsStats(ServerContext& context, StatsSink& out);
// Appends "stats conns": per socket (listeners too), in file-descriptor order,
// "<fd>:addr", "<fd>:listen_addr" (client connections only), "<fd>:state" and
// "<fd>:secs_since_last_cmd", as memcached.
void WriteConnsStats(ServerContext& context, StatsSink& out);
// Appends "stats tiers" (ours): per tier its items, bytes, hits and misses, and the
// traffic between them (promotions, demotions, write-behind queue).
void WriteTiersStats(ServerContext& context, StatsSink& out);
// Appends "stats slabs": per class, chunk_size and the items in it (used_chunks; this
// server allocates exactly, so total_chunks = used_chunks and there are no free chunks),
// then active_slabs and total_malloced (bytes of RAM items).
void WriteSlabsStats(ServerContext& context, StatsSink& out);

}  // namespace ratmemcache::server

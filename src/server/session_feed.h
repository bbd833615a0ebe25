#pragma once

// Drives a Session the way the network layer does, without sockets: for unit tests and
// the fuzz targets (fuzz/).

#include <string>
#include <string_view>

#include "common/output_buffer.h"
#include "common/session.h"

namespace ratmemcache::server {

// Feeds `input` to `session` in pieces of `chunk` bytes (unconsumed bytes are offered
// again with the next piece, as the network layer does; a reply written in parts is
// continued each time the output is drained) and returns everything it wrote.
// Stops when the session wants the connection closed.
inline std::string FeedInPieces(Session& session, std::string_view input, size_t chunk) {
  BlockPool pool;
  OutputBuffer out(&pool);
  std::string pending;
  std::string output;
  for (size_t at = 0; at < input.size() && !session.WantsClose(); at += chunk) {
    pending.append(input.substr(at, chunk));
    for (;;) {
      const size_t used = session.OnInput(pending, out);
      pending.erase(0, used);
      const bool drained_something = !out.empty();
      while (!out.empty()) {
        size_t taken = 0;
        OutputSegment segments[64];
        const size_t count = out.Front(segments, 64);
        for (size_t i = 0; i < count; ++i) {
          output.append(segments[i].data, segments[i].size);
          taken += segments[i].size;
        }
        out.Consume(taken);
        if (out.empty() && session.HasMoreOutput()) session.ContinueOutput(out);
      }
      if (session.WantsClose() || used == 0 || (!drained_something && pending.empty())) break;
    }
  }
  return output;
}

}  // namespace ratmemcache::server

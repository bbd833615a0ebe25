#pragma once

// Session: the seam between the network layer and the layers that understand bytes.
// The network layer owns sockets and buffers and knows nothing of protocols; for each
// connection it asks a SessionFactory for a Session and hands it every byte received.
//
// Thread-safety: a Session is used by one worker thread only. A SessionFactory is called
// from every worker thread and must be thread-safe.

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>

#include "common/output_buffer.h"

namespace ratmemcache {

class Session {
 public:
  virtual ~Session() = default;

  // Consumes a prefix of `input` (the bytes received and not consumed so far), appending
  // replies to `out`, and returns its length. The session stops early when a request is
  // incomplete, when it wants the connection closed, or when `out` holds more than it
  // should (back-pressure); the network layer offers the rest again once more bytes have
  // arrived or `out` has drained.
  virtual size_t OnInput(std::string_view input, OutputBuffer& out) = 0;

  // True once the connection should close after `out` has been sent.
  virtual bool WantsClose() const = 0;

  // Where the session is in its input, for "stats conns" (memcached's conn_nread and
  // conn_swallow states).
  enum class InputState : uint8_t { kCommand, kData, kSkipping };
  virtual InputState input_state() const { return InputState::kCommand; }

  // Work that may block (a read from the persistent tier) runs off the event loop: the
  // session hands it to another thread and reports Busy(). The network layer then offers
  // no input and waits for the `wake` function (given once, before any input; callable
  // from any thread, at most once per busy period) to be called; back on the connection's
  // thread it calls Resume(), which appends the replies, and carries on.
  virtual void SetWaker(std::function<void()> wake) {}
  virtual bool Busy() const { return false; }
  virtual void Resume(OutputBuffer& out) {}

  // A reply too large to queue at once (a streamed value) is written in parts: while
  // HasMoreOutput(), the session takes no input, and the network layer calls
  // ContinueOutput() each time `out` has been sent, which appends the next part.
  virtual bool HasMoreOutput() const { return false; }
  virtual void ContinueOutput(OutputBuffer& out) {}
};

class SessionFactory {
 public:
  virtual ~SessionFactory() = default;
  // A session for a new connection served by worker thread `worker_index`.
  virtual std::unique_ptr<Session> NewSession(unsigned worker_index) = 0;
};

}  // namespace ratmemcache

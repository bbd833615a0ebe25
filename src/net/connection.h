#pragma once

// Connection: one client socket on one worker thread. Reads, hands the bytes to its
// Session, sends the replies with gathered writes, and waits on the socket only when it
// has to (reads until the socket would block; writes until everything is sent).
// Worker-thread only; kept alive by shared_ptr while an asynchronous wait is pending.

#include <asio.hpp>
#include <memory>
#include <string>
#include <vector>

#include "common/output_buffer.h"
#include "common/session.h"

namespace ratmemcache::net {

class Worker;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // Reads served before giving other connections of the worker a turn.
  static constexpr int kReadsPerTurn = 16;

  Connection(Worker* worker, asio::ip::tcp::socket socket, std::unique_ptr<Session> session);
  ~Connection();

  void Start();
  // Stop reading; close once the requests already received are answered and sent.
  void BeginDrain();
  // Close now.
  void Close();

 private:
  enum class FlushResult { kDone, kBlocked, kFailed };

  // Runs the connection until it must wait for the socket.
  void Drive();
  FlushResult Flush();
  // Hands buffered input to the session. Returns true if it consumed anything.
  bool ProcessBuffered();
  void ProcessFresh(size_t n);
  void KeepUnconsumed(std::string_view rest);
  void WaitReadable();
  void WaitWritable();

  Worker* worker_;
  asio::ip::tcp::socket socket_;
  std::unique_ptr<Session> session_;
  OutputBuffer out_;
  // Received bytes the session has not consumed yet: in_[in_begin_, in_end_).
  std::vector<char> in_;
  size_t in_begin_ = 0;
  size_t in_end_ = 0;
  // The session needs more bytes than in_ holds before it can do anything.
  bool in_stalled_ = false;
  // The last read emptied the socket.
  bool drained_ = false;
  bool waiting_ = false;
  bool draining_ = false;
  bool closed_ = false;
};

}  // namespace ratmemcache::net

#pragma once

// Connection: one client socket on one worker thread. Reads, hands the bytes to its
// Session, sends the replies with gathered writes, and waits on the socket only when it
// has to.
//
// Waiting for input is an asynchronous read: Asio's reactor reads as soon as the socket is
// ready and, after a short read, does not re-arm epoll for the next wait (an async_wait
// would cost an epoll_ctl per request). An idle connection waits on a small buffer inside
// it; one whose reads keep filling that buffer (pipelining clients) borrows a 16 KiB
// block from the worker until its reads are small again. Input larger than the wait
// buffer continues with direct reads into the worker's scratch buffer.
// While the session is Busy() (a read handed off the event loop) the connection neither
// reads nor offers input; the session's waker posts OnSessionReady() back to this thread.
// Worker-thread only; kept alive by shared_ptr while an asynchronous operation is pending.

#include <asio.hpp>
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "common/output_buffer.h"
#include "common/session.h"
#include "net/connection_registry.h"
#include "net/socket.h"
#include "net/tls.h"

namespace ratmemcache::net {

class Worker;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // Reads served before giving other connections of the worker a turn.
  static constexpr int kReadsPerTurn = 16;
  // Bytes of the buffer an idle connection waits on: most requests fit in one read.
  static constexpr size_t kWaitBufferSize = 256;
  // Consecutive small reads after which a borrowed wait block goes back to the worker.
  static constexpr int kSmallReadsBeforeShrink = 64;

  // `tls`: the connection's TLS session, or null for plain TCP.
  Connection(Worker* worker, Socket socket, std::unique_ptr<Session> session,
             TlsChannelPtr tls = nullptr);
  ~Connection();

  void Start();
  // Seconds (on ConnectionRegistry's clock) since the client last sent bytes or took
  // any of the output waiting for it; 0 while the session is working on a request.
  int64_t IdleSeconds(int64_t now);
  // Stop reading; close once the requests already received are answered and sent.
  void BeginDrain();
  // Close now.
  void Close();

 private:
  friend class Worker;  // keeps the intrusive list of its connections
  enum class FlushResult { kDone, kBlocked, kFailed };

  // Runs the connection until it must wait for the socket.
  void Drive();
  // Drive() again later, after the worker's other connections had a turn.
  void YieldTurn();
  FlushResult Flush();
  // Flush() for TLS: encrypts output and sends the ciphertext.
  FlushResult FlushTls();
  // Ciphertext arrived: decrypts what it can into in_ and hands it to the session.
  void ReceivedTls(const char* data, size_t n);
  // Room for at least kMinReadRoom more bytes at the end of in_.
  void MakeInputRoom();
  // Hands buffered input to the session. Returns true if it consumed anything.
  bool ProcessBuffered();
  // `n` bytes arrived, at `fresh` or (null) already appended to in_: count them and hand
  // them to the session.
  void Received(const char* fresh, size_t n);
  // Hands bytes just read (not yet in in_) to the session, keeping what it leaves.
  void ProcessFresh(std::string_view input);
  void KeepUnconsumed(std::string_view rest);
  void WaitReadable();
  void OnWaitRead(const asio::error_code& ec, size_t n);
  void WaitWritable();
  // Gives a borrowed wait block back to the worker.
  void ReturnWaitBlock();
  // The session finished the work it handed off (posted here by its waker).
  void OnSessionReady();
  // Hands `input` to the session, noting the activity for "stats conns".
  size_t Offer(std::string_view input);
  // What "stats conns" shows for this connection once its input has been offered.
  ConnectionRegistry::State StateAfterInput() const;

  Worker* worker_;
  Socket socket_;
  std::unique_ptr<Session> session_;
  TlsChannelPtr tls_;  // null for plain TCP
  OutputBuffer out_;
  // Bytes sent so far, the count the last idle check saw, and when it saw it move
  // (registry clock): idle checks learn of output without a clock read per write.
  uint64_t sent_total_ = 0;
  uint64_t sent_seen_ = 0;
  int64_t last_output_ = 0;
  // Received bytes the session has not consumed yet: in_[in_begin_, in_end_).
  std::vector<char> in_;
  size_t in_begin_ = 0;
  size_t in_end_ = 0;
  // The session needs more bytes than in_ holds before it can do anything.
  bool in_stalled_ = false;
  // The last read emptied the socket.
  bool drained_ = false;
  std::array<char, kWaitBufferSize> wait_buffer_;
  char* wait_block_ = nullptr;  // borrowed from the worker's BlockPool, or null
  int small_reads_ = 0;         // consecutive reads that would have fit wait_buffer_
  bool waiting_ = false;
  bool draining_ = false;
  bool closed_ = false;
  ConnectionRegistry::Entry entry_;  // for "stats conns", registered while open
  bool registered_ = false;

  // The worker's list of open connections; self_ keeps an open connection alive.
  Connection* worker_prev_ = nullptr;
  Connection* worker_next_ = nullptr;
  std::shared_ptr<Connection> self_;
};

}  // namespace ratmemcache::net

#include "net/connection.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <span>

#include "net/worker.h"

namespace ratmemcache::net {
namespace {

// Free room kept at the end of a connection's own input buffer for the next read.
constexpr size_t kMinReadRoom = 16 * 1024;
// A connection's input buffer larger than this is released once drained.
constexpr size_t kMaxKeptInput = 64 * 1024;
// Segments per gathered write.
constexpr size_t kMaxIov = 64;

bool WouldBlock(const asio::error_code& ec) {
  return ec == asio::error::would_block || ec == asio::error::try_again;
}

}  // namespace

void TlsChannelDeleter::operator()(TlsChannel* channel) const {
#if RMC_HAVE_TLS
  delete channel;
#else
  (void)channel;  // builds without TLS never make one
#endif
}

Connection::Connection(Worker* worker, Socket socket, std::unique_ptr<Session> session,
                       TlsChannelPtr tls)
    : worker_(worker),
      socket_(std::move(socket)),
      session_(std::move(session)),
      tls_(std::move(tls)),
      out_(&worker->block_pool()) {}

int64_t Connection::IdleSeconds(int64_t now) {
  if (closed_ || session_->Busy()) return 0;
  // Output that moved since the last check counts as activity now: the write path only
  // adds to a counter, it never reads the clock.
  if (sent_total_ != sent_seen_) {
    sent_seen_ = sent_total_;
    last_output_ = now;
  }
  const int64_t last = std::max(entry_.last_active.load(std::memory_order_relaxed), last_output_);
  return now - last;
}

Connection::~Connection() {
  if (registered_) worker_->registry().Remove(&entry_);
}

void Connection::Start() {
  asio::error_code ec;
  socket_.non_blocking(true, ec);
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  const asio::ip::tcp::endpoint peer = socket_.remote_endpoint(ec);
  const asio::ip::tcp::endpoint local = socket_.local_endpoint(ec);
  entry_.fd = static_cast<int>(socket_.native_handle());
  entry_.addr = AddressText(peer.address().to_string(), peer.address().is_v6(), peer.port());
  entry_.listen_addr = AddressText(local.address().to_string(), local.address().is_v6(), local.port());
  entry_.last_active.store(ConnectionRegistry::Now(), std::memory_order_relaxed);
  worker_->registry().Add(&entry_);
  registered_ = true;
  session_->SetWaker([weak = weak_from_this(), context = &worker_->context()] {
    asio::post(*context, [weak] {
      if (std::shared_ptr<Connection> self = weak.lock()) self->OnSessionReady();
    });
  });
  WaitReadable();
}

void Connection::OnSessionReady() {
  if (closed_) return;
  session_->Resume(out_);
  // A pending wait (for the socket to take more output) drives us when it completes.
  if (!waiting_) Drive();
}

void Connection::BeginDrain() {
  draining_ = true;
  if (waiting_) {
    asio::error_code ec;
    socket_.cancel(ec);  // the pending wait completes with operation_aborted and drives us
  }
}

void Connection::Close() {
  if (closed_) return;
  closed_ = true;
  if (registered_) {
    worker_->registry().Remove(&entry_);
    registered_ = false;
  }
  asio::error_code ec;
#if RMC_HAVE_TLS
  if (tls_ && !tls_->failed()) {
    // Say goodbye (close_notify) if the socket takes it at once; clients see a clean
    // end of the session instead of an unexpected EOF.
    tls_->Shutdown();
    const std::string_view goodbye = tls_->PendingCiphertext();
    if (!goodbye.empty()) socket_.write_some(asio::buffer(goodbye.data(), goodbye.size()), ec);
  }
#endif
  socket_.close(ec);
  out_.Clear();
  ReturnWaitBlock();
  session_.reset();
  worker_->Forget(this);  // may drop the last owner but the caller's
}

ConnectionRegistry::State Connection::StateAfterInput() const {
  switch (session_->input_state()) {
    case Session::InputState::kData: return ConnectionRegistry::State::kReadData;
    case Session::InputState::kSkipping: return ConnectionRegistry::State::kSwallow;
    case Session::InputState::kCommand: break;
  }
  return out_.empty() ? ConnectionRegistry::State::kRead : ConnectionRegistry::State::kWrite;
}

void Connection::WaitReadable() {
  waiting_ = true;
  entry_.state.store(StateAfterInput(), std::memory_order_relaxed);
  const asio::mutable_buffer buffer =
      wait_block_ != nullptr ? asio::buffer(wait_block_, BlockPool::kBlockSize)
                             : asio::buffer(wait_buffer_);
  socket_.async_read_some(buffer, [self = shared_from_this()](const asio::error_code& ec, size_t n) {
    self->OnWaitRead(ec, n);
  });
}

void Connection::ReturnWaitBlock() {
  if (wait_block_ == nullptr) return;
  worker_->block_pool().Give(wait_block_);
  wait_block_ = nullptr;
}

void Connection::OnWaitRead(const asio::error_code& ec, size_t n) {
  waiting_ = false;
  if (closed_) return;
  if (ec == asio::error::operation_aborted) {
    Drive();  // cancelled to drain
    return;
  }
  if (ec || n == 0) {
    Close();
    return;
  }
  const char* data = wait_block_ != nullptr ? wait_block_ : wait_buffer_.data();
  const size_t room = wait_block_ != nullptr ? BlockPool::kBlockSize : wait_buffer_.size();
  Received(data, n);
  drained_ = n < room;
  // Adapt the wait buffer: borrow a block while reads overflow the small one, give it
  // back once they have been small for a while.
  if (wait_block_ == nullptr) {
    if (n == room) wait_block_ = worker_->block_pool().Take();
  } else if (n <= wait_buffer_.size()) {
    if (++small_reads_ >= kSmallReadsBeforeShrink) {
      ReturnWaitBlock();
      small_reads_ = 0;
    }
  } else {
    small_reads_ = 0;
  }
  Drive();
}

void Connection::WaitWritable() {
  waiting_ = true;
  entry_.state.store(ConnectionRegistry::State::kWrite, std::memory_order_relaxed);
  socket_.async_wait(asio::socket_base::wait_write,
                     [self = shared_from_this()](const asio::error_code& ec) {
                       self->waiting_ = false;
                       if (self->closed_) return;
                       if (ec && ec != asio::error::operation_aborted) {
                         self->Close();
                         return;
                       }
                       self->Drive();
                     });
}

Connection::FlushResult Connection::Flush() {
#if RMC_HAVE_TLS
  if (tls_) return FlushTls();
#endif
  std::array<asio::const_buffer, kMaxIov> buffers;
  OutputSegment segments[kMaxIov];
  while (!out_.empty()) {
    const size_t count = out_.Front(segments, kMaxIov);
    for (size_t i = 0; i < count; ++i) buffers[i] = asio::const_buffer(segments[i].data, segments[i].size);
    asio::error_code ec;
    const size_t sent =
        socket_.write_some(std::span<const asio::const_buffer>(buffers.data(), count), ec);
    if (WouldBlock(ec)) return FlushResult::kBlocked;
    if (ec) return FlushResult::kFailed;
    WorkerCounters::Add(worker_->mutable_counters().bytes_written, sent);
    out_.Consume(sent);
    sent_total_ += sent;
  }
  return FlushResult::kDone;
}

#if RMC_HAVE_TLS
Connection::FlushResult Connection::FlushTls() {
  // Plaintext encrypted per round: bounds the ciphertext held for a slow reader.
  constexpr size_t kEncryptPerRound = 64 * 1024;
  OutputSegment segments[kMaxIov];
  while (true) {
    for (std::string_view pending = tls_->PendingCiphertext(); !pending.empty();
         pending = tls_->PendingCiphertext()) {
      asio::error_code ec;
      const size_t sent = socket_.write_some(asio::buffer(pending.data(), pending.size()), ec);
      if (WouldBlock(ec)) return FlushResult::kBlocked;
      if (ec) return FlushResult::kFailed;
      WorkerCounters::Add(worker_->mutable_counters().bytes_written, sent);
      tls_->ConsumeCiphertext(sent);
      sent_total_ += sent;
    }
    if (tls_->failed()) return FlushResult::kFailed;  // its alert, if any, went out above
    if (out_.empty()) return FlushResult::kDone;
    size_t taken = 0;
    const size_t count = out_.Front(segments, kMaxIov);
    for (size_t i = 0; i < count && taken < kEncryptPerRound; ++i) {
      const size_t want = std::min(segments[i].size, kEncryptPerRound - taken);
      const size_t took = tls_->WritePlain(segments[i].data, want);
      taken += took;
      if (took < want) break;
    }
    out_.Consume(taken);
    if (taken == 0 && !tls_->HasCiphertext()) {
      // Nothing could be encrypted (the handshake is not finished): wait for input.
      return tls_->failed() ? FlushResult::kFailed : FlushResult::kDone;
    }
  }
}

void Connection::ReceivedTls(const char* data, size_t n) {
  WorkerCounters::Add(worker_->mutable_counters().bytes_read, n);
  if (!tls_->Feed(data, n)) return;  // Drive() sees failed() and closes
  in_stalled_ = false;
  bool any = false;
  while (true) {
    MakeInputRoom();
    const size_t got = tls_->ReadPlain(in_.data() + in_end_, in_.size() - in_end_);
    if (got == 0) break;
    in_end_ += got;
    any = true;
  }
  if (any) ProcessBuffered();
}
#endif

void Connection::MakeInputRoom() {
  if (in_.size() - in_end_ >= kMinReadRoom) return;
  if (in_begin_ != 0) {
    std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
    in_end_ -= in_begin_;
    in_begin_ = 0;
  }
  if (in_.size() - in_end_ < kMinReadRoom) in_.resize(std::max(in_.size() * 2, in_end_ + kMinReadRoom));
}

bool Connection::ProcessBuffered() {
  const std::string_view input(in_.data() + in_begin_, in_end_ - in_begin_);
  const size_t used = Offer(input);
  in_begin_ += used;
  if (in_begin_ == in_end_) {
    in_begin_ = in_end_ = 0;
    if (in_.size() > kMaxKeptInput) std::vector<char>().swap(in_);
  }
  if (used == 0 && out_.empty()) in_stalled_ = true;
  return used != 0;
}

void Connection::KeepUnconsumed(std::string_view rest) {
  if (in_.size() < rest.size() + kMinReadRoom) in_.resize(rest.size() + kMinReadRoom);
  std::memcpy(in_.data(), rest.data(), rest.size());
  in_begin_ = 0;
  in_end_ = rest.size();
}

void Connection::Received(const char* fresh, size_t n) {
#if RMC_HAVE_TLS
  if (tls_) {
    ReceivedTls(fresh, n);
    return;
  }
#endif
  WorkerCounters::Add(worker_->mutable_counters().bytes_read, n);
  in_stalled_ = false;
  if (fresh == nullptr) {
    ProcessBuffered();
  } else if (in_end_ == in_begin_) {
    ProcessFresh(std::string_view(fresh, n));
  } else {
    if (in_.size() - in_end_ < n) in_.resize(in_end_ + n + kMinReadRoom);
    std::memcpy(in_.data() + in_end_, fresh, n);
    in_end_ += n;
    ProcessBuffered();
  }
}

size_t Connection::Offer(std::string_view input) {
  entry_.state.store(ConnectionRegistry::State::kParse, std::memory_order_relaxed);
  entry_.last_active.store(ConnectionRegistry::Now(), std::memory_order_relaxed);
  const size_t used = session_->OnInput(input, out_);
  entry_.state.store(StateAfterInput(), std::memory_order_relaxed);
  return used;
}

void Connection::ProcessFresh(std::string_view input) {
  const size_t used = Offer(input);
  if (used < input.size()) KeepUnconsumed(input.substr(used));
  if (used == 0 && out_.empty()) in_stalled_ = true;
}

void Connection::YieldTurn() {
  // Let the worker's other connections have a turn.
  asio::post(worker_->context(), [self = shared_from_this()] {
    if (!self->closed_) self->Drive();
  });
}

void Connection::Drive() {
  int reads = 0;
  while (!closed_) {
#if RMC_HAVE_TLS
    const bool tls_output = tls_ && (tls_->HasCiphertext() || tls_->failed());
#else
    constexpr bool tls_output = false;
#endif
    if (!out_.empty() || tls_output) {
      switch (Flush()) {
        case FlushResult::kFailed:
          Close();
          return;
        case FlushResult::kBlocked:
          WaitWritable();
          return;
        case FlushResult::kDone:
          break;
      }
    }
    if (session_->WantsClose()) {
      Close();
      return;
    }
#if RMC_HAVE_TLS
    if (tls_ && tls_->failed()) {
      Close();
      return;
    }
#endif
    if (session_->Busy()) return;  // OnSessionReady() carries on
    if (session_->HasMoreOutput()) {  // everything queued is sent: the next part
      if (++reads > kReadsPerTurn) {
        YieldTurn();
        return;
      }
      session_->ContinueOutput(out_);
      in_stalled_ = false;  // input held back meanwhile is served once the reply is done
      continue;
    }
    // Requests already received are answered, even while draining.
    if (in_end_ != in_begin_ && !in_stalled_) {
      ProcessBuffered();
      continue;
    }
    if (draining_) {
      Close();
      return;
    }
#if RMC_HAVE_TLS
    // The client's close_notify ends its input only: what it asked before is answered.
    if (tls_ && tls_->closed_by_peer()) {
      Close();
      return;
    }
#endif
    if (drained_) {
      drained_ = false;
      WaitReadable();
      return;
    }
    if (++reads > kReadsPerTurn) {
      YieldTurn();
      return;
    }
    // TLS reads ciphertext, always into the scratch buffer; it is decrypted into in_.
    const bool into_scratch = tls_ != nullptr || in_end_ == in_begin_;
    char* buffer;
    size_t room;
    if (into_scratch) {
      buffer = worker_->scratch();
      room = Worker::kScratchSize;
    } else {
      MakeInputRoom();
      buffer = in_.data() + in_end_;
      room = in_.size() - in_end_;
    }
    asio::error_code ec;
    const size_t n = socket_.read_some(asio::buffer(buffer, room), ec);
    if (WouldBlock(ec)) {
      WaitReadable();
      return;
    }
    if (ec || n == 0) {
      Close();
      return;
    }
    if (into_scratch) {
      Received(buffer, n);
    } else {
      in_end_ += n;  // read straight into in_
      Received(nullptr, n);
    }
    // A read that did not fill the buffer drained the socket: answer, then wait for the
    // next edge instead of paying for a read that would only say EAGAIN. (The reactor is
    // edge-triggered and runs on this thread, so data arriving meanwhile raises an event
    // that the wait will see.)
    drained_ = n < room;
  }
}

}  // namespace ratmemcache::net

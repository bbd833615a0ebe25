#include "server/binary_session.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "common/decimal.h"
#include "common/logging.h"
#include "server/version.h"

namespace ratmemcache::server {

namespace bin = protocol::binary;
using bin::BinaryRequest;
using bin::ResponseStatus;

namespace {

// A key of the request as text for "stats <key>": memcached compares prefixes with
// strncmp for some subcommands.
bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Whether a (loud) retrieval opcode sets the expiry, and whether it answers with the key.
bool Touches(uint8_t command) {
  return command == bin::kTouch || command == bin::kGat || command == bin::kGatK;
}
bool EchoesKey(uint8_t command) { return command == bin::kGetK || command == bin::kGatK; }

// The exptime field of a binary request: unsigned on the wire.
int64_t Exptime(const BinaryRequest& request, size_t offset) {
  return static_cast<int64_t>(bin::ExtrasWord(request, offset));
}

}  // namespace

void BinaryStatsSink::Stat(std::string_view name, std::string_view value) {
  char* header = out_.Reserve(bin::kHeaderSize);
  bin::PutResponseHeader(header, bin::kStat, bin::kSuccess, 0, static_cast<uint16_t>(name.size()),
                         static_cast<uint32_t>(name.size() + value.size()), opaque_, 0);
  out_.Commit(bin::kHeaderSize);
  out_.Append(name);
  out_.Append(value);
}

void BinaryStatsSink::End() {
  char* header = out_.Reserve(bin::kHeaderSize);
  bin::PutResponseHeader(header, bin::kStat, bin::kSuccess, 0, 0, 0, opaque_, 0);
  out_.Commit(bin::kHeaderSize);
}

BinarySession::BinarySession(ServerContext* context, ThreadStats* stats, uint64_t id)
    : CacheSession(context, stats, id), authenticated_(context->settings().sasl_pwdb == nullptr) {}

size_t BinarySession::OnInput(std::string_view input, OutputBuffer& out) {
  size_t pos = 0;
  while (!close_ && !Busy()) {
    const std::string_view rest = input.substr(pos);
    if (state_ == State::kValue) {
      pos += ConsumeValue(rest, out);
      if (state_ == State::kValue) break;
      continue;
    }
    if (state_ == State::kSaslData) {
      const size_t n = std::min(rest.size(), sasl_data_length_ - sasl_data_.size());
      sasl_data_.append(rest.data(), n);
      pos += n;
      if (sasl_data_.size() < sasl_data_length_) break;
      state_ = State::kHeader;
      FinishSasl(out);
      continue;
    }
    if (state_ == State::kSwallow) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(rest.size(), swallow_remaining_));
      pos += n;
      swallow_remaining_ -= n;
      if (swallow_remaining_ != 0) break;
      state_ = State::kHeader;
      continue;
    }
    if (rest.empty() || out.pending_bytes() >= kOutputHighWater) break;
    BinaryRequest request;
    const bin::FrameStatus frame = bin::ParseBinaryRequest(rest, &request);
    if (frame == bin::FrameStatus::kNeedMore) break;
    if (frame == bin::FrameStatus::kBadMagic) {  // memcached closes without a word
      if (context_->verbosity() >= 1) Log().info("{}: invalid binary magic", id_);
      close_ = true;
      break;
    }
    pos += request.frame_size();
    Dispatch(request, out);
  }
  return pos;
}

void BinarySession::PutHeader(OutputBuffer& out, ResponseStatus status, uint8_t extras_length,
                              uint16_t key_length, uint32_t body_length, uint64_t cas) {
  char* header = out.Reserve(bin::kHeaderSize);
  bin::PutResponseHeader(header, opcode_, status, extras_length, key_length, body_length, opaque_, cas);
  out.Commit(bin::kHeaderSize);
}

void BinarySession::Success(OutputBuffer& out, std::string_view body, uint64_t cas) {
  if (quiet_) return;
  PutHeader(out, bin::kSuccess, 0, 0, static_cast<uint32_t>(body.size()), cas);
  if (!body.empty()) out.Append(body);
}

void BinarySession::Error(OutputBuffer& out, ResponseStatus status, std::string_view text) {
  if (text.empty()) text = bin::ErrorText(status);
  PutHeader(out, status, 0, 0, static_cast<uint32_t>(text.size()), 0);
  out.Append(text);
}

void BinarySession::Swallow(uint64_t bytes) {
  if (bytes == 0) return;
  swallow_remaining_ = bytes;
  state_ = State::kSwallow;
}

void BinarySession::Dispatch(const BinaryRequest& request, OutputBuffer& out) {
  opcode_ = request.opcode;
  command_ = request.command;
  quiet_ = request.quiet;
  opaque_ = request.opaque;
  cas_ = request.cas;
  if (!bin::CheckFrame(request)) {
    quiet_ = false;
    Error(out, bin::kUnknownCommand);
    close_ = true;
    return;
  }
  if (!authenticated_) {
    const uint8_t op = request.opcode;
    if (op != bin::kSaslListMechs && op != bin::kSaslAuth && op != bin::kSaslStep &&
        op != bin::kVersion) {
      Error(out, bin::kAuthError);
      close_ = true;
      return;
    }
  }
  switch (bin::CheckShape(request)) {
    case bin::Shape::kOk:
      break;
    case bin::Shape::kInvalid:
      if (context_->verbosity() >= 1) {
        Log().info("Protocol error (opcode {:02x}), close connection {}", request.opcode, id_);
      }
      Error(out, bin::kInvalidArguments);
      close_ = true;
      return;
    case bin::Shape::kUnknownCommand:
      Error(out, bin::kUnknownCommand);
      // memcached skips the whole body length although the key and extras are already
      // read: a quirk kept for byte-for-byte behaviour (docs/compatibility.md).
      Swallow(request.body_length);
      return;
  }
  key_.assign(request.key);
  if (context_->verbosity() >= 2) {
    Log().debug("<{} binary opcode {:02x} key {}", id_, request.opcode, key_);
  }
  switch (request.command) {
    case bin::kGet:
    case bin::kGetK:
    case bin::kTouch:
    case bin::kGat:
    case bin::kGatK:
      Retrieve(request, out);
      return;
    case bin::kSet:
    case bin::kAdd:
    case bin::kReplace:
    case bin::kAppend:
    case bin::kPrepend:
      BeginStore(request, out);
      return;
    case bin::kDelete:
      Delete(out);
      return;
    case bin::kIncrement:
    case bin::kDecrement:
      Arithmetic(request, out);
      return;
    case bin::kFlush:
      Flush(request, out);
      return;
    case bin::kNoop:
      Success(out);
      return;
    case bin::kVersion:
      Success(out, kCompatibleVersion);
      return;
    case bin::kQuit:
      Success(out);
      close_ = true;
      return;
    case bin::kStat:
      Stats(out);
      return;
    case bin::kSaslListMechs:
      if (context_->settings().sasl_pwdb == nullptr) {
        Error(out, bin::kUnknownCommand);
        return;
      }
      Success(out, "PLAIN");
      return;
    case bin::kSaslAuth:
    case bin::kSaslStep:
      BeginSasl(request, out);
      return;
    default:  // CheckShape knows no other opcode
      Error(out, bin::kUnknownCommand);
      return;
  }
}

void BinarySession::Retrieve(const BinaryRequest& request, OutputBuffer& out) {
  const bool touch = Touches(command_);
  const int64_t exptime = touch ? Exptime(request, 0) : 0;
  RunOnKey(
      key_,
      [touch, exptime](Cache& cache, std::string_view key) {
        return touch ? cache.GetAndTouch(key, exptime) : cache.Get(key);
      },
      [this](Result<ItemHandle> item, OutputBuffer& o) { ReplyRetrieval(std::move(item), o); }, out);
}

void BinarySession::ReplyRetrieval(Result<ItemHandle> item, OutputBuffer& out) {
  const bool touch = Touches(command_);
  const bool with_key = EchoesKey(command_);
  const bool with_value = command_ != bin::kTouch;
  context_->prefix_stats().RecordGet(key_, item.ok());
  CountRetrieval(touch, item.ok());
  if (!item.ok()) {
    if (quiet_) return;
    if (with_key) {
      PutHeader(out, bin::kKeyNotFound, 0, static_cast<uint16_t>(key_.size()),
                static_cast<uint32_t>(key_.size()), 0);
      out.Append(key_);
    } else {
      Error(out, bin::kKeyNotFound);
    }
    return;
  }
  ItemHandle& hit = item.value();
  const std::string_view value = with_value ? hit.value() : std::string_view();
  const size_t key_length = with_key ? key_.size() : 0;
  const bool inline_value = value.size() <= kInlineValueLimit;
  char* const start = out.Reserve(bin::kHeaderSize + 4 + key_length + (inline_value ? value.size() : 0));
  bin::PutResponseHeader(start, opcode_, bin::kSuccess, 4, static_cast<uint16_t>(key_length),
                         static_cast<uint32_t>(4 + key_length + value.size()), opaque_, hit.cas());
  char* p = start + bin::kHeaderSize;
  bin::PutBigEndian32(p, hit.flags());
  p += 4;
  std::memcpy(p, key_.data(), key_length);
  p += key_length;
  if (inline_value) {
    if (!value.empty()) std::memcpy(p, value.data(), value.size());
    p += value.size();
    out.Commit(static_cast<size_t>(p - start));
    return;
  }
  out.Commit(static_cast<size_t>(p - start));
  out.AppendReference(value.data(), value.size(), PinItem(hit));
}

void BinarySession::BeginStore(const BinaryRequest& request, OutputBuffer& out) {
  const uint32_t value_length = bin::ValueLength(request);
  const bool append = command_ == bin::kAppend || command_ == bin::kPrepend;
  WriteOptions options;
  if (!append) {
    options.flags = bin::ExtrasWord(request, 0);
    options.exptime = Exptime(request, 4);
  }
  switch (command_) {
    case bin::kAdd: store_mode_ = StoreMode::kAdd; break;
    case bin::kReplace: store_mode_ = StoreMode::kReplace; break;
    case bin::kAppend: store_mode_ = StoreMode::kAppend; break;
    case bin::kPrepend: store_mode_ = StoreMode::kPrepend; break;
    default: store_mode_ = StoreMode::kSet; break;
  }
  // A CAS in the header makes set, add and replace a compare-and-swap (memcached).
  if (!append && cas_ != 0) store_mode_ = StoreMode::kCas;
  context_->prefix_stats().RecordSet(key_);
  Result<WritableItem> item = cache_.Allocate(key_, value_length, options);
  if (!item.ok()) {
    if (item.code() == StatusCode::kTooLarge) {
      Error(out, bin::kTooLarge);
    } else {
      Error(out, bin::kOutOfMemory, "Out of memory allocating item");
    }
    // A failed set must not leave the old value readable, as in memcached.
    if (command_ == bin::kSet) cache_.Delete(key_).IgnoreError();
    Swallow(value_length);
    return;
  }
  item_ = std::move(item).value();
  value_filled_ = 0;
  state_ = State::kValue;
  if (value_length == 0) FinishStore(out);
}

size_t BinarySession::ConsumeValue(std::string_view input, OutputBuffer& out) {
  std::span<char> buffer = item_.value_buffer();
  const size_t n = std::min(input.size(), buffer.size() - value_filled_);
  if (n != 0) std::memcpy(buffer.data() + value_filled_, input.data(), n);
  value_filled_ += n;
  if (value_filled_ == buffer.size()) FinishStore(out);
  return n;
}

void BinarySession::FinishStore(OutputBuffer& out) {
  state_ = State::kHeader;
  stats_->cmd_set.Add();
  const StoreMode mode = store_mode_;
  if (mode == StoreMode::kSet) {  // never reads L2
    ReplyStore(cache_.Store(mode, std::move(item_)), out);
    return;
  }
  auto item = std::make_shared<WritableItem>(std::move(item_));
  RunOnKey(
      key_,
      [item, mode, expected = cas_](Cache& cache, std::string_view) {
        return cache.Store(mode, std::move(*item), expected);
      },
      [this](const Result<uint64_t>& stored, OutputBuffer& o) { ReplyStore(stored, o); }, out);
}

void BinarySession::ReplyStore(const Result<uint64_t>& stored, OutputBuffer& out) {
  const bool is_cas = store_mode_ == StoreMode::kCas;
  switch (stored.code()) {
    case StatusCode::kOk:
      if (is_cas) stats_->cas_hits.Add();
      Success(out, {}, stored.value());
      return;
    case StatusCode::kExists:
      if (is_cas) stats_->cas_badval.Add();
      Error(out, bin::kKeyExists);
      return;
    case StatusCode::kNotFound:
      if (is_cas) stats_->cas_misses.Add();
      Error(out, bin::kKeyNotFound);
      return;
    default:
      // memcached: not stored (or too large, or no memory) reads as the key's state.
      if (store_mode_ == StoreMode::kAdd) {
        Error(out, bin::kKeyExists);
      } else if (store_mode_ == StoreMode::kReplace) {
        Error(out, bin::kKeyNotFound);
      } else {
        Error(out, bin::kNotStored);
      }
      return;
  }
}

void BinarySession::Delete(OutputBuffer& out) {
  context_->prefix_stats().RecordDelete(key_);
  RunOnKey(
      key_,
      [expected = cas_](Cache& cache, std::string_view key) { return cache.DeleteIfCas(key, expected); },
      [this](const Status& deleted, OutputBuffer& o) {
        switch (deleted.code()) {
          case StatusCode::kOk:
            stats_->delete_hits.Add();
            Success(o);
            return;
          case StatusCode::kExists:
            Error(o, bin::kKeyExists);
            return;
          default:
            stats_->delete_misses.Add();
            Error(o, bin::kKeyNotFound);
            return;
        }
      },
      out);
}

namespace {

// What a binary incr/decr did: the change, or (on a miss with an expiry other than
// 0xffffffff) the item created with the initial value.
struct ArithmeticOutcome {
  Result<Cache::ArithmeticResult> changed;
  bool create = false;
  Result<uint64_t> created = Status(StatusCode::kNotFound);
};

}  // namespace

void BinarySession::Arithmetic(const BinaryRequest& request, OutputBuffer& out) {
  const bool increment = command_ == bin::kIncrement;
  const uint64_t delta = bin::ExtrasDoubleWord(request, 0);
  const uint64_t initial = bin::ExtrasDoubleWord(request, 8);
  const uint32_t expiration = bin::ExtrasWord(request, 16);
  RunOnKey(
      key_,
      [increment, delta, initial, expiration, expected = cas_](Cache& cache, std::string_view key) {
        ArithmeticOutcome outcome{cache.Arithmetic(key, increment, delta, expected)};
        if (outcome.changed.code() == StatusCode::kNotFound && expiration != 0xffffffffu) {
          outcome.create = true;
          char digits[24];
          const std::string_view text(digits, FormatDecimal(initial, digits));
          outcome.created = cache.Store(StoreMode::kAdd, key, text,
                                        WriteOptions{0, static_cast<int64_t>(expiration)});
        }
        return outcome;
      },
      [this, increment, initial](const ArithmeticOutcome& outcome, OutputBuffer& o) {
        char number[8];
        switch (outcome.changed.code()) {
          case StatusCode::kOk:
            (increment ? stats_->incr_hits : stats_->decr_hits).Add();
            bin::PutBigEndian64(number, outcome.changed.value().value);
            Success(o, std::string_view(number, 8), outcome.changed.value().cas);
            return;
          case StatusCode::kNonNumeric:
            Error(o, bin::kDeltaBadValue);
            return;
          case StatusCode::kExists:
            Error(o, bin::kKeyExists);
            return;
          case StatusCode::kNotFound:
            break;
          default:
            Error(o, bin::kOutOfMemory, "Out of memory incrementing value");
            return;
        }
        if (!outcome.create) {
          (increment ? stats_->incr_misses : stats_->decr_misses).Add();
          Error(o, bin::kKeyNotFound);
          return;
        }
        switch (outcome.created.code()) {
          case StatusCode::kOk:
            bin::PutBigEndian64(number, initial);
            Success(o, std::string_view(number, 8), outcome.created.value());
            return;
          case StatusCode::kNotStored:
            Error(o, bin::kNotStored);
            return;
          default:
            Error(o, bin::kOutOfMemory, "Out of memory allocating new item");
            return;
        }
      },
      out);
}

void BinarySession::Flush(const BinaryRequest& request, OutputBuffer& out) {
  if (!context_->settings().flush_enabled) {  // -F: memcached answers an auth error
    Error(out, bin::kAuthError);
    return;
  }
  const int64_t exptime = request.extras_length == 4 ? Exptime(request, 0) : 0;
  cache_.Flush(exptime).IgnoreError();
  stats_->cmd_flush.Add();
  Success(out);
}

void BinarySession::Stats(OutputBuffer& out) {
  BinaryStatsSink sink(out, opaque_);
  const std::string_view sub = key_;
  if (sub.empty()) {
    WriteGeneralStats(*context_, sink);
  } else if (StartsWith(sub, "reset")) {
    context_->ResetStats();
    sink.End();
  } else if (StartsWith(sub, "settings")) {
    WriteSettingsStats(*context_, sink);
  } else if (StartsWith(sub, "detail")) {
    const std::string_view mode = sub.substr(6);
    if (StartsWith(mode, " dump")) {
      sink.Stat("detailed", context_->prefix_stats().Dump());
      sink.End();
    } else if (StartsWith(mode, " on") || StartsWith(mode, " off")) {
      context_->prefix_stats().set_enabled(StartsWith(mode, " on"));
      sink.End();
    } else {
      Error(out, bin::kKeyNotFound);
    }
  } else if (sub == "items") {
    WriteItemsStats(*context_, sink);
  } else if (sub == "slabs") {
    WriteSlabsStats(*context_, sink);
  } else if (sub == "sizes") {
    sink.Stat("sizes_status", "disabled");  // memcached without -o track_sizes
    sink.End();
  } else if (sub == "tiers") {
    WriteTiersStats(*context_, sink);
  } else {
    Error(out, bin::kKeyNotFound);
  }
}

void BinarySession::BeginSasl(const BinaryRequest& request, OutputBuffer& out) {
  const uint32_t data_length = bin::ValueLength(request);
  if (context_->settings().sasl_pwdb == nullptr) {
    Error(out, bin::kUnknownCommand);
    Swallow(data_length);
    return;
  }
  if (key_.size() > kMaxSaslMechanism) {
    Error(out, bin::kInvalidArguments);
    Swallow(data_length);
    return;
  }
  if (data_length > kMaxSaslData) {
    Error(out, bin::kOutOfMemory);
    Swallow(data_length);
    return;
  }
  sasl_data_.clear();
  sasl_data_length_ = data_length;
  state_ = State::kSaslData;
  if (data_length == 0) {
    state_ = State::kHeader;
    FinishSasl(out);
  }
}

void BinarySession::FinishSasl(OutputBuffer& out) {
  enum class Outcome { kOk, kContinue, kFail } outcome = Outcome::kFail;
  if (command_ == bin::kSaslAuth) {
    if (key_ == "PLAIN") {
      if (sasl_data_.empty()) {  // the client sends the credentials in a STEP
        outcome = Outcome::kContinue;
      } else {
        outcome = CheckPlain(sasl_data_) ? Outcome::kOk : Outcome::kFail;
      }
    }
    sasl_started_ = outcome != Outcome::kFail;
    plain_pending_ = outcome == Outcome::kContinue;
  } else if (sasl_started_ && plain_pending_) {  // STEP
    plain_pending_ = false;
    outcome = CheckPlain(sasl_data_) ? Outcome::kOk : Outcome::kFail;
  }
  sasl_data_.clear();
  sasl_data_.shrink_to_fit();
  switch (outcome) {
    case Outcome::kOk:
      authenticated_ = true;
      stats_->auth_cmds.Add();
      Success(out, "Authenticated");
      return;
    case Outcome::kContinue:
      PutHeader(out, bin::kAuthContinue, 0, 0, 0, 0);
      return;
    case Outcome::kFail:
      stats_->auth_cmds.Add();
      stats_->auth_errors.Add();
      if (context_->verbosity() >= 1) Log().info("{}: SASL authentication failed", id_);
      Error(out, bin::kAuthError);
      return;
  }
}

bool BinarySession::CheckPlain(std::string_view data) const {
  bin::PlainCredentials credentials;
  if (!bin::ParsePlainCredentials(data, &credentials)) return false;
  // Acting for another identity (an authzid other than the user) is refused.
  if (credentials.user.empty() ||
      (!credentials.authzid.empty() && credentials.authzid != credentials.user)) {
    return false;
  }
  return context_->settings().sasl_pwdb->CheckFresh(credentials.user, credentials.password);
}

}  // namespace ratmemcache::server

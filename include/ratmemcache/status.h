#pragma once

// Status and Result<T>: how every fallible call in RatMemCache reports its outcome.
//
// Expected outcomes of cache operations (a miss, a failed compare-and-swap, a value that
// is too large) are values, never exceptions. Both types are [[nodiscard]]: a caller that
// means to drop an outcome says so with IgnoreError(), which keeps dropped errors greppable.
//
// Thread-safety: plain values; a Status may be copied and read from any thread.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ratmemcache {

// The fixed list of outcomes. Operations document which of these they may return.
enum class StatusCode : uint8_t {
  kOk = 0,
  kNotFound,         // no live item under the key
  kExists,           // compare-and-swap saw a different CAS unique
  kNotStored,        // add on a present key, replace/append/prepend on a missing one
  kTooLarge,         // the item exceeds the maximum item size
  kOutOfMemory,      // the item cannot fit even after evicting everything evictable
  kInvalidArgument,  // a malformed key, option or number
  kNonNumeric,       // increment/decrement on a value that is not a decimal number
  kIoError,          // an operating-system or storage error
  kShutdown,         // the cache has been shut down
  kWouldBlock,       // the answer needs a disk read; ask again where blocking is fine
  kInternal,         // a broken invariant; a bug
};

// Returns a short stable name for `code`, e.g. "NotFound".
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  // An OK status.
  Status() = default;
  explicit Status(StatusCode code) : code_(code) {}
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status NotFound() { return Status(StatusCode::kNotFound); }
  static Status Exists() { return Status(StatusCode::kExists); }
  static Status NotStored() { return Status(StatusCode::kNotStored); }
  static Status TooLarge() { return Status(StatusCode::kTooLarge); }
  static Status OutOfMemory() { return Status(StatusCode::kOutOfMemory); }
  static Status NonNumeric() { return Status(StatusCode::kNonNumeric); }
  static Status Shutdown() { return Status(StatusCode::kShutdown); }
  static Status InvalidArgument(std::string message) {
    return Status(StatusCode::kInvalidArgument, std::move(message));
  }
  static Status IoError(std::string message) {
    return Status(StatusCode::kIoError, std::move(message));
  }
  static Status Internal(std::string message) {
    return Status(StatusCode::kInternal, std::move(message));
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  // A human-readable detail; may be empty for the common outcomes.
  const std::string& message() const { return message_; }
  // "NotFound" or "InvalidArgument: <message>".
  std::string ToString() const;

  // Drops the status on purpose.
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) { return a.code_ == b.code_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Either a value of type T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Status status) : data_(std::move(status)) {}  // NOLINT: REQUIRES: !status.ok()

  bool ok() const { return std::holds_alternative<T>(data_); }
  // The failure, or OK when a value is held.
  Status status() const { return ok() ? Status() : std::get<Status>(data_); }
  StatusCode code() const { return ok() ? StatusCode::kOk : std::get<Status>(data_).code(); }

  // REQUIRES: ok().
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

  void IgnoreError() const {}

 private:
  std::variant<T, Status> data_;
};

}  // namespace ratmemcache

#include "ratmemcache/status.h"

namespace ratmemcache {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kNotFound: return "NotFound";
    case StatusCode::kExists: return "Exists";
    case StatusCode::kNotStored: return "NotStored";
    case StatusCode::kTooLarge: return "TooLarge";
    case StatusCode::kOutOfMemory: return "OutOfMemory";
    case StatusCode::kInvalidArgument: return "InvalidArgument";
    case StatusCode::kNonNumeric: return "NonNumeric";
    case StatusCode::kIoError: return "IoError";
    case StatusCode::kShutdown: return "Shutdown";
    case StatusCode::kWouldBlock: return "WouldBlock";
    case StatusCode::kInternal: return "Internal";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  std::string out(StatusCodeName(code_));
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

}  // namespace ratmemcache

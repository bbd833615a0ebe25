// libFuzzer target: the meta command parser. The first byte picks the command (mg, ms,
// md, ma, mn, me); the rest is its line (key and flags), possibly followed by more input.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "protocol/text_parser.h"

using namespace ratmemcache::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr char kCommands[] = {'g', 's', 'd', 'a', 'n', 'e'};
  std::string line = "m";
  line += kCommands[data[0] % sizeof(kCommands)];
  line += ' ';
  line.append(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (line.find('\n') == std::string::npos) line += "\r\n";
  TextRequest request;
  const ParseResult result = ParseTextCommand(line, &request, 0);
  if (result.consumed > line.size()) std::abort();
  if (request.meta.count > kMaxMetaFlags) std::abort();
  if (result.status == ParseStatus::kRequest && request.command == TextCommand::kMetaSet &&
      request.error.empty() && request.value_length > (1u << 31)) {
    std::abort();  // a data block length the session would try to buffer
  }
  return 0;
}

// libFuzzer target: the text protocol parser (classic, meta and streaming command lines)
// on arbitrary bytes, request after request as the session calls it. Checks that every
// result stays inside its input.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/text_parser.h"

using namespace ratmemcache::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (int requests = 0; requests < 64 && !input.empty(); ++requests) {
    TextRequest request;
    const ParseResult result = ParseTextCommand(input, &request, 0);
    if (result.consumed > input.size()) std::abort();
    if (result.status == ParseStatus::kNeedMore || result.status == ParseStatus::kClose) break;
    // Every view the request holds points into the input.
    const char* begin = input.data();
    const char* end = begin + input.size();
    auto inside = [&](std::string_view view) {
      if (!view.empty() && (view.data() < begin || view.data() + view.size() > end)) std::abort();
    };
    inside(request.key);
    inside(request.args);
    for (size_t i = 0; i < request.meta.count; ++i) inside(request.meta.token[i]);
    std::string_view key;
    for (KeyList keys = request.keys; keys.Next(&key);) inside(key);
    if (result.consumed == 0) break;
    input.remove_prefix(result.consumed);
  }
  return 0;
}

// libFuzzer target: the binary protocol's frame parser and the checks the session runs
// on each frame, frame after frame as they arrive.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "protocol/binary_parser.h"

using namespace ratmemcache::protocol::binary;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (int frames = 0; frames < 64; ++frames) {
    BinaryRequest request;
    const FrameStatus status = ParseBinaryRequest(input, &request);
    if (status != FrameStatus::kRequest) break;
    if (request.frame_size() > input.size()) std::abort();
    if (CheckFrame(request)) {
      (void)CheckShape(request);
      (void)ValueLength(request);
      (void)ExtrasDoubleWord(request, 0);
      (void)ExtrasWord(request, 16);
      PlainCredentials credentials;
      (void)ParsePlainCredentials(request.key, &credentials);
    }
    input.remove_prefix(request.frame_size());
  }
  return 0;
}

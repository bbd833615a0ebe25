#include "common/output_buffer.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace ratmemcache {
namespace {

std::string Drain(OutputBuffer& out, size_t chunk) {
  std::string sent;
  while (!out.empty()) {
    size_t budget = chunk;
    size_t taken = 0;
    OutputSegment segments[64];
    const size_t count = out.Front(segments, 64);
    for (size_t i = 0; i < count; ++i) {
      const OutputSegment& s = segments[i];
      const size_t n = std::min(budget, s.size);
      sent.append(s.data, n);
      taken += n;
      budget -= n;
      if (budget == 0) break;
    }
    out.Consume(taken);
  }
  return sent;
}

TEST(OutputBuffer, CopiesAndReferencesComeOutInOrder) {
  BlockPool pool;
  OutputBuffer out(&pool);
  int released = 0;
  const std::string big(40000, 'B');
  out.Append("VALUE k 0 5\r\n");
  out.AppendReference(big.data(), big.size(),
                      Pin{[](void* p) { ++*static_cast<int*>(p); }, &released});
  out.Append("\r\nEND\r\n");
  EXPECT_EQ(out.pending_bytes(), 13 + big.size() + 7);
  OutputSegment segments[64];
  EXPECT_EQ(out.Front(segments, 64), 3u);
  EXPECT_EQ(Drain(out, 1000), "VALUE k 0 5\r\n" + big + "\r\nEND\r\n");
  EXPECT_EQ(released, 1);
}

TEST(OutputBuffer, AdjacentCopiesMergeIntoOneSegment) {
  BlockPool pool;
  OutputBuffer out(&pool);
  for (int i = 0; i < 100; ++i) out.Append("STORED\r\n");
  OutputSegment segments[64];
  EXPECT_EQ(out.Front(segments, 64), 1u);
}

TEST(OutputBuffer, RandomPiecesSurvivePartialWrites) {
  BlockPool pool(4);
  OutputBuffer out(&pool);
  std::mt19937 rng(1);
  for (int round = 0; round < 50; ++round) {
    std::string expected;
    std::vector<std::string> owned;
    owned.reserve(100);
    int released = 0;
    for (int i = 0; i < 100; ++i) {
      std::string piece(rng() % 20000, static_cast<char>('a' + i % 26));
      expected += piece;
      if (rng() % 3 == 0) {
        owned.push_back(piece);
        out.AppendReference(owned.back().data(), owned.back().size(),
                            Pin{[](void* p) { ++*static_cast<int*>(p); }, &released});
      } else if (rng() % 2) {
        char* dst = out.Reserve(std::min<size_t>(piece.size(), 100));
        const size_t n = std::min<size_t>(piece.size(), 100);
        std::memcpy(dst, piece.data(), n);
        out.Commit(n);
        out.Append(std::string_view(piece).substr(n));
      } else {
        out.Append(piece);
      }
    }
    ASSERT_EQ(Drain(out, 1 + rng() % 50000), expected);
    EXPECT_EQ(released, static_cast<int>(owned.size()));
  }
}

TEST(OutputBuffer, ClearReleasesPins) {
  BlockPool pool;
  int released = 0;
  {
    OutputBuffer out(&pool);
    out.Append("x");
    out.AppendReference("abc", 3, Pin{[](void* p) { ++*static_cast<int*>(p); }, &released});
  }
  EXPECT_EQ(released, 1);
}

}  // namespace
}  // namespace ratmemcache

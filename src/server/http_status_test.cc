#include "server/http_status.h"

#include <gtest/gtest.h>

#include "server/session_test_util.h"

namespace ratmemcache::server {
namespace {

class HttpStatusTest : public ::testing::Test {
 protected:
  HttpStatusTest() {
    CacheOptions options;
    options.ttl.cleanup_interval = 0;
    cache_ = std::move(CacheBuilder().options(options).Build()).value();
    ServerSettings settings;
    settings.threads = 1;
    context_ = std::make_unique<ServerContext>(cache_.get(), settings);
  }
  // One connection: `request` fed in pieces of `chunk` bytes; what it got back.
  std::string Ask(std::string_view request, size_t chunk = 1 << 20, bool* closed = nullptr) {
    HttpSessionFactory factory(context_.get());
    std::unique_ptr<Session> session = factory.NewSession(0);
    std::string reply = FeedInPieces(*session, request, chunk);
    if (closed != nullptr) *closed = session->WantsClose();
    return reply;
  }

  std::unique_ptr<Cache> cache_;
  std::unique_ptr<ServerContext> context_;
};

TEST_F(HttpStatusTest, MetricsStatusJsonAndPage) {
  ASSERT_TRUE(cache_->Set("k", "v").ok());
  bool closed = false;
  const std::string metrics = Ask("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 1 << 20, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(metrics.rfind("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4", 0), 0u) << metrics;
  EXPECT_NE(metrics.find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_NE(metrics.find("\nratmemcache_curr_items 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\nratmemcache_l1_items 1\n"), std::string::npos);  // stats tiers too
  const size_t body = metrics.find("\r\n\r\n") + 4;
  EXPECT_NE(metrics.find("Content-Length: " + std::to_string(metrics.size() - body) + "\r\n"),
            std::string::npos);
  EXPECT_NE(Ask("GET /status.json?x=1 HTTP/1.0\r\n\r\n").find("\"curr_items\":1,"), std::string::npos);
  const std::string page = Ask("GET / HTTP/1.1\n\n");  // bare newlines are accepted too
  EXPECT_NE(page.find("Content-Type: text/html"), std::string::npos);
  EXPECT_NE(page.find("id=\"v-curr_items\""), std::string::npos);
}

TEST_F(HttpStatusTest, ARequestArrivingInPiecesIsAnsweredOnce) {
  const std::string reply = Ask("GET /metrics HTTP/1.1\r\nUser-Agent: t\r\n\r\n", 3);
  EXPECT_EQ(reply.rfind("HTTP/1.1 200 OK", 0), 0u);
  EXPECT_EQ(reply.find("HTTP/1.1", 1), std::string::npos);
}

TEST_F(HttpStatusTest, BadRequestsGetTheirStatus) {
  EXPECT_EQ(Ask("POST /metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0), 0u);
  EXPECT_EQ(Ask("GET /nope HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u);
  EXPECT_EQ(Ask("hello\r\n\r\n").rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u);
  EXPECT_EQ(Ask("GET /a b HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
  EXPECT_EQ(Ask("GET / FTP/1.0\r\n\r\n").rfind("HTTP/1.1 400", 0), 0u);
  bool closed = false;
  const std::string huge = "GET / HTTP/1.1\r\nX: " + std::string(10000, 'a');
  EXPECT_EQ(Ask(huge, 1000, &closed).rfind("HTTP/1.1 431", 0), 0u);
  EXPECT_TRUE(closed);
  // HEAD: the headers of the GET reply without its body.
  const std::string head = Ask("HEAD /status.json HTTP/1.1\r\n\r\n");
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
  EXPECT_EQ(head.find("Content-Length: 0\r\n"), std::string::npos);
}

TEST_F(HttpStatusTest, AnIncompleteHeadWaits) {
  bool closed = true;
  EXPECT_EQ(Ask("GET /metrics HTTP/1.1\r\nHost: x\r\n", 1 << 20, &closed), "");
  EXPECT_FALSE(closed);
}

}  // namespace
}  // namespace ratmemcache::server

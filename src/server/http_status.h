#pragma once

// The HTTP side of the server (--metrics-port): Prometheus metrics at /metrics, the
// statistics as JSON at /status.json and a live, read-only status page at /. One request
// per connection (HTTP/1.0 and 1.1, GET and HEAD; the reply closes the connection).
// Served by its own NetServer, so a scrape never queues behind cache traffic.
//
// Thread-safety: the factory is called from every worker thread; each session is used by
// one thread; the routing function only reads the ServerContext's thread-safe stats.

#include <memory>
#include <string>
#include <string_view>

#include "common/session.h"
#include "server/server_context.h"

namespace ratmemcache::server {

struct HttpResponse {
  int status = 200;
  std::string_view content_type;
  std::string body;
  bool head_only = false;  // HEAD: the headers of the GET reply, no body
};

// The response to the request whose head (request line and headers, ending with an empty
// line) is `head`: 400 for a malformed request line, 405 for a method other than GET and
// HEAD, 404 for an unknown path.
HttpResponse RouteHttpRequest(std::string_view head, ServerContext& context);

// The bytes of `response` on the wire (status line, Content-Type, Content-Length,
// Cache-Control: no-store, Connection: close).
std::string SerializeHttpResponse(const HttpResponse& response);

// The status page: HTML with a script that reads /status.json every second.
extern const std::string_view kStatusPageHtml;

class HttpSessionFactory final : public SessionFactory {
 public:
  // `context` must outlive the factory and every session it makes.
  explicit HttpSessionFactory(ServerContext* context) : context_(context) {}
  std::unique_ptr<Session> NewSession(unsigned worker_index) override;

 private:
  ServerContext* context_;
};

}  // namespace ratmemcache::server

#include "server/http_status.h"

#include "server/metrics_format.h"
#include "server/stats_report.h"

namespace ratmemcache::server {
namespace {

// Request heads longer than this are refused (431) and the connection closed.
constexpr size_t kMaxHeadBytes = 8192;

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 431: return "Request Header Fields Too Large";
  }
  return "Error";
}

HttpResponse Error(int status) {
  HttpResponse response;
  response.status = status;
  response.content_type = "text/plain; charset=utf-8";
  response.body = std::string(ReasonPhrase(status)) + "\n";
  return response;
}

StatPairs CollectStats(ServerContext& context) {
  CollectingStatsSink sink;
  WriteGeneralStats(context, sink);
  WriteTiersStats(context, sink);
  return sink.stats();
}

// Where the head ends (just past the empty line), or npos.
size_t HeadEnd(std::string_view input) {
  const size_t crlf = input.find("\r\n\r\n");
  const size_t lf = input.find("\n\n");
  if (crlf == std::string_view::npos && lf == std::string_view::npos) return std::string_view::npos;
  if (crlf != std::string_view::npos && (lf == std::string_view::npos || crlf < lf)) return crlf + 4;
  return lf + 2;
}

class HttpStatusSession final : public Session {
 public:
  explicit HttpStatusSession(ServerContext* context) : context_(context) {}

  size_t OnInput(std::string_view input, OutputBuffer& out) override {
    if (close_) return input.size();  // answered: the rest is not read
    const size_t end = HeadEnd(input);
    if (end == std::string_view::npos) {
      if (input.size() <= kMaxHeadBytes) return 0;  // wait for the rest of the head
      out.Append(SerializeHttpResponse(Error(431)));
    } else if (end > kMaxHeadBytes) {
      out.Append(SerializeHttpResponse(Error(431)));
    } else {
      out.Append(SerializeHttpResponse(RouteHttpRequest(input.substr(0, end), *context_)));
    }
    close_ = true;
    return input.size();
  }
  bool WantsClose() const override { return close_; }

 private:
  ServerContext* context_;
  bool close_ = false;
};

}  // namespace

HttpResponse RouteHttpRequest(std::string_view head, ServerContext& context) {
  const size_t line_end = head.find_first_of("\r\n");
  const std::string_view line = head.substr(0, line_end);
  // METHOD SP TARGET SP HTTP/x.y
  const size_t first_space = line.find(' ');
  const size_t last_space = line.rfind(' ');
  if (first_space == std::string_view::npos || last_space == first_space ||
      line.substr(last_space + 1).rfind("HTTP/", 0) != 0) {
    return Error(400);
  }
  const std::string_view method = line.substr(0, first_space);
  std::string_view target = line.substr(first_space + 1, last_space - first_space - 1);
  if (target.empty() || target.find(' ') != std::string_view::npos) return Error(400);
  if (method != "GET" && method != "HEAD") return Error(405);
  target = target.substr(0, target.find('?'));

  HttpResponse response;
  response.head_only = method == "HEAD";
  if (target == "/metrics") {
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    response.body = PrometheusText(CollectStats(context));
  } else if (target == "/status.json") {
    response.content_type = "application/json";
    response.body = StatsJson(CollectStats(context));
  } else if (target == "/" || target == "/index.html") {
    response.content_type = "text/html; charset=utf-8";
    response.body = std::string(kStatusPageHtml);
  } else {
    HttpResponse missing = Error(404);
    missing.head_only = response.head_only;
    return missing;
  }
  return response;
}

std::string SerializeHttpResponse(const HttpResponse& response) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " +
                    std::string(ReasonPhrase(response.status)) + "\r\n";
  out += "Content-Type: " + std::string(response.content_type) + "\r\n";
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  out += "Cache-Control: no-store\r\nConnection: close\r\n\r\n";
  if (!response.head_only) out += response.body;
  return out;
}

std::unique_ptr<Session> HttpSessionFactory::NewSession(unsigned) {
  return std::make_unique<HttpStatusSession>(context_);
}

}  // namespace ratmemcache::server

#pragma once

// The socket type of the network layer: TCP bound to an io_context's own executor (not
// the type-erased any_io_executor), which is smaller and dispatches handlers directly.

#include <asio.hpp>

namespace ratmemcache::net {

using Socket = asio::basic_stream_socket<asio::ip::tcp, asio::io_context::executor_type>;

}  // namespace ratmemcache::net

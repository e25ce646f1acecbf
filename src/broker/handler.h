#pragma once
// The shape every API handler has, and the adapter that turns one into a table entry.
//
// A handler is a struct naming its request/response types and the versions it serves:
//   struct metadata_handler {
//     using request = protocol::metadata_request;
//     using response = protocol::metadata_response;
//     static constexpr std::int16_t min_version = 0, max_version = 12;
//     static boost::asio::awaitable<response> handle(request_context&, request);
//   };
// invoke<H> decodes the body, awaits the handler and encodes header + body for the same version.
// A handler that may send no response at all (Produce with acks=0) returns
// awaitable<std::optional<response>>; std::nullopt means no response frame.
#include <optional>
#include <type_traits>

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "base/bytes.h"
#include "base/spliced_buffer.h"
#include "broker/request_context.h"
#include "broker/response_errors.h"
#include "protocol/api_key.h"
#include "protocol/messages/response_header.h"
#include "protocol/wire.h"

namespace spate::broker {

// A response frame without its size prefix; a Fetch's records are spliced in, not copied.
using response_frame = std::optional<base::spliced_buffer>;

template <typename T>
struct is_optional_response : std::false_type {};
template <typename T>
struct is_optional_response<std::optional<T>> : std::true_type {};

template <typename Response>
base::spliced_buffer encode_response(const request_context& ctx, const Response& response) {
  protocol::response_header header;
  header.correlation_id = ctx.header.correlation_id;
  const auto header_version = protocol::response_header_version(Response::key, ctx.api_version);
  base::spliced_buffer out;
  out.bytes.reserve(header.size(header_version) + response.size(ctx.api_version));
  protocol::writer writer(out);
  header.encode(writer, header_version);
  response.encode(writer, ctx.api_version);
  return out;
}

template <typename Handler>
boost::asio::awaitable<response_frame> invoke(request_context& ctx, protocol::reader& body) {
  static_assert(Handler::min_version >= Handler::request::min_version &&
                    Handler::max_version <= Handler::request::max_version,
                "a handler cannot serve versions its schema does not define");
  static_assert(Handler::request::key == Handler::response::key);
  typename Handler::request request;
  request.decode(body, ctx.api_version);
  auto response = co_await Handler::handle(ctx, std::move(request));
  if constexpr (is_optional_response<decltype(response)>::value) {
    if (!response) co_return std::nullopt;
    if (ctx.metrics) count_response_errors(*ctx.metrics, *response);
    co_return encode_response(ctx, *response);
  } else {
    if (ctx.metrics) count_response_errors(*ctx.metrics, response);
    co_return encode_response(ctx, response);
  }
}

}  // namespace spate::broker

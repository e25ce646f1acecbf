#pragma once
// spate::net — the TCP front door. Accepts connections, splits each byte stream into Kafka's
// size-prefixed frames (a 4-byte big-endian length, then that many bytes), hands every frame to the
// broker's frame_handler and writes the responses back, size-prefixed, in request order.
// net/ knows nothing about Kafka messages: a frame is opaque bytes.
//
// Only the coroutine and executor types of Asio appear here (the handler is an Asio coroutine);
// sockets, io_contexts and acceptors stay behind the pimpl in server.cc.
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/spliced_buffer.h"

namespace spate::net {

class tls_server_credentials;  // net/tls_context.h

// How long one request spent in each phase, told to a request_observer.
struct request_timing {
  // The first 4 bytes of the request frame, big-endian (0 for a shorter frame). net/ does not
  // interpret them; for Kafka they are the API key and version.
  std::uint32_t frame_prefix = 0;
  std::chrono::nanoseconds queue{0};   // frame fully read -> handler started
  std::chrono::nanoseconds handle{0};  // handler started -> handler completed
  std::chrono::nanoseconds send{0};    // handler completed -> response written (or dropped: acks=0)
};

// Told about every request whose response was written (or that had none), on the connection's
// event-loop thread. Called once per request: keep it cheap, never block, never throw. Requests of
// connections closed before their response was written are not reported.
class request_observer {
 public:
  virtual void request_completed(const request_timing& timing) noexcept = 0;

 protected:
  ~request_observer() = default;
};

// One endpoint the server accepts connections on. net/ does not interpret the name; every
// connection accepted on it carries it (connection_info::listener) for the frame handler.
struct listener_config {
  std::string name = "PLAINTEXT";
  // A literal IPv4/IPv6 address or a name resolved once at start().
  std::string host = "0.0.0.0";
  // 0 picks an ephemeral port; read it back with server::bound_port(index).
  std::uint16_t port = 9092;
  // Set: connections speak TLS (the handshake comes before the first frame), each with the context
  // that is current when it is accepted. Null: plaintext.
  std::shared_ptr<tls_server_credentials> tls;
};

struct server_config {
  // The single listener "PLAINTEXT" on host:port, used when `listeners` is empty.
  std::string host = "0.0.0.0";
  std::uint16_t port = 9092;
  // Endpoints to accept on, in order (bound_port(i) is the i-th); when empty, host:port above.
  std::vector<listener_config> listeners;
  // Largest accepted request frame (payload, without the 4-byte size). Kafka's
  // socket.request.max.bytes default. Larger, zero or negative sizes close the connection.
  std::size_t max_frame_bytes = 104857600;
  // Event-loop threads; 0 means std::thread::hardware_concurrency() (at least 1).
  unsigned threads = 0;
  // Requests read but not yet answered, per connection. At the limit the connection stops reading
  // (TCP backpressure) until the oldest response has been written. Values below 1 count as 1.
  std::size_t max_in_flight_per_connection = 16;
  // How long stop() lets in-flight requests finish before closing their connections.
  std::chrono::milliseconds stop_grace{2000};
  // A TLS connection that has not completed its handshake by then is closed.
  std::chrono::milliseconds tls_handshake_timeout{10000};
  // Optional (nullptr: no timing is taken); must outlive the server.
  request_observer* observer = nullptr;
};

// What a handler knows about the request's connection. Owned by the connection; a reference to it
// stays valid until the handler's coroutine has completed.
struct connection_info {
  std::uint64_t connection_id = 0;  // unique per server, never reused
  std::string peer;                 // "ip:port" of the client (IPv6 as "[ip]:port")
  // The connection's executor: its event-loop thread. The handler's coroutine runs here; create
  // timers on it (`boost::asio::steady_timer t(ctx.executor)`) for long polls.
  boost::asio::any_io_executor executor;
  // Mutes the connection: no request of it that has not yet reached the handler does so until
  // `duration` has passed, and reading stops behind it (Kafka's quota throttling, KIP-219: the
  // channel of a throttled client is muted while it backs off; a longer mute already in force is
  // kept). Call it on the connection's executor while handling one of its requests.
  std::function<void(std::chrono::milliseconds duration)> mute_reads_for;
  // The listener the connection was accepted on: its index in the server's listeners and its
  // name (valid as long as the server).
  std::size_t listener_index = 0;
  std::string_view listener;
  // Stops reading further requests; the connection closes once the responses of the requests
  // already read are written (Kafka closes a connection after a failed authentication's
  // response). Call it on the connection's executor while handling one of its requests.
  std::function<void()> close_after_responses;
  // The frame handler's own per-connection state (e.g. an authentication session), opaque to
  // net/: null when the connection opens, set and read only by the frame handler on the
  // connection's executor, destroyed with the connection.
  mutable std::shared_ptr<void> session;
  // On a TLS listener, the subject of the client certificate OpenSSL verified, in RFC 2253 form
  // ("CN=alice,OU=eng,O=Acme", as Kafka's principal builder sees it); nullopt when the client
  // presented none, and on a plaintext listener.
  std::optional<std::string> peer_certificate_subject;
};

// The broker's side of the contract, called once per request frame on the connection's thread.
//  - `frame` is the request payload without its size prefix. It is the handler's to read and to
//    modify in place (Produce stamps offsets into the batches it appends from the frame), and it
//    stays valid until the handler's coroutine completes; then the connection reuses its buffer for
//    a later request (pooled, so a request is not a fresh zero-filled allocation), so nothing may
//    refer to it afterwards.
//  - Returns the response payload without the size prefix (net/ adds it), or std::nullopt when the
//    request gets no response (Kafka produce with acks=0). Spliced pieces (a Fetch's records) go
//    out by reference in the same gather write, and their owners are released once it is done.
//  - Handlers of one connection may run concurrently (up to max_in_flight_per_connection) and finish
//    in any order; responses are still written in request order.
//  - Throwing closes THIS connection after one log line (no payload is logged); other connections
//    are unaffected. Expected errors belong in the response, not in exceptions.
//  - The std::function itself lives as long as the server: a coroutine lambda may use its captures.
//  - After stop()'s grace period, handlers still suspended are destroyed without being resumed.
using frame_handler = std::function<boost::asio::awaitable<std::optional<base::spliced_buffer>>(
    const connection_info& context, std::span<std::uint8_t> frame)>;

// A pipelined framing server: N event-loop threads, each with its own io_context; connections are
// handed out round-robin and live on one thread for their whole life, so per-connection state needs
// no locks (one io_context per thread instead of one shared io_context with a strand per connection:
// no cross-thread handoff on every completion, and a handler's timers fire on the thread that owns
// the connection).
//
// Thread-safety: start() and stop() are called by one controlling thread (stop() is also run by the
// destructor). bound_port(), open_connections(), accepted_connections() and tls_handshake_failures()
// may be called from any thread at any time. The handler is called concurrently from all event-loop threads.
class server {
 public:
  server(server_config config, frame_handler handler);
  ~server();  // stop()s if running
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds and listens (SO_REUSEADDR), then starts the event-loop threads and returns. Call once.
  // Throws std::system_error when the address cannot be resolved or bound.
  void start();

  // Graceful and idempotent: stops accepting, stops reading new requests, lets in-flight responses
  // be written for up to stop_grace, closes every connection and joins the threads. Blocks until
  // done. Does nothing if the server is not running. Never call it from a handler or any other
  // code running on an event-loop thread: it joins those threads.
  void stop();

  // The listening port of listener `index` (the real one when its port was 0); 0 before start().
  std::uint16_t bound_port(std::size_t index = 0) const;
  // Connections currently open.
  std::size_t open_connections() const;
  // Connections accepted since start().
  std::uint64_t accepted_connections() const;
  // TLS handshakes that failed (timed out, refused certificate, not TLS at all) since start().
  std::uint64_t tls_handshake_failures() const;

  struct impl;

 private:
  std::unique_ptr<impl> _impl;
};

}  // namespace spate::net

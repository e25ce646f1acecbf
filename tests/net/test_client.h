#pragma once
// A deliberately independent blocking client for net/ tests: plain POSIX sockets, so the framing
// under test is not also the framing used to check it. Every blocking call has a timeout
// (SO_RCVTIMEO/SO_SNDTIMEO) as a safety net; a timeout fails the calling test instead of hanging.
// Thread-compatible: one thread uses one client.
#include <chrono>
#include <cstdint>
#include <optional>

#include "base/bytes.h"

namespace spate::net::test {

class test_client {
 public:
  explicit test_client(std::uint16_t port, std::chrono::seconds timeout = std::chrono::seconds(10));
  ~test_client();
  test_client(const test_client&) = delete;
  test_client& operator=(const test_client&) = delete;

  // Sends size prefix + payload.
  void send_frame(base::byte_span payload);
  // Sends bytes as they are (several frames at once, or garbage).
  void send_raw(base::byte_span bytes);
  // Reads one response frame; std::nullopt on EOF, reset or timeout.
  std::optional<base::byte_buffer> read_frame();
  // Reads (and discards) until the server closes the connection. False on timeout.
  bool wait_closed();
  void shutdown_write();

 private:
  bool read_exact(std::uint8_t* out, std::size_t n);
  int _fd = -1;
};

// A frame holding one big-endian u32, and its inverse.
base::byte_buffer u32_frame(std::uint32_t value);
std::uint32_t frame_u32(base::byte_span frame);
// Appends size prefix + payload to `out`, for sending many frames in one write.
void append_frame(base::byte_buffer& out, base::byte_span payload);

}  // namespace spate::net::test

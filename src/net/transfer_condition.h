#pragma once
// A completion condition for asio::async_read/async_write that lets each system call move as much
// as the socket takes. Their default (transfer_all) moves at most 64 KiB per call, with a turn of
// the event loop between calls: a 1 MiB fetch response went out in 16 sendmsg calls and a 1 MiB
// produce request came in with 16 recv calls. Measured (bench/RESULTS.md, 2026-12-07 "64 KiB per
// system call"): consuming from one partition went 25-35 % faster at half the broker CPU.
// A TLS stream still encrypts record by record inside each call.
#include <boost/system/error_code.hpp>
#include <cstddef>

namespace spate::net {

struct as_much_as_each_call_moves {
  static constexpr std::size_t max_bytes_per_call = std::size_t{64} << 20;
  std::size_t operator()(const boost::system::error_code& ec, std::size_t /*transferred*/) const {
    return ec ? 0 : max_bytes_per_call;
  }
};

}  // namespace spate::net

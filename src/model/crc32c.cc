// CRC-32C through ISA-L's crc32_iscsi (the same polynomial, iSCSI's checksum), which picks the
// fastest code for the CPU at run time: on this project's machine (AMD EPYC, AVX-512 with
// VPCLMULQDQ) 47-56 GB/s on 16 KiB-16 MiB buffers where the crc32 instruction in three streams
// reached 20-28 GB/s, and 33 vs 16 GB/s on 1 KiB (bench/RESULTS.md, 2026-12-07).
#include "model/crc32c.h"

#include <isa-l/crc.h>

#include <algorithm>

namespace spate::model {

std::uint32_t crc32c(base::byte_span data, std::uint32_t crc) {
  // ISA-L's register is the raw one (no inversion on the way in or out), and its length an int.
  constexpr std::size_t max_chunk = std::size_t{1} << 30;
  std::uint32_t reg = ~crc;
  while (!data.empty()) {
    const std::size_t n = std::min(data.size(), max_chunk);
    // crc32_iscsi only reads the buffer; its C signature predates const.
    reg = crc32_iscsi(const_cast<std::uint8_t*>(data.data()), static_cast<int>(n), reg);
    data = data.subspan(n);
  }
  return ~reg;
}

}  // namespace spate::model

#include "model/compression.h"

#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>

#include "base/assert.h"

namespace spate::model {
namespace {

using base::byte_buffer;
using base::byte_span;

// An output buffer that grows by doubling but never beyond max_output + 1 bytes: the extra byte
// lets a codec reveal that its output is too large without us allocating for all of it.
class bounded_output {
 public:
  bounded_output(std::size_t max_output, std::size_t hint)
      : _limit(max_output == std::numeric_limits<std::size_t>::max() ? max_output : max_output + 1),
        _max(max_output) {
    _buf.resize(std::min(_limit, std::max<std::size_t>(hint, 256)));
  }
  // Makes room for more output; false when the limit is reached.
  bool grow() {
    if (_buf.size() >= _limit) return false;
    const std::size_t next = _buf.size() > _limit / 2 ? _limit : _buf.size() * 2;
    _buf.resize(next);
    return true;
  }
  std::uint8_t* free_ptr() { return _buf.data() + _used; }
  std::size_t free_size() const { return _buf.size() - _used; }
  void commit(std::size_t n) { _used += n; }
  bool too_large() const { return _used > _max; }
  byte_buffer take() {
    _buf.resize(_used);
    return std::move(_buf);
  }

 private:
  std::size_t _limit;
  std::size_t _max;
  std::size_t _used = 0;
  byte_buffer _buf;
};

result<byte_buffer> finish(bounded_output& out) {
  if (out.too_large()) return base::failure(errc::output_too_large);
  return out.take();
}

std::size_t initial_hint(byte_span in) { return in.size() * 4; }

// ---- gzip ----------------------------------------------------------------------------------

byte_buffer gzip_compress(byte_span in) {
  SPATE_ASSERT(in.size() <= std::numeric_limits<uInt>::max(), "gzip input above 4 GiB");
  z_stream zs{};
  // 15 window bits + 16: gzip wrapper (RFC 1952), as java.util.zip.GZIPOutputStream writes.
  int rc = deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  SPATE_ASSERT(rc == Z_OK, "deflateInit2");
  byte_buffer out(deflateBound(&zs, static_cast<uLong>(in.size())));
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  rc = deflate(&zs, Z_FINISH);
  SPATE_ASSERT(rc == Z_STREAM_END, "deflate into deflateBound bytes");
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

result<byte_buffer> gzip_decompress(byte_span in, std::size_t max_output) {
  if (in.size() > std::numeric_limits<uInt>::max())
    return base::failure(errc::decompression_failed);
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return base::failure(errc::decompression_failed);
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  bounded_output out(max_output, initial_hint(in));
  for (;;) {
    if (out.free_size() == 0 && !out.grow()) return base::failure(errc::output_too_large);
    const std::size_t avail =
        std::min<std::size_t>(out.free_size(), std::numeric_limits<uInt>::max());
    zs.next_out = out.free_ptr();
    zs.avail_out = static_cast<uInt>(avail);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    out.commit(avail - zs.avail_out);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      // Another gzip member follows (GZIPInputStream reads concatenated members too).
      if (inflateReset(&zs) != Z_OK) return base::failure(errc::decompression_failed);
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && zs.avail_out == 0) continue;  // needs more output space
    return base::failure(errc::decompression_failed);      // corrupt, or input ended early
  }
  return finish(out);
}

// ---- snappy --------------------------------------------------------------------------------

// xerial snappy-java stream header: magic, then big-endian version and compatible version.
constexpr std::uint8_t kXerialMagic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr std::size_t kXerialHeader = 16;
constexpr std::int32_t kXerialVersion = 1;
constexpr std::int32_t kXerialCompatible = 1;
constexpr std::size_t kXerialBlock = 32 * 1024;  // SnappyOutputStream's default block size

void append_raw_snappy(byte_buffer& out, byte_span in) {
  std::size_t len = snappy_max_compressed_length(in.size());
  const std::size_t at = out.size();
  out.resize(at + len);
  const snappy_status st = snappy_compress(reinterpret_cast<const char*>(in.data()), in.size(),
                                           reinterpret_cast<char*>(out.data() + at), &len);
  SPATE_ASSERT(st == SNAPPY_OK, "snappy_compress");
  out.resize(at + len);
}

byte_buffer snappy_compress_xerial(byte_span in) {
  byte_buffer out;
  out.reserve(kXerialHeader + snappy_max_compressed_length(in.size()) +
              4 * (in.size() / kXerialBlock + 1));
  out.insert(out.end(), std::begin(kXerialMagic), std::end(kXerialMagic));
  base::append_be<std::int32_t>(out, kXerialVersion);
  base::append_be<std::int32_t>(out, kXerialCompatible);
  // At least one chunk even for empty input: librdkafka takes a xerial stream of 20 bytes or
  // fewer for raw snappy.
  std::size_t pos = 0;
  do {
    const std::size_t n = std::min(kXerialBlock, in.size() - pos);
    const std::size_t len_at = out.size();
    base::append_be<std::int32_t>(out, 0);
    append_raw_snappy(out, in.subspan(pos, n));
    base::store_be<std::int32_t>(out.data() + len_at,
                                 static_cast<std::int32_t>(out.size() - len_at - 4));
    pos += n;
  } while (pos < in.size());
  return out;
}

// Appends the decompression of one raw snappy block to `out`, within `max_output` in total.
base::result<void, errc> snappy_raw_into(byte_span in, std::size_t max_output, byte_buffer& out) {
  std::size_t ulen = 0;
  const char* src = reinterpret_cast<const char*>(in.data());
  if (snappy_uncompressed_length(src, in.size(), &ulen) != SNAPPY_OK)
    return base::failure(errc::decompression_failed);
  if (ulen > max_output - out.size()) return base::failure(errc::output_too_large);
  const std::size_t at = out.size();
  out.resize(at + ulen);
  std::size_t produced = ulen;
  if (snappy_uncompress(src, in.size(), reinterpret_cast<char*>(out.data() + at), &produced) !=
          SNAPPY_OK ||
      produced != ulen)
    return base::failure(errc::decompression_failed);
  return {};
}

result<byte_buffer> snappy_decompress(byte_span in, std::size_t max_output) {
  byte_buffer out;
  const bool xerial =
      in.size() >= kXerialHeader && std::memcmp(in.data(), kXerialMagic, sizeof kXerialMagic) == 0;
  if (!xerial) {
    auto r = snappy_raw_into(in, max_output, out);
    if (!r) return base::failure(r.error());
    return out;
  }
  std::size_t pos = kXerialHeader;
  while (pos < in.size()) {
    if (in.size() - pos < 4) return base::failure(errc::decompression_failed);
    const auto len = static_cast<std::uint32_t>(base::load_be<std::int32_t>(in.data() + pos));
    pos += 4;
    if (len > in.size() - pos) return base::failure(errc::decompression_failed);
    auto r = snappy_raw_into(in.subspan(pos, len), max_output, out);
    if (!r) return base::failure(r.error());
    pos += len;
  }
  return out;
}

// ---- lz4 -----------------------------------------------------------------------------------

byte_buffer lz4_compress(byte_span in) {
  LZ4F_preferences_t prefs{};
  // Kafka's Java reader (KafkaLZ4BlockInputStream) decodes every block on its own, so blocks must
  // be independent; 64 KiB blocks and no checksums match the Java writer.
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
  prefs.frameInfo.blockChecksumFlag = LZ4F_noBlockChecksum;
  byte_buffer out(LZ4F_compressFrameBound(in.size(), &prefs));
  const std::size_t n = LZ4F_compressFrame(out.data(), out.size(), in.data(), in.size(), &prefs);
  SPATE_ASSERT(!LZ4F_isError(n), "LZ4F_compressFrame");
  out.resize(n);
  return out;
}

result<byte_buffer> lz4_decompress(byte_span in, std::size_t max_output) {
  LZ4F_dctx* raw = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&raw, LZ4F_VERSION)))
    return base::failure(errc::decompression_failed);
  std::unique_ptr<LZ4F_dctx, LZ4F_errorCode_t (*)(LZ4F_dctx*)> ctx(raw,
                                                                   LZ4F_freeDecompressionContext);
  if (in.empty()) return base::failure(errc::decompression_failed);
  bounded_output out(max_output, initial_hint(in));
  std::size_t pos = 0;
  std::size_t hint = 1;  // LZ4F's "bytes expected next"; 0 once a frame is complete
  while (pos < in.size() || hint != 0) {
    if (out.free_size() == 0 && !out.grow()) return base::failure(errc::output_too_large);
    std::size_t dst = out.free_size();
    std::size_t src = in.size() - pos;
    hint = LZ4F_decompress(ctx.get(), out.free_ptr(), &dst, in.data() + pos, &src, nullptr);
    if (LZ4F_isError(hint)) return base::failure(errc::decompression_failed);
    pos += src;
    out.commit(dst);
    if (src == 0 && dst == 0 && out.free_size() > 0)
      return base::failure(errc::decompression_failed);
    // All input consumed, room left for output, frame still open: the input was cut short.
    if (hint != 0 && pos == in.size() && out.free_size() > 0)
      return base::failure(errc::decompression_failed);
  }
  return finish(out);
}

// ---- zstd ----------------------------------------------------------------------------------

byte_buffer zstd_compress(byte_span in) {
  byte_buffer out(ZSTD_compressBound(in.size()));
  const std::size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  SPATE_ASSERT(!ZSTD_isError(n), "ZSTD_compress");
  out.resize(n);
  return out;
}

result<byte_buffer> zstd_decompress(byte_span in, std::size_t max_output) {
  if (in.empty()) return base::failure(errc::decompression_failed);
  std::size_t hint = initial_hint(in);
  const unsigned long long content = ZSTD_getFrameContentSize(in.data(), in.size());
  if (content == ZSTD_CONTENTSIZE_ERROR) return base::failure(errc::decompression_failed);
  if (content != ZSTD_CONTENTSIZE_UNKNOWN) {
    if (content > max_output) return base::failure(errc::output_too_large);
    hint = static_cast<std::size_t>(content) + 1;  // +1: a following frame shows up as too large
  }
  std::unique_ptr<ZSTD_DCtx, std::size_t (*)(ZSTD_DCtx*)> ctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!ctx) return base::failure(errc::decompression_failed);
  bounded_output out(max_output, hint);
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  for (;;) {
    if (out.free_size() == 0 && !out.grow()) return base::failure(errc::output_too_large);
    ZSTD_outBuffer dst{out.free_ptr(), out.free_size(), 0};
    const std::size_t rc = ZSTD_decompressStream(ctx.get(), &dst, &src);
    out.commit(dst.pos);
    if (ZSTD_isError(rc)) return base::failure(errc::decompression_failed);
    if (rc == 0 && src.pos == src.size) break;  // last frame complete, all input used
    if (src.pos == src.size && dst.pos < dst.size) return base::failure(errc::decompression_failed);
  }
  return finish(out);
}

}  // namespace

std::string_view to_string(compression_type c) {
  switch (c) {
    case compression_type::none: return "none";
    case compression_type::gzip: return "gzip";
    case compression_type::snappy: return "snappy";
    case compression_type::lz4: return "lz4";
    case compression_type::zstd: return "zstd";
  }
  return "unknown";
}

std::optional<compression_type> compression_from_bits(int bits) {
  if (bits < 0 || bits > 4) return std::nullopt;
  return static_cast<compression_type>(bits);
}

byte_buffer compress(compression_type type, byte_span in) {
  switch (type) {
    case compression_type::none: return byte_buffer(in.begin(), in.end());
    case compression_type::gzip: return gzip_compress(in);
    case compression_type::snappy: return snappy_compress_xerial(in);
    case compression_type::lz4: return lz4_compress(in);
    case compression_type::zstd: return zstd_compress(in);
  }
  SPATE_ASSERT(false, "unknown compression type");
  return {};
}

result<byte_buffer> decompress(compression_type type, byte_span in, std::size_t max_output) {
  switch (type) {
    case compression_type::none:
      if (in.size() > max_output) return base::failure(errc::output_too_large);
      return byte_buffer(in.begin(), in.end());
    case compression_type::gzip: return gzip_decompress(in, max_output);
    case compression_type::snappy: return snappy_decompress(in, max_output);
    case compression_type::lz4: return lz4_decompress(in, max_output);
    case compression_type::zstd: return zstd_decompress(in, max_output);
  }
  return base::failure(errc::unsupported_compression);
}

namespace detail {
byte_buffer snappy_compress_raw(byte_span in) {
  byte_buffer out;
  append_raw_snappy(out, in);
  return out;
}
}  // namespace detail

}  // namespace spate::model

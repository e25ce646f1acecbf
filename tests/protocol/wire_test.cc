#include "protocol/wire.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <span>
#include <utility>

namespace spate::protocol {
namespace {

base::byte_buffer bytes_of(std::initializer_list<int> v) {
  base::byte_buffer out;
  for (int b : v) out.push_back(static_cast<std::uint8_t>(b));
  return out;
}

TEST(reader, reads_big_endian_fixed_width_integers) {
  const auto in = bytes_of({0x01, 0x02, 0xff, 0xff, 0xff, 0xfe, 0x80});
  reader r(in);
  EXPECT_EQ(r.read_int16(), 0x0102);
  EXPECT_EQ(r.read_int32(), -2);
  EXPECT_EQ(r.read_int8(), -128);
  EXPECT_TRUE(r.empty());
}

TEST(reader, throws_on_every_overrun_instead_of_reading_past_the_end) {
  const auto in = bytes_of({0x00, 0x01, 0x02});
  reader r(in);
  EXPECT_THROW(r.read_int32(), decode_error);
  EXPECT_EQ(r.position(), 0u);
  EXPECT_THROW(r.read_raw(4), decode_error);
  EXPECT_THROW(r.read_uuid(), decode_error);
}

TEST(reader, string_lengths_are_checked_against_the_input) {
  // int16 length 5 but only 2 bytes follow.
  const auto in = bytes_of({0x00, 0x05, 'a', 'b'});
  reader r(in);
  EXPECT_THROW(r.read_string(false), decode_error);
}

TEST(reader, negative_lengths_other_than_null_are_rejected) {
  const auto in = bytes_of({0xff, 0xfe, 'a'});
  reader r(in);
  EXPECT_THROW(r.read_nullable_string(false, true), decode_error);
  const auto arr = bytes_of({0xff, 0xff, 0xff, 0xfd});
  reader r2(arr);
  EXPECT_THROW(r2.read_array_length(false, true), decode_error);
}

TEST(reader, null_is_only_accepted_where_the_version_allows_it) {
  const auto in = bytes_of({0xff, 0xff});
  reader r(in);
  EXPECT_THROW(r.read_string(false), decode_error);
  reader r2(in);
  EXPECT_THROW(r2.read_nullable_string(false, false), decode_error);
  reader r3(in);
  EXPECT_EQ(r3.read_nullable_string(false, true), std::nullopt);
  const auto compact_null = bytes_of({0x00});
  reader r4(compact_null);
  EXPECT_THROW(r4.read_array_length(true, false), decode_error);
  reader r5(compact_null);
  EXPECT_EQ(r5.read_array_length(true, true), -1);
}

TEST(reader, absurd_array_counts_are_rejected_before_allocating) {
  const auto in = bytes_of({0x7f, 0xff, 0xff, 0xff, 0x00});
  reader r(in);
  EXPECT_THROW(r.read_array_length(false, false), decode_error);
  const auto compact = bytes_of({0xff, 0xff, 0xff, 0xff, 0x0f});
  reader r2(compact);
  EXPECT_THROW(r2.read_array_length(true, false), decode_error);
}

TEST(reader, varints_that_overflow_or_never_end_are_rejected) {
  const auto too_long = bytes_of({0x80, 0x80, 0x80, 0x80, 0x80, 0x01});
  reader r(too_long);
  EXPECT_THROW(r.read_uvarint32(), decode_error);
  const auto overflow = bytes_of({0xff, 0xff, 0xff, 0xff, 0x1f});
  reader r2(overflow);
  EXPECT_THROW(r2.read_uvarint32(), decode_error);
  const auto truncated = bytes_of({0x80});
  reader r3(truncated);
  EXPECT_THROW(r3.read_uvarint32(), decode_error);
  const auto max32 = bytes_of({0xff, 0xff, 0xff, 0xff, 0x0f});
  reader r4(max32);
  EXPECT_EQ(r4.read_uvarint32(), 0xffffffffu);
  const auto overflow64 = bytes_of({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02});
  reader r5(overflow64);
  EXPECT_THROW(r5.read_uvarint64(), decode_error);
}

TEST(reader, signed_varints_use_zigzag) {
  base::byte_buffer buf;
  writer w(buf);
  w.write_varint(-1);
  w.write_varint(150);
  w.write_varint(-2147483648LL);
  reader r(buf);
  EXPECT_EQ(r.read_varint32(), -1);
  EXPECT_EQ(r.read_varint64(), 150);
  EXPECT_EQ(r.read_varint32(), -2147483647 - 1);
}

TEST(writer, compact_and_classic_strings_round_trip) {
  base::byte_buffer buf;
  writer w(buf);
  w.write_string("abc", false);
  w.write_string("abc", true);
  w.write_nullable_string(std::nullopt, false, true, "f");
  w.write_nullable_string(std::nullopt, true, true, "f");
  EXPECT_EQ(buf, bytes_of({0x00, 0x03, 'a', 'b', 'c', 0x04, 'a', 'b', 'c', 0xff, 0xff, 0x00}));
  EXPECT_EQ(buf.size(), string_size(3, false) + string_size(3, true) +
                            nullable_string_size(std::nullopt, false) +
                            nullable_string_size(std::nullopt, true));
  reader r(buf);
  EXPECT_EQ(r.read_string(false), "abc");
  EXPECT_EQ(r.read_string(true), "abc");
  EXPECT_EQ(r.read_nullable_string(false, true), std::nullopt);
  EXPECT_EQ(r.read_nullable_string(true, true), std::nullopt);
  EXPECT_TRUE(r.empty());
}

TEST(writer, null_where_the_version_forbids_it_throws_encode_error) {
  base::byte_buffer buf;
  writer w(buf);
  EXPECT_THROW(w.write_nullable_string(std::nullopt, false, false, "f"), encode_error);
  EXPECT_THROW(w.write_nullable_bytes(std::nullopt, true, false, "f"), encode_error);
  EXPECT_THROW(w.write_null_array(false, false, "f"), encode_error);
  EXPECT_THROW(w.write_string(std::string(40000, 'x'), false), encode_error);
}

TEST(tagged_writer, merges_unknown_fields_in_tag_order) {
  const std::vector<tagged_field> unknown = {{5, {0xaa}}, {1, {0xbb, 0xcc}}};
  base::byte_buffer buf;
  writer w(buf);
  tagged_writer tw(w, unknown, 3);
  tw.begin(3, 1);
  w.write_int8(7);
  tw.finish();
  EXPECT_EQ(buf, bytes_of({3, 1, 2, 0xbb, 0xcc, 3, 1, 7, 5, 1, 0xaa}));
}

TEST(tagged_writer, rejects_an_unknown_field_that_duplicates_a_known_tag) {
  const std::vector<tagged_field> unknown = {{3, {0xaa}}};
  base::byte_buffer buf;
  writer w(buf);
  tagged_writer tw(w, unknown, 2);
  EXPECT_THROW(tw.begin(3, 1), encode_error);
}

// Records in a Produce request frame are borrowed from it (net/ keeps the frame for the handler),
// so a produce appends without copying; a reader over input it may not keep copies them.
TEST(records, a_borrowing_reader_refers_to_its_input_and_a_plain_one_copies) {
  auto input = bytes_of({0, 0, 0, 3, 7, 8, 9});
  auto borrowed = reader::borrowing(std::span<std::uint8_t>(input)).read_nullable_records(false, true);
  ASSERT_TRUE(borrowed);
  EXPECT_EQ(borrowed->data(), input.data() + 4);
  ASSERT_EQ(borrowed->writable().size(), 3u);
  borrowed->writable()[0] = 6;  // Produce stamps offsets like this
  EXPECT_EQ(input[4], 6);

  auto copied = reader(base::byte_span(input)).read_nullable_records(false, true);
  ASSERT_TRUE(copied);
  EXPECT_NE(copied->data(), input.data() + 4);
  EXPECT_EQ(*copied, records(bytes_of({6, 8, 9})));

  // A sub-reader (a tagged field's value) borrows as its parent does.
  auto nested = bytes_of({0, 0, 0, 1, 5});
  auto sub = reader::borrowing(std::span<std::uint8_t>(nested)).sub_reader(5);
  EXPECT_EQ(sub.read_nullable_records(false, true)->data(), nested.data() + 4);
}

TEST(records, copies_of_owned_records_own_their_bytes_and_copies_of_views_share_them) {
  records owned(bytes_of({1, 2, 3}));
  records copy = owned;
  EXPECT_NE(copy.data(), owned.data());
  EXPECT_EQ(copy, owned);
  copy.truncate(2);
  EXPECT_EQ(copy, records(bytes_of({1, 2})));
  EXPECT_EQ(owned.size(), 3u);
  const records moved = std::move(copy);
  EXPECT_EQ(moved, records(bytes_of({1, 2})));

  auto buffer = std::make_shared<bytes>(bytes_of({4, 5, 6}));
  const auto shared = records::share(buffer, *buffer);
  const records shared_copy = shared;  // NOLINT(performance-unnecessary-copy-initialization): the copy is the test
  EXPECT_EQ(shared_copy.data(), buffer->data());
  EXPECT_EQ(shared_copy.owner(), buffer);
  EXPECT_TRUE(records(shared).writable().empty()) << "shared bytes may be in another response";
}

// A Fetch response splices large shared records into the gather write instead of copying them;
// small ones and owned ones are copied. The flattened message is what a plain encoding writes.
TEST(writer, splices_large_shared_records_and_copies_the_rest) {
  auto large = std::make_shared<bytes>(64 * 1024, std::uint8_t{0xab});
  const std::optional<records> parts[] = {records::share(large, *large), records(bytes(64 * 1024, 0xcd)),
                                          records::share(large, std::span<const std::uint8_t>(*large).first(100)),
                                          std::nullopt};
  base::spliced_buffer spliced;
  writer w(spliced);
  base::byte_buffer plain;
  writer p(plain);
  for (const auto& r : parts) {
    w.write_int8(1);
    w.write_nullable_records(r, true, true, "records");
    p.write_int8(1);
    p.write_nullable_records(r, true, true, "records");
  }
  ASSERT_EQ(spliced.splices.size(), 1u);
  EXPECT_EQ(spliced.splices[0].data.data(), large->data());
  EXPECT_EQ(spliced.splices[0].owner, large);
  EXPECT_EQ(spliced.bytes.size() + large->size(), plain.size());
  EXPECT_EQ(spliced.size(), plain.size());
  EXPECT_EQ(spliced.flatten(), plain);
  EXPECT_THROW(w.write_nullable_records(std::nullopt, true, false, "records"), encode_error);
}

}  // namespace
}  // namespace spate::protocol

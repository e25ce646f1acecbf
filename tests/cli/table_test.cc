#include "cli/table.h"

#include <gtest/gtest.h>

namespace spate::cli {
namespace {

TEST(table, aligns_columns_to_the_widest_cell_with_two_spaces_and_no_trailing_blanks) {
  table t({"TOPIC", "PARTITIONS"});
  t.add_row({"orders", "3"});
  t.add_row({"a", "12"});
  EXPECT_EQ(t.render(),
            "TOPIC   PARTITIONS\n"
            "orders  3\n"
            "a       12\n");
}

TEST(table, pads_short_rows_and_trims_an_empty_last_cell) {
  table t({"A", "B", "C"});
  t.add_row({"x"});
  EXPECT_EQ(t.render(), "A  B  C\nx\n");
}

TEST(table, only_headers_when_empty) {
  table t({"GROUP", "STATE"});
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.render(), "GROUP  STATE\n");
}

TEST(table, rejects_a_row_longer_than_the_header) {
  table t({"A"});
  EXPECT_THROW(t.add_row({"1", "2"}), std::logic_error);
}

}  // namespace
}  // namespace spate::cli

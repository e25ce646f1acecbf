// A partition whose log failed (a write or fdatasync error) answers every request touching its
// data at once with KAFKA_STORAGE_ERROR (retriable: clients retry by themselves), and serves again
// once the log manager has recovered it — without a restart.
#include <gtest/gtest.h>

#include "data_path_support.h"
#include "io/fault_injection.h"
#include "protocol/error_code.h"

namespace spate::broker {
namespace {

using namespace testing;
using protocol::error_code;

constexpr auto storage_error = static_cast<std::int16_t>(error_code::kafka_storage_error);

class failed_partition_test : public ::testing::Test {
 protected:
  failed_partition_test() { services.create_topic("t", 2); }
  io::fault_injecting_file_system fs;
  test_broker services{test_options(), {}, &fs};
};

TEST_F(failed_partition_test, a_failed_partition_answers_storage_error_at_once_and_serves_again_after_recovery) {
  ASSERT_EQ(produce(services, "t", 0, make_batch(2)).error_code, 0);
  fs.set_write_error(true);
  EXPECT_EQ(produce(services, "t", 0, make_batch(1)).error_code, storage_error);
  fs.set_write_error(false);
  auto log = services.logs().get("t", 0);
  ASSERT_TRUE(log->failed());

  // Every data request on the failed partition: an immediate, retriable error.
  EXPECT_EQ(produce(services, "t", 0, make_batch(1)).error_code, storage_error);
  EXPECT_EQ(fetch_one(services, "t", 0, 0).error_code, storage_error);
  EXPECT_EQ(list_offsets(services, "t", 0, -1).error_code, storage_error);
  // The other partition is untouched.
  EXPECT_EQ(produce(services, "t", 1, make_batch(1)).error_code, 0);
  EXPECT_EQ(fetch_one(services, "t", 1, 0).error_code, 0);

  const auto pass = services.logs().recover_failed_logs();
  EXPECT_EQ(pass.recovered, 1u);
  EXPECT_EQ(services.logs().get("t", 0), log);
  const auto p = produce(services, "t", 0, make_batch(1));
  EXPECT_EQ(p.error_code, 0);
  EXPECT_EQ(p.base_offset, 2);  // the failed append left nothing behind
  const auto f = fetch_one(services, "t", 0, 0);
  EXPECT_EQ(f.error_code, 0);
  EXPECT_EQ(f.high_watermark, 3);
  EXPECT_EQ(list_offsets(services, "t", 0, -1).offset, 3);
}

}  // namespace
}  // namespace spate::broker

#include "storage/topic_metadata.h"

#include <fstream>

#include <gtest/gtest.h>

#include "helpers.h"
#include "io/fault_injection.h"

namespace spate::storage::test {
namespace {

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(topic_metadata, what_is_encoded_reads_back_the_same) {
  temp_dir tmp;
  io::fault_injecting_file_system fs;
  topic_map topics;
  topics["orders"] = {"orders", model::random_uuid(), 3, {{"retention.ms", "1000"}}};
  topics["empty"] = {"empty", model::random_uuid(), 1, {}};
  write_text(tmp.path() / "t.json", encode_topic_metadata(topics));
  auto back = read_topic_metadata(fs, tmp.path() / "t.json");
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, topics);
}

TEST(topic_metadata, an_unknown_version_or_bad_json_is_corrupt_and_a_missing_file_an_io_error) {
  temp_dir tmp;
  io::fault_injecting_file_system fs;
  write_text(tmp.path() / "v2.json", R"({"version": 2, "topics": []})");
  write_text(tmp.path() / "bad.json", "{not json");
  EXPECT_EQ(read_topic_metadata(fs, tmp.path() / "v2.json").error(), errc::corrupt_log);
  EXPECT_EQ(read_topic_metadata(fs, tmp.path() / "bad.json").error(), errc::corrupt_log);
  EXPECT_EQ(read_topic_metadata(fs, tmp.path() / "missing.json").error(), errc::io_error);
}

}  // namespace
}  // namespace spate::storage::test

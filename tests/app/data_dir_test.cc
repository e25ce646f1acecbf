#include <fstream>

#include <gtest/gtest.h>

#include "app/data_dir.h"

namespace spate::app {
namespace {

class data_dir_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("spate_data_dir_test_" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(data_dir_test, first_use_creates_the_directory_and_a_kafka_style_cluster_id) {
  const auto id = open_data_dir(dir_, 3);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "meta.properties"));
  EXPECT_EQ(id.cluster_id.size(), 22u);
  EXPECT_EQ(id.node_id, 3);
}

TEST_F(data_dir_test, cluster_id_is_kept_across_opens) {
  const auto first = open_data_dir(dir_, 1);
  EXPECT_EQ(open_data_dir(dir_, 1).cluster_id, first.cluster_id);
}

TEST_F(data_dir_test, another_node_id_is_refused) {
  open_data_dir(dir_, 1);
  EXPECT_THROW(open_data_dir(dir_, 2), std::runtime_error);
}

TEST_F(data_dir_test, damaged_meta_properties_is_refused) {
  std::filesystem::create_directories(dir_);
  std::ofstream(dir_ / "meta.properties") << "version=1\n";
  EXPECT_THROW(open_data_dir(dir_, 1), std::runtime_error);
}

TEST(cluster_id, ids_use_the_base64url_alphabet_and_differ) {
  const auto a = random_cluster_id();
  EXPECT_EQ(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), std::string::npos);
  EXPECT_NE(a, random_cluster_id());
}

}  // namespace
}  // namespace spate::app

#include "io/file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace spate::io {
namespace {

class posix_file final : public file {
 public:
  explicit posix_file(int fd) : _fd(fd) {}
  ~posix_file() override { ::close(_fd); }
  posix_file(const posix_file&) = delete;
  posix_file& operator=(const posix_file&) = delete;

  result<std::size_t> pread(std::span<std::uint8_t> out, std::uint64_t offset) override {
    std::size_t done = 0;
    while (done < out.size()) {
      const auto n = ::pread(_fd, out.data() + done, out.size() - done,
                             static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_failure(errno);
      }
      if (n == 0) break;  // end of file
      done += static_cast<std::size_t>(n);
    }
    return done;
  }

  result<void> pwrite(base::byte_span data, std::uint64_t offset) override {
    std::size_t done = 0;
    while (done < data.size()) {
      const auto n = ::pwrite(_fd, data.data() + done, data.size() - done,
                              static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_failure(errno);
      }
      done += static_cast<std::size_t>(n);
    }
    return {};
  }

  result<void> datasync() override {
    if (::fdatasync(_fd) != 0) return errno_failure(errno);
    return {};
  }

  result<void> write_back(std::uint64_t offset, std::uint64_t length, bool wait) override {
    const unsigned flags =
        wait ? SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER : SYNC_FILE_RANGE_WRITE;
    if (::sync_file_range(_fd, static_cast<off_t>(offset), static_cast<off_t>(length), flags) != 0)
      return errno_failure(errno);
    return {};
  }

  result<void> drop_from_cache(std::uint64_t offset, std::uint64_t length) override {
    if (const int err =
            ::posix_fadvise(_fd, static_cast<off_t>(offset), static_cast<off_t>(length), POSIX_FADV_DONTNEED);
        err != 0)
      return errno_failure(err);
    return {};
  }

  result<void> reserve(std::uint64_t offset, std::uint64_t length) override {
    while (::fallocate(_fd, FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset), static_cast<off_t>(length)) != 0) {
      if (errno != EINTR) return errno_failure(errno);
    }
    return {};
  }

  result<void> truncate(std::uint64_t size) override {
    if (::ftruncate(_fd, static_cast<off_t>(size)) != 0) return errno_failure(errno);
    return {};
  }

  result<std::uint64_t> size() override {
    struct stat st {};
    if (::fstat(_fd, &st) != 0) return errno_failure(errno);
    return static_cast<std::uint64_t>(st.st_size);
  }

  int native_handle() const override { return _fd; }

 private:
  int _fd;
};

class posix_lock final : public file_lock {
 public:
  explicit posix_lock(int fd) : _fd(fd) {}
  ~posix_lock() override {
    ::flock(_fd, LOCK_UN);
    ::close(_fd);
  }
  posix_lock(const posix_lock&) = delete;
  posix_lock& operator=(const posix_lock&) = delete;

 private:
  int _fd;
};

class posix_fs final : public file_system {
 public:
  result<std::unique_ptr<file>> open(const std::filesystem::path& path, open_options o) override {
    int flags = O_CLOEXEC;
    flags |= (o.write || o.create) ? O_RDWR : O_RDONLY;
    if (o.create) flags |= O_CREAT;
    if (o.create && o.exclusive) flags |= O_EXCL;
    if (o.truncate) flags |= O_TRUNC;
    const int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) return errno_failure(errno);
    return std::unique_ptr<file>(new posix_file(fd));
  }

  result<void> rename(const std::filesystem::path& from, const std::filesystem::path& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return errno_failure(errno);
    return {};
  }

  result<void> unlink(const std::filesystem::path& path) override {
    if (::unlink(path.c_str()) != 0) return errno_failure(errno);
    return {};
  }

  result<void> remove_all(const std::filesystem::path& path) override {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (ec) return base::failure(ec);
    return {};
  }

  result<void> create_directory(const std::filesystem::path& path) override {
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return errno_failure(errno);
    return {};
  }

  result<void> sync_directory(const std::filesystem::path& path) override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno_failure(errno);
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return errno_failure(err);
    return {};
  }

  result<std::vector<std::string>> list_directory(const std::filesystem::path& path) override {
    std::error_code ec;
    std::vector<std::string> names;
    for (std::filesystem::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec))
      names.push_back(it->path().filename().string());
    if (ec) return base::failure(ec);
    return names;
  }

  result<bool> exists(const std::filesystem::path& path) override {
    std::error_code ec;
    const bool e = std::filesystem::exists(path, ec);
    if (ec) return base::failure(ec);
    return e;
  }

  result<bool> is_directory(const std::filesystem::path& path) override {
    std::error_code ec;
    const bool d = std::filesystem::is_directory(path, ec);
    if (ec && ec != std::errc::no_such_file_or_directory) return base::failure(ec);
    return d;
  }

  result<std::unique_ptr<file_lock>> lock(const std::filesystem::path& path) override {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return errno_failure(errno);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno == EWOULDBLOCK ? EAGAIN : errno;
      ::close(fd);
      return errno_failure(err);
    }
    return std::unique_ptr<file_lock>(new posix_lock(fd));
  }
};

}  // namespace

file_system& posix_file_system() {
  static posix_fs fs;
  return fs;
}

result<base::byte_buffer> read_whole_file(file_system& fs, const std::filesystem::path& path) {
  auto f = fs.open(path, {});
  if (!f) return base::failure(f.error());
  auto size = (*f)->size();
  if (!size) return base::failure(size.error());
  base::byte_buffer buf(*size);
  auto n = (*f)->pread(buf, 0);
  if (!n) return base::failure(n.error());
  buf.resize(*n);
  return buf;
}

result<void> write_file_atomically(file_system& fs, const std::filesystem::path& path,
                                   base::byte_span contents) {
  auto tmp = path;
  tmp += ".tmp";
  {
    auto f = fs.open(tmp, {.write = true, .create = true, .truncate = true});
    if (!f) return base::failure(f.error());
    if (auto r = (*f)->pwrite(contents, 0); !r) return r;
    if (auto r = (*f)->datasync(); !r) return r;
  }
  if (auto r = fs.rename(tmp, path); !r) return r;
  return fs.sync_directory(path.has_parent_path() ? path.parent_path() : ".");
}

}  // namespace spate::io

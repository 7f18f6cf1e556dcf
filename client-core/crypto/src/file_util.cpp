// SPDX-License-Identifier: Apache-2.0
// POSIX implementations of the durable file helpers used by the key record, rekey and wipe.
// Every helper reports failures as zb::crypto::Error{Io} with errno text; none throws.

#include "file_util.hpp"

#include <sodium.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace zb::crypto::detail {

namespace {

Error io_error(const std::string& what, const std::string& path) {
    return make_error(Errc::Io, what + " " + path + ": " + std::strerror(errno));
}

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

std::string parent_of(const std::string& path) {
    auto p = std::filesystem::path(path).parent_path();
    return p.empty() ? std::string(".") : p.string();
}

Result<void> write_all(int fd, const unsigned char* p, std::size_t n, const std::string& path) {
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return io_error("write", path);
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return {};
}

}  // namespace

bool file_exists(const std::string& path) {
    struct stat sb {};
    return ::stat(path.c_str(), &sb) == 0;
}

std::int64_t file_size(const std::string& path) {
    struct stat sb {};
    if (::stat(path.c_str(), &sb) != 0) return -1;
    return static_cast<std::int64_t>(sb.st_size);
}

Result<void> fsync_file(const std::string& path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return io_error("open", path);
    if (::fsync(fd.get()) != 0) return io_error("fsync", path);
    return {};
}

Result<void> fsync_parent_dir(const std::string& path) {
    const std::string dir = parent_of(path);
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) return io_error("open dir", dir);
    if (::fsync(fd.get()) != 0) return io_error("fsync dir", dir);
    return {};
}

Result<void> write_file_atomic(const std::string& path, std::string_view data) {
    const std::string tmp = path + ".tmp";
    {
        Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        if (fd.get() < 0) return io_error("create", tmp);
        auto w = write_all(fd.get(), reinterpret_cast<const unsigned char*>(data.data()),
                           data.size(), tmp);
        if (!w) return w;
        if (::fsync(fd.get()) != 0) return io_error("fsync", tmp);
    }
    return rename_durable(tmp, path);
}

Result<void> rename_durable(const std::string& from, const std::string& to) {
    if (::rename(from.c_str(), to.c_str()) != 0) return io_error("rename", from);
    return fsync_parent_dir(to);
}

Result<void> overwrite_and_unlink(const std::string& path) {
    const std::int64_t size = file_size(path);
    if (size < 0) return {};
    {
        Fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
        if (fd.get() < 0) return io_error("open", path);
        std::vector<unsigned char> junk(65536);
        std::int64_t left = size;
        while (left > 0) {
            const auto n = static_cast<std::size_t>(left < static_cast<std::int64_t>(junk.size())
                                                        ? left
                                                        : static_cast<std::int64_t>(junk.size()));
            randombytes_buf(junk.data(), n);
            auto w = write_all(fd.get(), junk.data(), n, path);
            if (!w) return w;
            left -= static_cast<std::int64_t>(n);
        }
        if (::fsync(fd.get()) != 0) return io_error("fsync", path);
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return io_error("unlink", path);
    return {};
}

Result<std::string> read_small_file(const std::string& path, std::size_t max_bytes) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        if (errno == ENOENT) return make_error(Errc::BadKeyRecord, "no key record at " + path);
        return io_error("open", path);
    }
    std::string out;
    char buf[4096];
    for (;;) {
        const ssize_t r = ::read(fd.get(), buf, sizeof buf);
        if (r < 0) {
            if (errno == EINTR) continue;
            return io_error("read", path);
        }
        if (r == 0) break;
        out.append(buf, static_cast<std::size_t>(r));
        if (out.size() > max_bytes) return make_error(Errc::BadKeyRecord, "key record too large");
    }
    return out;
}

}  // namespace zb::crypto::detail

// SPDX-License-Identifier: Apache-2.0
// Crash safety of the local write path (reliability.md R-01, in its process-kill form): a child
// process writes as fast as it can and reports each write that returned; the parent SIGKILLs it
// at a random moment, reopens the file and checks that every reported write is there, that the
// outbox seqs are gap-free, and that rows and outbox entries match one to one (I1, I2).
#include "fixture.hpp"

#include <chrono>
#include <random>
#include <set>
#include <signal.h>
#include <string>
#include <sys/types.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace zb::test {
namespace {

[[noreturn]] void child_writer(const std::string& path, int fd, int start) {
    core::Options o;
    o.path = path;
    o.schema = schema_v1();
    auto r = Replica::open(std::move(o));
    if (!r) _exit(2);
    for (int i = start;; ++i) {
        const std::string row = "r" + std::to_string(i);
        if (!(*r)->write("notes", row, {{"title", std::string(200, 'x')}, {"org", std::int64_t{i}}})
                 .ok()) {
            _exit(3);
        }
        // Only after write() returned: this write is "locally acknowledged".
        if (::write(fd, &i, sizeof i) != static_cast<ssize_t>(sizeof i)) _exit(4);
    }
}

TEST_CASE("SIGKILL mid-write keeps every acknowledged write and a consistent outbox",
          "[replica][crash]") {
    TempDir dir("replica-crash");
    const std::string path = dir.file("crash.db");
    std::mt19937 rng(std::random_device{}());
    int next = 0;
    std::set<int> acked;
    for (int iteration = 0; iteration < 10; ++iteration) {
        int fds[2];
        REQUIRE(pipe(fds) == 0);
        const pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            child_writer(path, fds[1], next);
        }
        close(fds[1]);
        std::this_thread::sleep_for(std::chrono::milliseconds(30 + rng() % 120));
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        CHECK(WIFSIGNALED(status));
        int i = 0;
        while (read(fds[0], &i, sizeof i) == static_cast<ssize_t>(sizeof i))
            acked.insert(i);
        close(fds[0]);

        TestClock clock;
        auto r = open_replica(path, schema_v1(), clock);
        auto rows = r->scan("notes").value();
        std::set<std::string> present;
        for (const auto& row : rows)
            present.insert(row.id);
        for (int a : acked) {
            INFO("acknowledged write " << a << " lost in iteration " << iteration);
            CHECK(present.count("r" + std::to_string(a)) == 1);
        }
        // One outbox change per written cell, seqs 1..n without a gap, and no write without its
        // outbox entry or the other way round (the killed write is all or nothing).
        auto out = all_pending(*r);
        REQUIRE(out.size() == rows.size() * 2);
        std::set<std::string> in_outbox;
        for (std::size_t k = 0; k < out.size(); ++k) {
            CHECK(out[k].seq == k + 1);
            in_outbox.insert(out[k].row);
        }
        CHECK(in_outbox == present);
        for (const auto& row : rows)
            CHECK(row.values.size() == 2);
        next = static_cast<int>(rows.size()) + 1000 * (iteration + 1);
        REQUIRE(r->close().ok());
    }
    CHECK(acked.size() > 10);  // the children really wrote
}

}  // namespace
}  // namespace zb::test

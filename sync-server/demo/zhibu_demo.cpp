// SPDX-License-Identifier: Apache-2.0
// zhibu-demo: the README's main job. Starts the sync server on its embedded SQLite store with a
// sample university, then plays the three everyday stories with real phones (encrypted replicas
// and the sync client over TLS on 127.0.0.1): members studying offline, a secretary logging a
// meeting on site offline, and everyone's changes merging when they come back. It tells what
// happened in a branch secretary's words, then leaves the server running for the `zhibu` client.
#include "sample_university.hpp"

#include "zb/core/encrypted_opener.hpp"
#include "zb/core/replica.hpp"
#include "zb/domain/orglife.hpp"
#include "zb/domain/schema.hpp"
#include "zb/domain/tables.hpp"
#include "zb/net/sync_client.hpp"
#include "zb/server/context.hpp"
#include "zb/server/domain/register.hpp"
#include "zb/server/server.hpp"
#include "zb/server/tls.hpp"

#include <sodium.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
namespace T = zb::domain::tables;
using namespace std::chrono_literals;
using zb::core::Values;
using zb::protocol::Value;

namespace {

struct Args {
    std::string dir = ".zhibu-demo";
    std::uint16_t port = 8443;
    int members_per_branch = 25;
    int night_phones = 60;
    bool serve = true;
};

void usage() {
    std::cout << "zhibu-demo: a sample university on a Zhibu server, and phones syncing.\n\n"
                 "usage: zhibu-demo [--dir DIR] [--port N] [--members N] [--phones N] [--exit]\n"
                 "  --dir DIR     working folder, recreated on each run (default .zhibu-demo)\n"
                 "  --port N      server port on 127.0.0.1 (default 8443)\n"
                 "  --members N   members per branch (default 25; 12 branches)\n"
                 "  --phones N    phones that sync in the evening rush of story 3 (default 60)\n"
                 "  --exit        stop the server after the stories instead of serving on\n";
}

bool parse_args(int argc, char** argv, Args& a) {
    for (int i = 1; i < argc; ++i) {
        std::string k = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(k + " needs a value");
            return argv[++i];
        };
        if (k == "--dir") {
            a.dir = next();
        } else if (k == "--port") {
            a.port = static_cast<std::uint16_t>(std::stoi(next()));
        } else if (k == "--members") {
            a.members_per_branch = std::max(5, std::stoi(next()));
        } else if (k == "--phones") {
            a.night_phones = std::max(1, std::stoi(next()));
        } else if (k == "--exit") {
            a.serve = false;
        } else if (k == "--help" || k == "-h") {
            usage();
            return false;
        } else {
            throw std::invalid_argument("unknown option " + k + " (see --help)");
        }
    }
    return true;
}

std::uint64_t now_ms() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

// Flushed line by line: the story must read live even when stdout is a pipe or a log file.
void heading(const std::string& s) {
    std::cout << "\n━━ " << s << std::endl;
}
void say(const std::string& s) {
    std::cout << "   " << s << std::endl;
}

std::string text_of(const std::optional<Values>& row, const char* col) {
    if (!row) return "(none)";
    auto it = row->find(col);
    if (it == row->end()) return "(none)";
    if (auto* s = std::get_if<std::string>(&it->second)) return *s;
    return zb::protocol::to_display(it->second);
}

/// Stop the story with a clear message if a step the story relies on was refused.
template <class T>
void must(const zb::protocol::Result<T>& r, const std::string& what) {
    if (!r) throw std::runtime_error(what + ": " + r.error().message);
}

/// One phone: an encrypted replica on "disk" and the sync client that connects it to the server.
class Phone {
public:
    Phone(std::string label, std::string person, std::string role, std::string org,
          const Args& args, const std::string& pin, zb::server::ServerContext& ctx)
        : label_(std::move(label)), person_(std::move(person)) {
        // A phone keeps its database key in the platform keystore; here, a fresh random key.
        std::array<unsigned char, 32> key{};
        randombytes_buf(key.data(), key.size());
        zb::core::Options o;
        o.path = (fs::path(args.dir) / "phones" / (label_ + ".db")).string();
        o.schema = zb::domain::make_schema();
        o.opener = zb::core::encrypted_opener(key.data(), key.size());
        sodium_memzero(key.data(), key.size());
        auto opened = zb::core::Replica::open(std::move(o));
        must(opened, label_ + " replica");
        replica_ = std::move(opened).value();

        zb::net::ClientOptions co;
        co.endpoint.host = "127.0.0.1";
        co.endpoint.port = args.port;
        co.transport.tls.pins = {pin};
        co.client_name = "zhibu-demo-phone";
        client_ = std::make_unique<zb::net::SyncClient>(*replica_, co);

        auto code = ctx.store->issue_enroll_code({person_, std::move(role), std::move(org)},
                                                 now_ms() + 3600'000, now_ms());
        if (!code) throw std::runtime_error("enroll code: " + code.error().message);
        auto e = client_->enroll(code.value(), label_, 20s);
        if (!e.ok()) throw std::runtime_error(label_ + " enroll: " + e.error.to_string());
    }

    zb::net::SyncResult sync(bool show_progress = false) {
        if (show_progress) {
            client_->on_progress([](std::uint64_t done, std::uint64_t total) {
                std::printf("\r   downloading… %llu / %llu", static_cast<unsigned long long>(done),
                            static_cast<unsigned long long>(total));
                std::fflush(stdout);
            });
        }
        auto r = client_->sync_once(60s);
        if (show_progress) {
            std::printf("\n");
            client_->on_progress(nullptr);
        }
        if (!r.ok()) throw std::runtime_error(label_ + " sync: " + r.error.to_string());
        return r;
    }

    template <class F>
    auto with(F&& fn) {
        return client_->run(std::forward<F>(fn));
    }

    std::uint64_t outbox() {
        return with([](zb::core::Replica& r) { return r.outbox_size().value(); });
    }
    std::size_t rows(std::string_view table) {
        return with([&](zb::core::Replica& r) { return r.scan(table).value().size(); });
    }
    const std::string& person() const { return person_; }

private:
    std::string label_, person_;
    std::unique_ptr<zb::core::Replica> replica_;
    std::unique_ptr<zb::net::SyncClient> client_;
};

std::string uid(const std::string& prefix) {
    std::array<unsigned char, 8> b{};
    randombytes_buf(b.data(), b.size());
    char hex[17];
    sodium_bin2hex(hex, sizeof hex, b.data(), b.size());
    return prefix + hex;
}

// ---- story 1: members study on their phones offline ----

void story_members(const zb::demo::SampleUniversity& uni, const zb::demo::SampleBranch& branch,
                   Phone& li) {
    heading("Story 1 — 小" + uni.person(li.person()).name.substr(0, 3) +
            " studies on her phone, offline");
    say("She enrolled her phone with a one-time code from the branch, then synced once at home:");
    auto first = li.sync(true);
    say("her phone now holds " + std::to_string(first.pulled) +
        " items: her own record, her branch's shared data and the university's learning "
        "content — " +
        std::to_string(li.rows(T::kContent)) +
        " items to study, and nobody "
        "else's personal data.");
    say("On the train, with no network, she studies and the phone keeps everything locally "
        "(encrypted):");
    const auto& person = li.person();
    li.with([&](zb::core::Replica& r) {
        const std::uint64_t t0 = now_ms();
        const std::string content = uni.content_ids.at(0);
        const std::string record = person + ":" + content;
        for (int i = 0; i < 2; ++i) {
            must(r.write(T::kLearningSessions, uid("s-"),
                         {{"org", branch.path},
                          {"person_id", person},
                          {"content_id", content},
                          {"started_at", static_cast<std::int64_t>(t0 - 3600'000 + i * 1800'000)},
                          {"seconds", std::int64_t{900}}}),
                 "study session");
        }
        must(r.write(T::kLearningRecords, record,
                     {{"org", branch.path},
                      {"person_id", person},
                      {"content_id", content},
                      {"progress", std::int64_t{100}},
                      {"last_position", std::int64_t{1800}}}),
             "progress");
        must(r.write(T::kQuizAttempts, uid("qa-"),
                     {{"org", branch.path},
                      {"person_id", person},
                      {"quiz_id", uni.quiz_id},
                      {"answers", R"(["A","C","B","D","A","A","C","B","D","C"])"},
                      {"started_at", static_cast<std::int64_t>(t0 - 600'000)},
                      {"finished_at", static_cast<std::int64_t>(t0 - 60'000)}}),
             "quiz");
        must(r.write(T::kComments, uid("cm-"),
                     {{"org", branch.path},
                      {"target_type", "notice"},
                      {"target_id", uni.notice_id},
                      {"author_id", person},
                      {"text", "支持！建议主题党日安排在周六上午，方便研究生参加。"},
                      {"created_at", static_cast<std::int64_t>(t0)}}),
             "comment");
        return 0;
    });
    say("· 2 study sessions of 15 minutes on 《" +
        std::string("深入学习贯彻党的二十届四中全会精神") + "》, progress 100%");
    say("· a 10-question quiz, and a comment on the theme-day notice");
    say("→ " + std::to_string(li.outbox()) +
        " changes wait in her phone's outbox; they survive the app being killed.");
    say("Back on campus Wi-Fi, the phone syncs by itself:");
    auto back = li.sync();
    say("→ the server accepted " + std::to_string(back.accepted) + " of " +
        std::to_string(back.pushed) + " changes; outbox now " + std::to_string(li.outbox()) + ".");
}

// ---- story 2: a secretary logs a meeting on site, offline ----

void story_secretary(const zb::demo::SampleUniversity& uni, const zb::demo::SampleBranch& branch,
                     Phone& sec, Phone& com, Phone& li) {
    heading("Story 2 — the secretary logs a 主题党日 on site, offline");
    auto r0 = sec.sync(true);
    com.sync();
    say("The secretary's phone holds the branch roster (" + std::to_string(sec.rows(T::kPersons)) +
        " people) with identity numbers masked:");
    auto masked = sec.with(
        [&](zb::core::Replica& r) { return r.read(T::kPersons, branch.members.at(3)).value(); });
    say("  " + text_of(masked, "name") + "  身份证号 " + text_of(masked, "id_number") +
        "  (only the member herself sees it in full)");
    (void)r0;

    const std::string meeting = uid("m-");
    const std::uint64_t held = now_ms();
    // Before the meeting (still online) the secretary prepares the draft; both officers have it.
    sec.with([&](zb::core::Replica& r) {
        must(r.write(T::kMeetings, meeting,
                     {{"org", branch.path},
                      {"type", "主题党日"},
                      {"topic", "学习贯彻四中全会精神，开展志愿服务"},
                      {"place", "图书馆 312 会议室"},
                      {"planned_at", static_cast<std::int64_t>(held)},
                      {"host_id", branch.secretary},
                      {"recorder_id", branch.committee},
                      {"expected_count", static_cast<std::int64_t>(branch.members.size())}}),
             "meeting");
        must(r.write(T::kMeetingMinutes, meeting,
                     {{"org", branch.path},
                      {"meeting_id", meeting},
                      {"minutes", "一、传达学习四中全会精神。"}}),
             "minutes draft");
        return 0;
    });
    sec.sync();
    com.sync();
    say("The meeting room has no signal. Members sign in by scanning the QR code on the "
        "secretary's phone:");

    std::vector<zb::domain::AttendanceEntry> roll;
    int present = 0;
    sec.with([&](zb::core::Replica& r) {
        for (std::size_t i = 0; i < branch.members.size(); ++i) {
            const auto& p = uni.person(branch.members[i]);
            const bool here = i % 6 != 5;  // a few are away
            zb::domain::AttendanceEntry e;
            e.person_id = p.id;
            e.status = p.status == "正式党员"   ? zb::domain::MemberStatus::Full
                       : p.status == "预备党员" ? zb::domain::MemberStatus::Probationary
                                                : zb::domain::MemberStatus::Activist;
            e.state = here ? zb::domain::AttendState::Present : zb::domain::AttendState::Leave;
            roll.push_back(e);
            Values v{{"org", branch.path},
                     {"meeting_id", meeting},
                     {"person_id", p.id},
                     {"state", here ? "出席" : "请假"},
                     {"recorded_by", branch.secretary}};
            if (here) {
                v["sign_in_at"] = static_cast<std::int64_t>(held + i * 20'000);
                v["method"] = "QR";
                ++present;
            } else {
                v["leave_reason"] = "实习外出";
            }
            must(r.write(T::kAttendance, meeting + ":" + p.id, v), "attendance");
        }
        return 0;
    });
    auto q = zb::domain::general_meeting_quorum(roll);
    say("· " + std::to_string(present) + " signed in; voting members present " +
        std::to_string(q.present) + " of " + std::to_string(q.entitled) + " → quorum " +
        (q.reached ? "reached (more than half; 预备党员 do not vote)" : "NOT reached"));

    std::array<unsigned char, 32> photo_hash{};
    const std::string photo = "a group photo in front of the library";
    crypto_generichash(photo_hash.data(), photo_hash.size(),
                       reinterpret_cast<const unsigned char*>(photo.data()), photo.size(), nullptr,
                       0);
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, photo_hash.data(), photo_hash.size());
    sec.with([&](zb::core::Replica& r) {
        must(r.write(T::kMeetings, meeting,
                     {{"held_at", static_cast<std::int64_t>(held)},
                      {"present_count", static_cast<std::int64_t>(present)},
                      {"photos", std::string("[\"blake2b:") + hex + "\"]"}}),
             "meeting held");
        must(r.write(T::kMeetingMinutes, meeting,
                     {{"minutes",
                       "一、传达学习四中全会精神。二、讨论志愿服务安排，决定周六赴社区开展"
                       "义务讲解。"}}),
             "minutes");
        must(r.write(T::kVotes, meeting + ":v1",
                     {{"org", branch.path},
                      {"meeting_id", meeting},
                      {"subject_type", "decision"},
                      {"entitled_count", static_cast<std::int64_t>(q.entitled)},
                      {"present_count", static_cast<std::int64_t>(q.present)},
                      {"yes", static_cast<std::int64_t>(q.present - 1)},
                      {"no", std::int64_t{0}},
                      {"abstain", std::int64_t{1}}}),
             "vote");
        return 0;
    });
    say("· minutes written, the decision voted (counts only, never ballots), 1 photo attached");

    com.with([&](zb::core::Replica& r) {
        must(r.write(T::kMeetingMinutes, meeting,
                     {{"minutes",
                       "一、传达学习四中全会精神。二、组织委员补充：下月起每周三"
                       "晚集中学习。"}}),
             "committee minutes");
        return 0;
    });
    say("Meanwhile the 组织委员, also offline, edited the same minutes on his own phone.");

    li.with([&](zb::core::Replica& r) {
        auto w = r.write(T::kMeetings, meeting, {{"topic", "主题党日（改）"}});
        return w.ok();
    });
    say("And a member, 小" + uni.person(li.person()).name.substr(0, 3) +
        ", tried to retitle the meeting from her phone.");

    heading("They come back online");
    auto s1 = sec.sync();
    say("secretary's phone: " + std::to_string(s1.accepted) + " changes accepted");
    auto s2 = com.sync();
    say("组织委员's phone: " + std::to_string(s2.accepted) + " accepted");
    auto s3 = li.sync();
    say("member's phone: " + std::to_string(s3.rejected) +
        " change refused by the server — only the branch committee edits meetings.");
    auto rej = li.with([](zb::core::Replica& r) { return r.rejected().value(); });
    if (!rej.empty())
        say("  her phone shows the branch's title again and keeps her text with the reason: \"" +
            rej.front().message + "\"");
    sec.sync();
    auto conflicts = sec.with([](zb::core::Replica& r) { return r.conflicts().value(); });
    say("The two versions of the minutes were written without seeing each other, so neither is "
        "dropped: the secretary's phone shows " +
        std::to_string(conflicts.size()) + " conflict to resolve.");
    sec.with([&](zb::core::Replica& r) {
        must(
            r.resolve(T::kMeetingMinutes, meeting, "minutes",
                      Value{std::string("一、传达学习四中全会精神。二、讨论志愿服务安排，决定周六赴"
                                        "社区开展义务讲解。三、下月起每周三晚集中学习。")}),
            "resolve");
        return 0;
    });
    sec.sync();
    com.sync();
    auto a =
        sec.with([&](zb::core::Replica& r) { return r.read(T::kMeetingMinutes, meeting).value(); });
    auto b =
        com.with([&](zb::core::Replica& r) { return r.read(T::kMeetingMinutes, meeting).value(); });
    auto open = com.with([](zb::core::Replica& r) { return r.conflicts().value().size(); });
    say("She merged both into one text; after the next sync both phones show the same minutes (" +
        std::string(text_of(a, "minutes") == text_of(b, "minutes") ? "identical" : "DIFFERENT") +
        ") and " + std::to_string(open) + " open conflicts.");
}

// ---- story 3: the evening merge ----

void story_merge(const zb::demo::SampleUniversity& uni, zb::server::ServerContext& ctx,
                 const Args& args, const std::string& pin) {
    heading("Story 3 — evening: " + std::to_string(args.night_phones) +
            " phones come back online at once");
    std::vector<std::unique_ptr<Phone>> phones;
    std::size_t k = 0;
    for (const auto& b : uni.branches) {
        for (std::size_t i = 2;
             i < b.members.size() && phones.size() < static_cast<std::size_t>(args.night_phones);
             ++i, ++k) {
            phones.push_back(std::make_unique<Phone>("night-" + std::to_string(k), b.members[i],
                                                     "member", b.path, args, pin, ctx));
        }
        if (phones.size() >= static_cast<std::size_t>(args.night_phones)) break;
    }
    for (auto& p : phones)
        p->sync();
    const std::uint64_t before = ctx.store->accepted_changes();
    std::size_t written = 0;
    for (std::size_t i = 0; i < phones.size(); ++i) {
        auto& p = *phones[i];
        const auto& person = uni.person(p.person());
        written += p.with([&](zb::core::Replica& r) {
            std::size_t n = 0;
            for (int s = 0; s < 4; ++s) {
                must(r.write(T::kLearningSessions, uid("s-"),
                             {{"org", person.branch},
                              {"person_id", person.id},
                              {"content_id", uni.content_ids.at(static_cast<std::size_t>(s) %
                                                                uni.content_ids.size())},
                              {"started_at",
                               static_cast<std::int64_t>(now_ms() - 7200'000 + s * 1200'000)},
                              {"seconds", std::int64_t{600 + 60 * s}}}),
                     "session");
                n += 5;
            }
            return n;
        });
    }
    say("During the day each phone recorded study sessions offline: " + std::to_string(written) +
        " column changes in all.");
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    std::atomic<std::uint64_t> accepted{0}, failed{0};
    for (auto& p : phones)
        threads.emplace_back([&p, &accepted, &failed] {
            try {
                accepted += p->sync().accepted;
            } catch (const std::exception&) {
                ++failed;
            }
        });
    for (auto& t : threads)
        t.join();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    char line[200];
    std::snprintf(line, sizeof line,
                  "All %zu phones synced in %.2f s: %llu changes accepted, %llu phones failed.",
                  phones.size(), secs, static_cast<unsigned long long>(accepted.load()),
                  static_cast<unsigned long long>(failed.load()));
    say(line);
    say("The server's change log grew by " +
        std::to_string(ctx.store->accepted_changes() - before) +
        " entries; nothing was applied twice.");
    auto audit = ctx.store->verify_audit();
    say("The audit chain (BLAKE2b, with each phone's signature on its batch) has " +
        std::to_string(audit.entries) + " entries and " +
        (audit.ok ? "verifies." : "does NOT verify: " + audit.message));
}

}  // namespace

int main(int argc, char** argv) {
    Args args;
    try {
        if (!parse_args(argc, argv, args)) return 0;
    } catch (const std::exception& e) {
        std::cerr << "zhibu-demo: " << e.what() << "\n";
        return 2;
    }
    if (sodium_init() < 0) {
        std::cerr << "zhibu-demo: libsodium failed to initialise\n";
        return 1;
    }
    try {
        fs::remove_all(args.dir);
        fs::create_directories(fs::path(args.dir) / "server");
        fs::create_directories(fs::path(args.dir) / "phones");

        heading("Zhibu — 示范大学 on one server, phones offline and back");
        auto cert = zb::server::make_dev_cert((fs::path(args.dir) / "server").string());
        zb::server::Config cfg;
        cfg.server_id = "shifan-university";
        cfg.address = "127.0.0.1";
        cfg.port = args.port;
        cfg.cert_file = cert.cert_file;
        cfg.key_file = cert.key_file;
        cfg.data_dir = (fs::path(args.dir) / "server").string();
        cfg.log_level = "warn";
        auto ctx = zb::server::make_context(cfg, zb::domain::make_schema());
        zb::server::domain::register_domain(*ctx, zb::domain::UniversityPolicy{});
        auto uni = zb::demo::seed_sample_university(*ctx, args.members_per_branch);
        zb::server::Server server(*ctx);
        server.start();
        say("The university's server is up on 127.0.0.1:" + std::to_string(server.port()) +
            " (TLS; phones pin its key " + cert.spki_pin + ").");
        say("Sample university: 4 院系党委, " + std::to_string(uni.branches.size()) + " 党支部, " +
            std::to_string(uni.people.size()) + " people, " +
            std::to_string(uni.content_ids.size()) + " articles, a quiz and a notice (" +
            std::to_string(uni.rows) + " records).");

        const auto& branch = uni.branches.at(0);
        say("Our branch: " + branch.name + ", secretary " + uni.person(branch.secretary).name +
            ", 组织委员 " + uni.person(branch.committee).name + ".");
        Phone li("member-li", branch.members.at(4), "member", branch.path, args, cert.spki_pin,
                 *ctx);
        Phone sec("secretary", branch.secretary, "branch_secretary", branch.path, args,
                  cert.spki_pin, *ctx);
        Phone com("committee", branch.committee, "committee_member", branch.path, args,
                  cert.spki_pin, *ctx);

        story_members(uni, branch, li);
        story_secretary(uni, branch, sec, com, li);
        story_merge(uni, *ctx, args, cert.spki_pin);

        heading("Your turn");
        auto code = ctx->store->issue_enroll_code({branch.members.at(5), "member", branch.path},
                                                  now_ms() + 24 * 3600'000, now_ms());
        if (!args.serve) {
            server.stop();
            say("Done. (--exit: the server has stopped.)");
            return 0;
        }
        const char* cli_env = std::getenv("ZHIBU_CLI");
        const std::string cli = cli_env && *cli_env ? cli_env : "zhibu";
        say("The server keeps running. Enroll the `zhibu` command-line client as " +
            uni.person(branch.members.at(5)).name + ":");
        std::cout << "\n     " << cli << " --home " << args.dir
                  << "/cli enroll --server 127.0.0.1:" << server.port() << " --pin "
                  << cert.spki_pin << " --code " << code.value() << "\n     " << cli << " --home "
                  << args.dir << "/cli sync"
                  << "\n     " << cli << " --home " << args.dir << "/cli show content\n"
                  << std::endl;
        say("Press Ctrl-C to stop the server.");
        server.run_until_signal();
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "\nzhibu-demo: " << e.what() << "\n";
        return 1;
    }
}

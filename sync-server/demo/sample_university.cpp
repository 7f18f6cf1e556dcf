// SPDX-License-Identifier: Apache-2.0
// Builds the sample university (see sample_university.hpp). Deterministic: the same names, ids and
// numbers on every run, so what the demo prints can be checked by eye against the CLI.
#include "sample_university.hpp"

#include "zb/domain/tables.hpp"
#include "zb/server/ingest.hpp"

#include <array>
#include <stdexcept>

namespace zb::demo {

namespace T = zb::domain::tables;
using protocol::Value;

namespace {

constexpr std::array kSurnames = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴",
                                  "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗"};
constexpr std::array kGiven = {"伟", "芳",   "娜", "敏", "静", "丽",   "强",   "磊",   "军",  "洋",
                               "勇", "艳",   "杰", "娟", "涛", "明",   "超",   "秀英", "霞",  "平",
                               "刚", "桂英", "晨", "宇", "欣", "浩然", "思远", "雨桐", "子涵"};

struct College {
    const char* code;
    const char* name;
};
constexpr std::array kColleges = {College{"cs", "计算机学院"}, College{"marx", "马克思主义学院"},
                                  College{"fl", "外国语学院"}, College{"med", "医学院"}};

struct BranchKind {
    const char* code;
    const char* name;
    const char* kind;      ///< organizations.kind
    const char* category;  ///< persons.category
};
constexpr std::array kBranchKinds = {
    BranchKind{"ug1", "本科生第一党支部", "本科生", "本科生"},
    BranchKind{"grad", "研究生党支部", "研究生", "研究生"},
    BranchKind{"staff", "教工党支部", "教工", "教工"},
};

class Writer {
public:
    explicit Writer(server::ServerContext& ctx) : ctx_(ctx), txn_(ctx.store->begin()) {}

    void row(std::string_view table, const std::string& id,
             std::initializer_list<std::pair<const char*, Value>> cols) {
        for (const auto& [col, value] : cols) {
            server::CommandWrite w;
            w.table = std::string(table);
            w.row = id;
            w.column = col;
            w.value = value;
            writes_.push_back(std::move(w));
            ++cells_;
        }
        ++rows_;
    }

    void commit() {
        server::write_server_changes(ctx_, *txn_, writes_, ctx_.now_ms());
        auto r = txn_->commit();
        if (!r) throw std::runtime_error("seeding failed: " + r.error().message);
    }

    std::size_t rows() const { return rows_; }
    std::size_t cells() const { return cells_; }

private:
    server::ServerContext& ctx_;
    std::unique_ptr<server::StoreTxn> txn_;
    std::vector<server::CommandWrite> writes_;
    std::size_t rows_ = 0, cells_ = 0;
};

std::string two_digits(int n) {
    return (n < 10 ? "0" : "") + std::to_string(n);
}

}  // namespace

const SamplePerson& SampleUniversity::person(const std::string& id) const {
    for (const auto& p : people)
        if (p.id == id) return p;
    throw std::out_of_range("no sample person " + id);
}

SampleUniversity seed_sample_university(server::ServerContext& ctx, int members_per_branch) {
    SampleUniversity u;
    Writer w(ctx);
    w.row(T::kOrganizations, "/u",
          {{"org", "/u"}, {"level", "校党委"}, {"name", "示范大学党委"}, {"kind", "高校"}});
    int serial = 0;
    for (const auto& college : kColleges) {
        const std::string cpath = std::string("/u/") + college.code;
        w.row(T::kOrganizations, cpath,
              {{"org", cpath},
               {"parent_id", "/u"},
               {"level", "院系党委"},
               {"name", std::string(college.name) + "党委"}});
        for (const auto& kind : kBranchKinds) {
            SampleBranch b;
            b.path = cpath + "/" + kind.code;
            b.name = std::string(college.name) + kind.name;
            w.row(T::kOrganizations, b.path,
                  {{"org", b.path},
                   {"parent_id", cpath},
                   {"level", "党支部"},
                   {"kind", kind.kind},
                   {"name", b.name}});
            for (int i = 0; i < members_per_branch; ++i, ++serial) {
                SamplePerson p;
                p.id = std::string("p-") + college.code + "-" + kind.code + "-" + two_digits(i + 1);
                p.name =
                    std::string(kSurnames[static_cast<std::size_t>(serial) % kSurnames.size()]) +
                    kGiven[static_cast<std::size_t>(serial * 7 + i) % kGiven.size()];
                p.branch = b.path;
                // A branch has mostly full members, a few probationary members and activists.
                p.status = i % 10 == 7 ? "预备党员" : i % 10 == 9 ? "入党积极分子" : "正式党员";
                const std::string id_number =
                    "3201" + std::to_string(19900000 + serial * 37 % 90000) + two_digits(i) + "1X";
                w.row(T::kPersons, p.id,
                      {{"org", b.path},
                       {"person_id", p.id},
                       {"name", p.name},
                       {"category", kind.category},
                       {"college", college.name},
                       {"id_number", id_number},
                       {"phone", "139" + std::to_string(10000000 + serial * 7919 % 89999999)}});
                w.row(T::kMemberships, p.id,
                      {{"org", b.path},
                       {"person_id", p.id},
                       {"status", p.status},
                       {"branch_id", b.path},
                       {"status_since", "2025-06-30"}});
                if (p.status != "入党积极分子") {
                    const bool staff = std::string_view(kind.code) == "staff";
                    w.row(T::kDuesProfiles, p.id,
                          {{"org", b.path},
                           {"person_id", p.id},
                           {"year", std::int64_t{2026}},
                           {"category", staff ? "在职" : "学生"},
                           {"base_amount_fen", std::int64_t{staff ? 850000 : 0}},
                           {"monthly_amount_fen", std::int64_t{staff ? 12750 : 20}}});
                }
                b.members.push_back(p.id);
                u.people.push_back(std::move(p));
            }
            b.secretary = b.members.at(0);
            b.committee = b.members.at(1);
            u.branches.push_back(std::move(b));
        }
    }
    // University-wide learning content (published at /u, readable by every branch below it).
    const std::array<std::pair<const char*, const char*>, 4> articles = {{
        {"c-xjp-2026-01", "深入学习贯彻党的二十届四中全会精神"},
        {"c-rules-01", "《中国共产党支部工作条例（试行）》导读"},
        {"c-history-03", "党史学习：遵义会议的历史意义"},
        {"c-dues-01", "党费交纳使用和管理规定解读"},
    }};
    for (const auto& [id, title] : articles) {
        w.row(T::kContent, id,
              {{"org", "/u"},
               {"kind", "article"},
               {"title", title},
               {"duration_seconds", std::int64_t{1800}},
               {"review_state", "published"}});
        u.content_ids.emplace_back(id);
    }
    u.quiz_id = "q-rules-01";
    w.row(T::kContent, u.quiz_id,
          {{"org", "/u"},
           {"kind", "quiz"},
           {"title", "支部工作条例测验（10题）"},
           {"review_state", "published"}});
    u.notice_id = "n-2026-11-theme-day";
    w.row(T::kContent, u.notice_id,
          {{"org", "/u"},
           {"kind", "notice"},
           {"title", "关于开展11月主题党日活动的通知"},
           {"review_state", "published"}});
    w.commit();
    u.rows = w.rows();
    u.cells = w.cells();
    return u;
}

}  // namespace zb::demo

// SPDX-License-Identifier: Apache-2.0
// Attachments end to end over real TLS on 127.0.0.1 (a zhibu server in-process, SyncClient on the
// phones): the organisation department publishes a learning pack, a member's encrypted phone
// downloads it while the connection is cut mid-download and resumes without asking again for the
// chunks it holds, and the pack's plaintext appears in none of the phone's files; a branch
// secretary's meeting photo taken offline uploads after the server comes back, a member of the
// branch downloads it, and a member of another branch is refused it with nothing served.
#include "temp_dir.hpp"
#include "test_server.hpp"

#include "zb/core/attachments.hpp"
#include "zb/core/encrypted_opener.hpp"
#include "zb/core/replica.hpp"
#include "zb/net/beast_transport.hpp"
#include "zb/net/sync_client.hpp"
#include "zb/protocol/codec.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

namespace {

using namespace std::chrono_literals;
using zb::core::AttachmentRef;
using zb::core::Attachments;
using zb::core::AttachmentState;
using zb::core::Replica;
using zb::core::Values;
using zb::net::SyncClient;
namespace zp = zb::protocol;

constexpr auto kTimeout = 30s;
constexpr const char* kBranch = "/u/c1/b1";
constexpr const char* kOtherBranch = "/u/c2/b9";
const std::string kPackMarker = "ZB-PACK-MARKER-学习二十大精神-";
const std::string kPhotoMarker = "ZB-PHOTO-MARKER-支部党员大会-";

zb::merge::Schema schema() {
    using zb::merge::Policy;
    zb::merge::Schema s(1);
    zb::merge::TableDef content;
    content.name = "content";
    content.columns = {
        {"org", Policy::Lww, false}, {"title", Policy::Lww, false}, {"pack", Policy::Lww, false}};
    content.visibility = zb::merge::Visibility::Org;
    s.add(content);
    zb::merge::TableDef photos;
    photos.name = "photos";
    photos.columns = {{"org", Policy::Lww, false},
                      {"meeting", Policy::Lww, false},
                      {"photo", Policy::Lww, false}};
    photos.visibility = zb::merge::Visibility::Org;
    s.add(photos);
    return s;
}

/// Cuts the connection once, right after the `cut_after`-th Chunk frame was delivered: a phone
/// losing its network in the middle of a download.
class CutTransport final : public zb::net::Transport {
public:
    explicit CutTransport(std::unique_ptr<zb::net::Transport> inner) : inner_(std::move(inner)) {}

    void open(const zb::net::Endpoint& ep, zb::net::TransportCallbacks cb) override {
        ++opens;
        auto user = std::make_shared<zb::net::TransportCallbacks>(std::move(cb));
        auto gone = std::make_shared<bool>(false);
        zb::net::TransportCallbacks mine;
        mine.on_open = [user] {
            if (user->on_open) user->on_open();
        };
        mine.on_frame = [this, user, gone](zp::Bytes f) {
            if (*gone) return;
            auto m = zp::decode(f);
            const bool chunk = m.ok() && std::holds_alternative<zp::Chunk>(m.value());
            if (user->on_frame) user->on_frame(std::move(f));
            if (chunk && cut_after > 0 && ++chunks_seen == cut_after) {
                *gone = true;
                cuts += 1;
                inner_->close();
            }
        };
        mine.on_closed = [user](zb::net::NetError why) {
            if (user->on_closed) user->on_closed(std::move(why));
        };
        inner_->open(ep, std::move(mine));
    }
    void send(zp::Bytes frame) override { inner_->send(std::move(frame)); }
    void close() override { inner_->close(); }

    std::atomic<int> cut_after{0};
    std::atomic<int> chunks_seen{0};
    std::atomic<int> cuts{0};
    std::atomic<int> opens{0};

private:
    std::unique_ptr<zb::net::Transport> inner_;
};

zb::net::ClientOptions options_for(const zb::test::TestServer& server, Attachments* att) {
    zb::net::ClientOptions o;
    o.endpoint.host = "127.0.0.1";
    o.endpoint.port = server.port();
    o.transport.tls.pins = {server.pin()};
    o.transport.connect_timeout = 5000ms;
    o.engine.backoff_min_ms = 50;
    o.engine.backoff_max_ms = 200;
    o.max_reconnects = 3;
    o.attachments = att;
    return o;
}

/// One phone: a replica and its attachments in the same database file.
struct Phone {
    std::unique_ptr<Replica> replica;
    std::unique_ptr<Attachments> att;

    Phone(const std::string& path, std::shared_ptr<zb::core::DbOpener> opener) {
        zb::core::Options o;
        o.path = path;
        o.schema = schema();
        o.opener = opener;
        auto r = Replica::open(std::move(o));
        REQUIRE(r.ok());
        replica = std::move(r.value());
        auto a = Attachments::open(path, opener);
        REQUIRE(a.ok());
        att = std::move(a.value());
    }

    void enroll(zb::test::TestServer& server, const std::string& person, const std::string& role,
                const std::string& org) {
        SyncClient c(*replica, options_for(server, nullptr));
        auto r = c.enroll(server.issue_code(person, role, org), person, kTimeout);
        INFO(r.error.to_string());
        REQUIRE(r.ok());
    }

    zb::net::SyncResult sync(zb::test::TestServer& server) {
        SyncClient c(*replica, options_for(server, att.get()));
        return c.sync_once(kTimeout);
    }

    std::string cell(const std::string& table, const std::string& row, const std::string& col) {
        auto v = replica->read(table, row);
        REQUIRE(v.ok());
        if (!v.value()) return {};
        auto it = v.value()->find(col);
        if (it == v.value()->end()) return {};
        const auto* s = std::get_if<std::string>(&it->second);
        return s ? *s : std::string();
    }
};

zp::Bytes marked(std::size_t n, const std::string& marker, std::uint32_t seed) {
    std::mt19937 rng(seed);
    zp::Bytes b;
    b.reserve(n);
    while (b.size() < n) {
        b.insert(b.end(), marker.begin(), marker.end());
        for (int i = 0; i < 64; ++i)
            b.push_back(static_cast<std::uint8_t>(rng()));
    }
    b.resize(n);
    return b;
}

/// True if any file in `dir` contains `needle`.
bool any_file_contains(const std::filesystem::path& dir, const std::string& needle) {
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        std::ifstream in(e.path(), std::ios::binary);
        const std::string all((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
        if (all.find(needle) != std::string::npos) return true;
    }
    return false;
}

std::shared_ptr<zb::core::DbOpener> encrypted() {
    unsigned char key[32];
    std::random_device rd;
    for (auto& k : key)
        k = static_cast<unsigned char>(rd());
    return zb::core::encrypted_opener(key, sizeof key);
}

}  // namespace

TEST_CASE("a learning pack and a meeting photo travel as scoped, resumable attachments",
          "[attach][integration]") {
    zb::test::TestServer server(schema());
    zb::test::TempDir pub_dir("zb-att-publisher");
    zb::test::TempDir member_dir("zb-att-member");
    zb::test::TempDir other_dir("zb-att-other");
    zb::test::TempDir sec_dir("zb-att-secretary");

    // ---- the organisation department publishes a pack of 5 full chunks and a tail ----
    Phone pub(pub_dir.file("pub.db"), zb::core::plain_opener());
    pub.enroll(server, "od-1", "org_department", "/u");
    const zp::Bytes pack = marked(5 * zp::kChunkSize + 1000, kPackMarker, 1);
    auto pack_id = pub.att->add(pack, "application/pdf");
    REQUIRE(pack_id.ok());
    CHECK(pub.att->pending().value() == 1);
    Values row;
    row["org"] = std::string("/u");
    row["title"] = std::string("学习二十大精神");
    row["pack"] = zp::attachment_ref(pack_id.value());
    REQUIRE(pub.replica->write("content", "pack-20th", row).ok());
    {
        auto r = pub.sync(server);
        INFO(r.error.to_string());
        REQUIRE(r.ok());
    }
    CHECK(pub.att->info(pack_id.value()).value().state == AttachmentState::Complete);
    CHECK(pub.att->counters().manifests_uploaded == 1);
    CHECK(pub.att->pending().value() == 0);
    auto& blobs = *server.context().blobs;
    CHECK(blobs.chunk_count().value() == 6);
    REQUIRE(blobs.manifest(pack_id.value()).value().has_value());
    // The grep below can fail: the publisher's plain file does hold the marker.
    pub.att.reset();
    pub.replica.reset();
    CHECK(any_file_contains(pub_dir.path(), kPackMarker));

    // ---- a member's encrypted phone downloads it; the network drops after 2 chunks ----
    Phone m(member_dir.file("member.db"), encrypted());
    {
        m.enroll(server, "m-1", "member", kBranch);
        REQUIRE(m.sync(server).ok());
        const zp::Bytes id =
            zp::parse_attachment_ref(zp::Value{m.cell("content", "pack-20th", "pack")});
        REQUIRE(id == pack_id.value());
        REQUIRE(m.att->want(id, AttachmentRef{"content", "pack-20th", "pack"}).ok());
        CHECK(m.att->info(id).value().state == AttachmentState::Wanted);

        std::uint32_t progress_calls = 0;
        m.att->on_progress = [&](const zp::Bytes&, std::uint32_t have, std::uint32_t total) {
            ++progress_calls;
            CHECK(have <= total);
            CHECK(total == 6);
        };
        CutTransport* cut = nullptr;
        auto o = options_for(server, m.att.get());
        o.transport_factory = [&cut](boost::asio::io_context& ioc,
                                     const zb::net::TransportOptions& to) {
            auto t = std::make_unique<CutTransport>(zb::net::make_beast_transport(ioc, to));
            t->cut_after = 2;
            cut = t.get();
            return t;
        };
        {
            SyncClient c(*m.replica, o);
            auto r = c.sync_once(kTimeout);
            INFO(r.error.to_string());
            REQUIRE(r.ok());
            CHECK(r.connections >= 2);
            REQUIRE(cut != nullptr);  // owned by the client: read it while the client lives
            CHECK(cut->cuts == 1);
        }
        const auto& n = m.att->counters();
        CHECK(n.chunks_received == 6);       // each chunk arrived and was stored once
        CHECK(n.chunks_requested <= 6 + 4);  // the 2 held before the cut were not asked again
        CHECK(n.chunks_requested > 6);       // ... but those lost in flight were
        CHECK(n.chunks_rejected == 0);
        CHECK(progress_calls == 6);
        auto info = m.att->info(id).value();
        CHECK(info.state == AttachmentState::Complete);
        CHECK(info.chunks_held == 6);
        CHECK(info.size == pack.size());
        CHECK(info.media_type == "application/pdf");
        auto bytes = m.att->read(id);
        REQUIRE(bytes.ok());
        REQUIRE(bytes.value().has_value());
        CHECK(*bytes.value() == pack);
        // Another sync asks for nothing: the pack is complete.
        const auto before = n.chunks_requested;
        REQUIRE(m.sync(server).ok());
        CHECK(m.att->counters().chunks_requested == before);
        m.att->on_progress = nullptr;  // it captures locals of this block
    }
    // The pack's plaintext is in none of the member's files (db, WAL, shm, key record).
    CHECK_FALSE(any_file_contains(member_dir.path(), kPackMarker));
    CHECK_FALSE(any_file_contains(member_dir.path(), "ZB-PACK-MARKER"));

    // ---- a branch secretary photographs the meeting offline ----
    Phone sec(sec_dir.file("sec.db"), encrypted());
    sec.enroll(server, "sec-1", "branch_secretary", kBranch);
    server.stop();
    const zp::Bytes photo = marked(300 * 1024, kPhotoMarker, 2);
    const std::string photo_file = sec_dir.file("IMG_0001.jpg");
    {
        std::ofstream f(photo_file, std::ios::binary);
        f.write(reinterpret_cast<const char*>(photo.data()),
                static_cast<std::streamsize>(photo.size()));
    }
    auto photo_id = sec.att->add_file(photo_file, "image/jpeg");
    REQUIRE(photo_id.ok());
    std::filesystem::remove(photo_file);
    Values prow;
    prow["org"] = std::string(kBranch);
    prow["meeting"] = std::string("2026-11 支部党员大会");
    prow["photo"] = zp::attachment_ref(photo_id.value());
    REQUIRE(sec.replica->write("photos", "m-2026-11/1", prow).ok());
    CHECK_FALSE(sec.sync(server).ok());  // no network: nothing is lost
    CHECK(sec.att->info(photo_id.value()).value().state == AttachmentState::Uploading);

    server.start();  // back online: the row and the photo go up in one sync
    {
        auto r = sec.sync(server);
        INFO(r.error.to_string());
        REQUIRE(r.ok());
    }
    CHECK(sec.att->info(photo_id.value()).value().state == AttachmentState::Complete);
    CHECK(sec.att->info(photo_id.value()).value().chunks_acked == 2);
    REQUIRE(server.context().blobs->manifest(photo_id.value()).value().has_value());
    CHECK_FALSE(any_file_contains(sec_dir.path(), "ZB-PHOTO-MARKER"));

    // ---- a member of the branch gets the photo through the row that names it ----
    {
        REQUIRE(m.sync(server).ok());
        const std::string ref = m.cell("photos", "m-2026-11/1", "photo");
        REQUIRE(ref == zp::attachment_ref(photo_id.value()));
        REQUIRE(
            m.att->want(photo_id.value(), AttachmentRef{"photos", "m-2026-11/1", "photo"}).ok());
        REQUIRE(m.sync(server).ok());
        auto bytes = m.att->read(photo_id.value());
        REQUIRE(bytes.ok());
        REQUIRE(bytes.value().has_value());
        CHECK(*bytes.value() == photo);
    }
    CHECK_FALSE(any_file_contains(member_dir.path(), "ZB-PHOTO-MARKER"));

    // ---- a member of another branch is refused the branch-private photo ----
    Phone other(other_dir.file("other.db"), encrypted());
    other.enroll(server, "m-9", "member", kOtherBranch);
    REQUIRE(other.sync(server).ok());
    CHECK(other.cell("photos", "m-2026-11/1", "photo").empty());      // the row never reached it
    CHECK_FALSE(other.cell("content", "pack-20th", "pack").empty());  // university content did
    // Knowing the id (from elsewhere) is not enough: the server checks the row's scope.
    REQUIRE(
        other.att->want(photo_id.value(), AttachmentRef{"photos", "m-2026-11/1", "photo"}).ok());
    auto& blobs2 = *server.context().blobs;
    const std::uint64_t served_before = blobs2.stats.chunks_served;
    const std::uint64_t refused_before = blobs2.stats.refusals;
    {
        auto r = other.sync(server);
        INFO(r.error.to_string());
        REQUIRE(r.ok());  // the refusal answers one request; the session goes on
    }
    auto info = other.att->info(photo_id.value()).value();
    CHECK(info.state == AttachmentState::Failed);
    CHECK(info.code == zp::Errc::OutOfScope);
    CHECK(info.chunks_held == 0);
    CHECK(other.att->counters().chunks_received == 0);
    CHECK(blobs2.stats.chunks_served == served_before);  // 0 chunks served to it
    CHECK(blobs2.stats.refusals == refused_before + 1);
    auto none = other.att->read(photo_id.value());
    REQUIRE(none.ok());
    CHECK_FALSE(none.value().has_value());
    // Naming a row of its own branch that does not reference the photo does not help either.
    REQUIRE(other.att->want(photo_id.value(), AttachmentRef{"content", "pack-20th", "pack"}).ok());
    REQUIRE(other.sync(server).ok());
    CHECK(other.att->info(photo_id.value()).value().code == zp::Errc::OutOfScope);
    CHECK(blobs2.stats.chunks_served == served_before);
}

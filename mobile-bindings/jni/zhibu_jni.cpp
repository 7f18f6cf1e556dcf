// SPDX-License-Identifier: Apache-2.0
// JNI glue between cn.edu.zhibu (Java/Kotlin) and the C ABI of libzhibu. JNI_OnLoad caches the
// classes and method ids and registers the natives (nothing else is exported). Strings cross as
// UTF-8 byte[] (never GetStringUTFChars: modified UTF-8 breaks NUL and emoji); handles are
// jlong; a failed zb_* call becomes a thrown ZhibuException; listeners hold a global ref that
// userdata_free deletes, and callbacks attach the library's notification thread to the VM.

#include "zb/zb.h"

#include <jni.h>

#include <cstring>
#include <string>
#include <vector>

namespace zb::capi::jni {
namespace {

JavaVM* g_vm = nullptr;
jclass g_exception = nullptr;  // cn.edu.zhibu.ZhibuException
jmethodID g_exception_from = nullptr;
jclass g_sync_status = nullptr;  // cn.edu.zhibu.SyncStatus
jmethodID g_sync_status_ctor = nullptr;
jmethodID g_change_on = nullptr;    // Native$ChangeBridge.onChange([B[BI)V
jmethodID g_status_on = nullptr;    // Native$StatusBridge.onStatus(SyncStatus)V
jmethodID g_progress_on = nullptr;  // Native$ProgressBridge.onProgress(JJ)V

// ---- conversions ------------------------------------------------------------------------------

/// A byte[] copied into native memory (UTF-8 text or key bytes); null stays null.
class Bytes {
public:
    Bytes(JNIEnv* env, jbyteArray a) {
        if (a == nullptr) return;
        null_ = false;
        const jsize n = env->GetArrayLength(a);
        data_.resize(static_cast<size_t>(n));
        if (n > 0) env->GetByteArrayRegion(a, 0, n, reinterpret_cast<jbyte*>(data_.data()));
    }
    ~Bytes() { std::fill(data_.begin(), data_.end(), '\0'); }  // may hold a key or passphrase
    Bytes(const Bytes&) = delete;
    Bytes& operator=(const Bytes&) = delete;

    bool is_null() const { return null_; }
    zb_str str() const { return zb_str{data_.data(), data_.size()}; }
    const uint8_t* u8() const {
        return null_ ? nullptr : reinterpret_cast<const uint8_t*>(data_.data());
    }
    size_t size() const { return data_.size(); }

private:
    bool null_ = true;
    std::vector<char> data_;
};

jbyteArray to_java(JNIEnv* env, const char* p, size_t n) {
    jbyteArray a = env->NewByteArray(static_cast<jsize>(n));
    if (a != nullptr && n > 0) {
        env->SetByteArrayRegion(a, 0, static_cast<jsize>(n), reinterpret_cast<const jbyte*>(p));
    }
    return a;
}

jbyteArray to_java(JNIEnv* env, zb_str s) {
    return to_java(env, s.data, s.size);
}

/// Takes ownership of library bytes: copies them into a byte[] and frees them.
jbyteArray take(JNIEnv* env, zb_bytes& b) {
    jbyteArray a = to_java(env, reinterpret_cast<const char*>(b.data), b.size);
    zb_bytes_free(&b);
    return a;
}

/// Throws ZhibuException for a failed call; returns true if it threw.
bool check(JNIEnv* env, zb_status st, const zb_error& e) {
    if (st == ZB_OK) return false;
    const char* msg = zb_error_message(&e);
    jbyteArray m = to_java(env, msg, std::strlen(msg));
    auto ex = static_cast<jthrowable>(
        env->CallStaticObjectMethod(g_exception, g_exception_from, static_cast<jint>(st),
                                    static_cast<jint>(e.detail), static_cast<jint>(e.flags), m));
    if (ex != nullptr && !env->ExceptionCheck()) env->Throw(ex);
    return true;
}

template <class T>
T* ptr(jlong h) {
    return reinterpret_cast<T*>(static_cast<intptr_t>(h));
}
jlong handle(const void* p) {
    return static_cast<jlong>(reinterpret_cast<intptr_t>(p));
}

// ---- callbacks -------------------------------------------------------------------------------

/// Attaches the calling (library-owned) thread to the VM for the duration of a callback, and
/// detaches it afterwards if it was not attached before.
class AttachedEnv {
public:
    AttachedEnv() {
        if (g_vm->GetEnv(reinterpret_cast<void**>(&env_), JNI_VERSION_1_6) == JNI_EDETACHED) {
            JavaVMAttachArgs args{JNI_VERSION_1_6, const_cast<char*>("zhibu-notify"), nullptr};
            if (g_vm->AttachCurrentThreadAsDaemon(reinterpret_cast<void**>(&env_), &args) ==
                JNI_OK) {
                attached_ = true;
            } else {
                env_ = nullptr;
            }
        }
    }
    ~AttachedEnv() {
        if (attached_) g_vm->DetachCurrentThread();
    }
    AttachedEnv(const AttachedEnv&) = delete;
    AttachedEnv& operator=(const AttachedEnv&) = delete;
    JNIEnv* get() const { return env_; }

private:
    JNIEnv* env_ = nullptr;
    bool attached_ = false;
};

/// A Java exception thrown by a listener must not unwind into C: report and clear it.
void swallow(JNIEnv* env) {
    if (env->ExceptionCheck()) {
        env->ExceptionDescribe();
        env->ExceptionClear();
    }
}

void free_global_ref(void* userdata) {
    AttachedEnv env;
    if (env.get() != nullptr) env.get()->DeleteGlobalRef(static_cast<jobject>(userdata));
}

void on_change(void* userdata, zb_str table, zb_str row, zb_change_origin origin) {
    AttachedEnv a;
    JNIEnv* env = a.get();
    if (env == nullptr) return;
    if (env->PushLocalFrame(8) != 0) return swallow(env);
    jbyteArray t = to_java(env, table);
    jbyteArray r = to_java(env, row);
    if (t != nullptr && r != nullptr) {
        env->CallVoidMethod(static_cast<jobject>(userdata), g_change_on, t, r,
                            static_cast<jint>(origin));
    }
    swallow(env);
    env->PopLocalFrame(nullptr);
}

jobject status_object(JNIEnv* env, const zb_sync_status_info& s) {
    const char* msg = zb_error_message(&s.last_error);
    jbyteArray m = to_java(env, msg, std::strlen(msg));
    return env->NewObject(g_sync_status, g_sync_status_ctor, static_cast<jint>(s.state),
                          static_cast<jint>(s.last_error.code), m, static_cast<jlong>(s.done),
                          static_cast<jlong>(s.total), static_cast<jlong>(s.pending),
                          static_cast<jlong>(s.last_sync_ms));
}

void on_status(void* userdata, const zb_sync_status_info* status) {
    AttachedEnv a;
    JNIEnv* env = a.get();
    if (env == nullptr) return;
    if (env->PushLocalFrame(8) != 0) return swallow(env);
    jobject o = status_object(env, *status);
    if (o != nullptr) env->CallVoidMethod(static_cast<jobject>(userdata), g_status_on, o);
    swallow(env);
    env->PopLocalFrame(nullptr);
}

void on_progress(void* userdata, int64_t done, int64_t total) {
    AttachedEnv a;
    JNIEnv* env = a.get();
    if (env == nullptr) return;
    env->CallVoidMethod(static_cast<jobject>(userdata), g_progress_on, static_cast<jlong>(done),
                        static_cast<jlong>(total));
    swallow(env);
}

/// Registers a listener whose userdata is a global ref to `bridge`; on failure the ref is
/// deleted here (ownership never passed to the library).
template <class Add>
jlong add_bridge(JNIEnv* env, jobject bridge, Add add) {
    jobject ref = env->NewGlobalRef(bridge);
    if (ref == nullptr) return 0;
    zb_listener* token = nullptr;
    zb_error e;
    const zb_status st = add(ref, &token, &e);
    if (st != ZB_OK) {
        env->DeleteGlobalRef(ref);
        check(env, st, e);
        return 0;
    }
    return handle(token);
}

// ---- natives: base ---------------------------------------------------------------------------

jbyteArray n_version(JNIEnv* env, jclass) {
    const char* v = zb_version();
    return to_java(env, v, std::strlen(v));
}
jint n_api_version(JNIEnv*, jclass) {
    return zb_api_version();
}
jbyteArray n_status_name(JNIEnv* env, jclass, jint code) {
    const char* v = zb_status_name(static_cast<zb_status>(code));
    return to_java(env, v, std::strlen(v));
}

// ---- natives: db -------------------------------------------------------------------------------

jlong n_db_open(JNIEnv* env, jclass, jbyteArray path, jbyteArray key, jbyteArray pass) {
    Bytes p(env, path), k(env, key), pw(env, pass);
    zb_error e;
    zb_db_config* cfg = nullptr;
    if (check(env, zb_db_config_new(&cfg, &e), e)) return 0;
    zb_status st = zb_db_config_set_path(cfg, p.str(), &e);
    if (st == ZB_OK && !k.is_null()) st = zb_db_config_set_key(cfg, k.u8(), k.size(), &e);
    if (st == ZB_OK && !pw.is_null()) st = zb_db_config_set_passphrase(cfg, pw.str(), &e);
    zb_db* db = nullptr;
    if (st == ZB_OK) st = zb_db_open(cfg, &db, &e);
    zb_db_config_free(cfg);
    if (check(env, st, e)) return 0;
    return handle(db);
}

void n_db_close(JNIEnv* env, jclass, jlong db) {
    zb_error e;
    check(env, zb_db_close(ptr<zb_db>(db), &e), e);
}
void n_db_free(JNIEnv*, jclass, jlong db) {
    zb_db_free(ptr<zb_db>(db));
}

void n_db_rekey(JNIEnv* env, jclass, jlong db, jbyteArray key) {
    Bytes k(env, key);
    zb_error e;
    check(env, zb_db_rekey(ptr<zb_db>(db), k.u8(), k.size(), &e), e);
}

void n_db_change_passphrase(JNIEnv* env, jclass, jlong db, jbyteArray o, jbyteArray n) {
    Bytes a(env, o), b(env, n);
    zb_error e;
    check(env, zb_db_change_passphrase(ptr<zb_db>(db), a.str(), b.str(), &e), e);
}

void n_db_wipe(JNIEnv* env, jclass, jlong db) {
    zb_error e;
    check(env, zb_db_wipe(ptr<zb_db>(db), &e), e);
}

void n_db_write(JNIEnv* env, jclass, jlong db, jbyteArray t, jbyteArray r, jbyteArray j) {
    Bytes a(env, t), b(env, r), c(env, j);
    zb_error e;
    check(env, zb_db_write(ptr<zb_db>(db), a.str(), b.str(), c.str(), &e), e);
}

void n_db_increment(JNIEnv* env, jclass, jlong db, jbyteArray t, jbyteArray r, jbyteArray c,
                    jlong delta) {
    Bytes a(env, t), b(env, r), col(env, c);
    zb_error e;
    check(env, zb_db_increment(ptr<zb_db>(db), a.str(), b.str(), col.str(), delta, &e), e);
}

jbyteArray n_db_read(JNIEnv* env, jclass, jlong db, jbyteArray t, jbyteArray r) {
    Bytes a(env, t), b(env, r);
    zb_error e;
    zb_bytes out{nullptr, 0};
    const zb_status st = zb_db_read(ptr<zb_db>(db), a.str(), b.str(), &out, &e);
    if (st == ZB_ERR_NOT_FOUND) return nullptr;
    if (check(env, st, e)) return nullptr;
    return take(env, out);
}

/// The shape of every "list as JSON" call.
template <class Fn>
jbyteArray json_list(JNIEnv* env, Fn fn) {
    zb_error e;
    zb_bytes out{nullptr, 0};
    if (check(env, fn(&out, &e), e)) return nullptr;
    return take(env, out);
}

jbyteArray n_db_query(JNIEnv* env, jclass, jlong db, jbyteArray t) {
    Bytes a(env, t);
    return json_list(
        env, [&](zb_bytes* o, zb_error* e) { return zb_db_query(ptr<zb_db>(db), a.str(), o, e); });
}

void n_db_remove(JNIEnv* env, jclass, jlong db, jbyteArray t, jbyteArray r) {
    Bytes a(env, t), b(env, r);
    zb_error e;
    check(env, zb_db_remove(ptr<zb_db>(db), a.str(), b.str(), &e), e);
}

void n_db_restore(JNIEnv* env, jclass, jlong db, jbyteArray t, jbyteArray r) {
    Bytes a(env, t), b(env, r);
    zb_error e;
    check(env, zb_db_restore(ptr<zb_db>(db), a.str(), b.str(), &e), e);
}

jbyteArray n_db_submit_command(JNIEnv* env, jclass, jlong db, jbyteArray f, jbyteArray n,
                               jbyteArray j) {
    Bytes a(env, f), b(env, n), c(env, j);
    return json_list(env, [&](zb_bytes* o, zb_error* e) {
        return zb_db_submit_command(ptr<zb_db>(db), a.str(), b.str(), c.str(), o, e);
    });
}

jbyteArray n_db_commands(JNIEnv* env, jclass, jlong db) {
    return json_list(
        env, [&](zb_bytes* o, zb_error* e) { return zb_db_commands(ptr<zb_db>(db), o, e); });
}

jlong n_db_pending_count(JNIEnv* env, jclass, jlong db) {
    zb_error e;
    int64_t n = 0;
    if (check(env, zb_db_pending_count(ptr<zb_db>(db), &n, &e), e)) return 0;
    return static_cast<jlong>(n);
}

jbyteArray n_db_conflicts(JNIEnv* env, jclass, jlong db) {
    return json_list(
        env, [&](zb_bytes* o, zb_error* e) { return zb_db_conflicts(ptr<zb_db>(db), o, e); });
}

void n_db_resolve_conflict(JNIEnv* env, jclass, jlong db, jbyteArray t, jbyteArray r, jbyteArray c,
                           jbyteArray j) {
    Bytes a(env, t), b(env, r), col(env, c), v(env, j);
    zb_error e;
    check(env, zb_db_resolve_conflict(ptr<zb_db>(db), a.str(), b.str(), col.str(), v.str(), &e), e);
}

jbyteArray n_db_rejected(JNIEnv* env, jclass, jlong db) {
    return json_list(
        env, [&](zb_bytes* o, zb_error* e) { return zb_db_rejected(ptr<zb_db>(db), o, e); });
}

void n_db_dismiss_rejected(JNIEnv* env, jclass, jlong db, jlong id) {
    zb_error e;
    check(env, zb_db_dismiss_rejected(ptr<zb_db>(db), id, &e), e);
}

jlong n_db_add_listener(JNIEnv* env, jclass, jlong db, jobject bridge) {
    return add_bridge(env, bridge, [&](jobject ref, zb_listener** token, zb_error* e) {
        return zb_db_add_listener(ptr<zb_db>(db), on_change, ref, free_global_ref, token, e);
    });
}

void n_listener_remove(JNIEnv*, jclass, jlong token) {
    zb_listener_remove(ptr<zb_listener>(token));
}

// ---- natives: sync
// -------------------------------------------------------------------------------

jlong n_sync_new(JNIEnv* env, jclass, jlong db, jbyteArray host, jint port, jobjectArray pins,
                 jbyteArray code, jbyteArray name, jboolean plaintext, jlong timeout_ms) {
    Bytes h(env, host), c(env, code), n(env, name);
    zb_error e;
    if (port <= 0 || port > 65535) {
        check(env, ZB_ERR_INVALID_ARGUMENT, zb_error{ZB_ERR_INVALID_ARGUMENT, 0, 0, "bad port"});
        return 0;
    }
    zb_sync_config* cfg = nullptr;
    if (check(env, zb_sync_config_new(&cfg, &e), e)) return 0;
    zb_status st = zb_sync_config_set_server(cfg, h.str(), static_cast<uint16_t>(port), &e);
    const jsize npins = pins != nullptr ? env->GetArrayLength(pins) : 0;
    for (jsize i = 0; st == ZB_OK && i < npins; ++i) {
        auto el = static_cast<jbyteArray>(env->GetObjectArrayElement(pins, i));
        Bytes p(env, el);
        env->DeleteLocalRef(el);
        st = zb_sync_config_add_pin(cfg, p.str(), &e);
    }
    if (st == ZB_OK && !c.is_null()) st = zb_sync_config_set_enroll_code(cfg, c.str(), &e);
    if (st == ZB_OK && !n.is_null()) st = zb_sync_config_set_device_name(cfg, n.str(), &e);
    if (st == ZB_OK) st = zb_sync_config_set_plaintext(cfg, plaintext == JNI_TRUE, &e);
    if (st == ZB_OK) st = zb_sync_config_set_timeout(cfg, timeout_ms, &e);
    zb_sync* sync = nullptr;
    if (st == ZB_OK) st = zb_sync_new(ptr<zb_db>(db), cfg, &sync, &e);
    zb_sync_config_free(cfg);
    if (check(env, st, e)) return 0;
    return handle(sync);
}

void n_sync_free(JNIEnv*, jclass, jlong s) {
    zb_sync_free(ptr<zb_sync>(s));
}

void n_sync_once(JNIEnv* env, jclass, jlong s) {
    zb_error e;
    check(env, zb_sync_once(ptr<zb_sync>(s), &e), e);
}
void n_sync_start(JNIEnv* env, jclass, jlong s) {
    zb_error e;
    check(env, zb_sync_start(ptr<zb_sync>(s), &e), e);
}
void n_sync_stop(JNIEnv* env, jclass, jlong s) {
    zb_error e;
    check(env, zb_sync_stop(ptr<zb_sync>(s), &e), e);
}

jobject n_sync_status(JNIEnv* env, jclass, jlong s) {
    zb_error e;
    zb_sync_status_info info;
    if (check(env, zb_sync_status(ptr<zb_sync>(s), &info, &e), e)) return nullptr;
    return status_object(env, info);
}

jlong n_sync_add_status_listener(JNIEnv* env, jclass, jlong s, jobject bridge) {
    return add_bridge(env, bridge, [&](jobject ref, zb_listener** token, zb_error* e) {
        return zb_sync_add_status_listener(ptr<zb_sync>(s), on_status, ref, free_global_ref, token,
                                           e);
    });
}

jlong n_sync_add_progress_listener(JNIEnv* env, jclass, jlong s, jobject bridge) {
    return add_bridge(env, bridge, [&](jobject ref, zb_listener** token, zb_error* e) {
        return zb_sync_add_progress_listener(ptr<zb_sync>(s), on_progress, ref, free_global_ref,
                                             token, e);
    });
}

// ---- registration ------------------------------------------------------------------------------

#define ZB_NATIVE(name, sig, fn)                                                     \
    JNINativeMethod {                                                                \
        const_cast<char*>(name), const_cast<char*>(sig), reinterpret_cast<void*>(fn) \
    }

bool register_natives(JNIEnv* env) {
    jclass native = env->FindClass("cn/edu/zhibu/Native");
    if (native == nullptr) return false;
    const JNINativeMethod methods[] = {
        ZB_NATIVE("version", "()[B", n_version),
        ZB_NATIVE("apiVersion", "()I", n_api_version),
        ZB_NATIVE("statusName", "(I)[B", n_status_name),
        ZB_NATIVE("dbOpen", "([B[B[B)J", n_db_open),
        ZB_NATIVE("dbClose", "(J)V", n_db_close),
        ZB_NATIVE("dbFree", "(J)V", n_db_free),
        ZB_NATIVE("dbRekey", "(J[B)V", n_db_rekey),
        ZB_NATIVE("dbChangePassphrase", "(J[B[B)V", n_db_change_passphrase),
        ZB_NATIVE("dbWipe", "(J)V", n_db_wipe),
        ZB_NATIVE("dbWrite", "(J[B[B[B)V", n_db_write),
        ZB_NATIVE("dbIncrement", "(J[B[B[BJ)V", n_db_increment),
        ZB_NATIVE("dbRead", "(J[B[B)[B", n_db_read),
        ZB_NATIVE("dbQuery", "(J[B)[B", n_db_query),
        ZB_NATIVE("dbRemove", "(J[B[B)V", n_db_remove),
        ZB_NATIVE("dbRestore", "(J[B[B)V", n_db_restore),
        ZB_NATIVE("dbSubmitCommand", "(J[B[B[B)[B", n_db_submit_command),
        ZB_NATIVE("dbCommands", "(J)[B", n_db_commands),
        ZB_NATIVE("dbPendingCount", "(J)J", n_db_pending_count),
        ZB_NATIVE("dbConflicts", "(J)[B", n_db_conflicts),
        ZB_NATIVE("dbResolveConflict", "(J[B[B[B[B)V", n_db_resolve_conflict),
        ZB_NATIVE("dbRejected", "(J)[B", n_db_rejected),
        ZB_NATIVE("dbDismissRejected", "(JJ)V", n_db_dismiss_rejected),
        ZB_NATIVE("dbAddListener", "(JLcn/edu/zhibu/Native$ChangeBridge;)J", n_db_add_listener),
        ZB_NATIVE("listenerRemove", "(J)V", n_listener_remove),
        ZB_NATIVE("syncNew", "(J[BI[[B[B[BZJ)J", n_sync_new),
        ZB_NATIVE("syncFree", "(J)V", n_sync_free),
        ZB_NATIVE("syncOnce", "(J)V", n_sync_once),
        ZB_NATIVE("syncStart", "(J)V", n_sync_start),
        ZB_NATIVE("syncStop", "(J)V", n_sync_stop),
        ZB_NATIVE("syncStatus", "(J)Lcn/edu/zhibu/SyncStatus;", n_sync_status),
        ZB_NATIVE("syncAddStatusListener", "(JLcn/edu/zhibu/Native$StatusBridge;)J",
                  n_sync_add_status_listener),
        ZB_NATIVE("syncAddProgressListener", "(JLcn/edu/zhibu/Native$ProgressBridge;)J",
                  n_sync_add_progress_listener),
    };
    const bool ok =
        env->RegisterNatives(native, methods,
                             static_cast<jint>(sizeof methods / sizeof methods[0])) == JNI_OK;
    env->DeleteLocalRef(native);
    return ok;
}

jclass global_class(JNIEnv* env, const char* name) {
    jclass local = env->FindClass(name);
    if (local == nullptr) return nullptr;
    auto global = static_cast<jclass>(env->NewGlobalRef(local));
    env->DeleteLocalRef(local);
    return global;
}

jmethodID method_of(JNIEnv* env, const char* cls, const char* name, const char* sig) {
    jclass c = env->FindClass(cls);
    if (c == nullptr) return nullptr;
    jmethodID m = env->GetMethodID(c, name, sig);
    env->DeleteLocalRef(c);
    return m;
}

}  // namespace
}  // namespace zb::capi::jni

extern "C" JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM* vm, void*) {
    using namespace zb::capi::jni;
    JNIEnv* env = nullptr;
    if (vm->GetEnv(reinterpret_cast<void**>(&env), JNI_VERSION_1_6) != JNI_OK) return JNI_ERR;
    g_vm = vm;
    g_exception = global_class(env, "cn/edu/zhibu/ZhibuException");
    g_sync_status = global_class(env, "cn/edu/zhibu/SyncStatus");
    if (g_exception == nullptr || g_sync_status == nullptr) return JNI_ERR;
    g_exception_from =
        env->GetStaticMethodID(g_exception, "fromNative", "(III[B)Lcn/edu/zhibu/ZhibuException;");
    g_sync_status_ctor = env->GetMethodID(g_sync_status, "<init>", "(II[BJJJJ)V");
    g_change_on = method_of(env, "cn/edu/zhibu/Native$ChangeBridge", "onChange", "([B[BI)V");
    g_status_on = method_of(env, "cn/edu/zhibu/Native$StatusBridge", "onStatus",
                            "(Lcn/edu/zhibu/SyncStatus;)V");
    g_progress_on = method_of(env, "cn/edu/zhibu/Native$ProgressBridge", "onProgress", "(JJ)V");
    if (g_exception_from == nullptr || g_sync_status_ctor == nullptr || g_change_on == nullptr ||
        g_status_on == nullptr || g_progress_on == nullptr) {
        return JNI_ERR;
    }
    if (zb_api_version() != ZB_API_VERSION) return JNI_ERR;  // built against another header
    if (!register_natives(env)) return JNI_ERR;
    return JNI_VERSION_1_6;
}

// SPDX-License-Identifier: Apache-2.0
// A thin Swift wrapper over the Zhibu C ABI: Database (an encrypted replica) and Sync (a session),
// errors thrown as ZhibuError, listeners as closures boxed with Unmanaged (retained by the
// library, released in userdata_free). Written against zb.h; NOT compiled on the Linux build
// machine (no Swift toolchain); the clang -fmodules import test is the proxy for the module.
import Foundation
import Zhibu

/// A failed zb_* call: the zb_status code, detail, retry flags and message.
public struct ZhibuError: Error, CustomStringConvertible {
    public let code: Int32
    public let detail: Int32
    public let flags: UInt32
    public let message: String
    public var description: String { "\(String(cString: zb_status_name(zb_status(code)))): \(message)" }
    public var isTransient: Bool { flags & UInt32(ZB_ERRF_TRANSIENT) != 0 }
}

/// Runs one zb_* call with a fresh zb_error and throws on failure.
@discardableResult
func check(_ body: (UnsafeMutablePointer<zb_error>) -> zb_status) throws -> zb_status {
    var err = zb_error()
    let status = body(&err)
    if status != ZB_OK {
        throw ZhibuError(code: status.rawValue, detail: err.detail, flags: err.flags,
                         message: String(cString: zb_error_message(&err)))
    }
    return status
}

/// Calls `body` with a zb_str over the UTF-8 bytes of `s` (embedded NULs and emoji survive).
func withStr<R>(_ s: String, _ body: (zb_str) throws -> R) rethrows -> R {
    var copy = s
    return try copy.withUTF8 { buf in
        try buf.withMemoryRebound(to: CChar.self) { chars in
            try body(zb_str(data: chars.baseAddress, size: chars.count))
        }
    }
}

/// Takes ownership of library bytes: decodes them as UTF-8 and frees them.
func takeString(_ bytes: inout zb_bytes) -> String {
    defer { zb_bytes_free(&bytes) }
    guard let data = bytes.data else { return "" }
    return String(decoding: UnsafeBufferPointer(start: data, count: bytes.size), as: UTF8.self)
}

/// A registered listener; remove() (or deinit) unregisters it.
public final class ListenerToken {
    private var token: OpaquePointer?
    init(_ token: OpaquePointer?) { self.token = token }
    public func remove() {
        zb_listener_remove(token)
        token = nil
    }
    deinit { remove() }
}

private final class ChangeBox {
    let fn: (String, String, Int32) -> Void
    init(_ fn: @escaping (String, String, Int32) -> Void) { self.fn = fn }
}

private func string(_ s: zb_str) -> String {
    guard let p = s.data else { return "" }
    return p.withMemoryRebound(to: UInt8.self, capacity: s.size) {
        String(decoding: UnsafeBufferPointer(start: $0, count: s.size), as: UTF8.self)
    }
}

/// An encrypted local replica. Thread-safe; methods do disk I/O, so call them off the main
/// thread. Listener closures run on the library's notification thread.
public final class Database {
    let handle: OpaquePointer

    /// Opens (or creates) the replica with a 32-byte key from the Keychain.
    public init(path: String, key: [UInt8]) throws {
        var cfg: OpaquePointer?
        try check { zb_db_config_new(&cfg, $0) }
        defer { zb_db_config_free(cfg) }
        try withStr(path) { p in try check { zb_db_config_set_path(cfg, p, $0) } }
        try key.withUnsafeBufferPointer { k in
            try check { zb_db_config_set_key(cfg, k.baseAddress, k.count, $0) }
        }
        var db: OpaquePointer?
        try check { zb_db_open(cfg, &db, $0) }
        handle = db!
    }

    deinit { zb_db_free(handle) }

    public func close() throws { try check { zb_db_close(handle, $0) } }

    public func write(table: String, row: String, json: String) throws {
        try withStr(table) { t in
            try withStr(row) { r in
                try withStr(json) { j in try check { zb_db_write(handle, t, r, j, $0) } }
            }
        }
    }

    /// The row as JSON, or nil when it does not exist.
    public func read(table: String, row: String) throws -> String? {
        var out = zb_bytes()
        var err = zb_error()
        let status = withStr(table) { t in withStr(row) { r in zb_db_read(handle, t, r, &out, &err) } }
        if status == ZB_ERR_NOT_FOUND { return nil }
        if status != ZB_OK {
            throw ZhibuError(code: status.rawValue, detail: err.detail, flags: err.flags,
                             message: String(cString: zb_error_message(&err)))
        }
        return takeString(&out)
    }

    public func query(table: String) throws -> String {
        var out = zb_bytes()
        try withStr(table) { t in try check { zb_db_query(handle, t, &out, $0) } }
        return takeString(&out)
    }

    public func remove(table: String, row: String) throws {
        try withStr(table) { t in withStr(row) { r in try check { zb_db_remove(handle, t, r, $0) } } }
    }

    public func pendingCount() throws -> Int64 {
        var n: Int64 = 0
        try check { zb_db_pending_count(handle, &n, $0) }
        return n
    }

    /// Registers a change listener; the closure is retained until the token is removed.
    public func addListener(_ fn: @escaping (_ table: String, _ row: String, _ origin: Int32) -> Void)
        throws -> ListenerToken
    {
        let box = Unmanaged.passRetained(ChangeBox(fn)).toOpaque()
        var token: OpaquePointer?
        var err = zb_error()
        let status = zb_db_add_listener(handle, { userdata, table, row, origin in
            let box = Unmanaged<ChangeBox>.fromOpaque(userdata!).takeUnretainedValue()
            box.fn(string(table), string(row), origin.rawValue)
        }, box, { userdata in
            Unmanaged<ChangeBox>.fromOpaque(userdata!).release()
        }, &token, &err)
        if status != ZB_OK {
            Unmanaged<ChangeBox>.fromOpaque(box).release()  // ownership never passed
            throw ZhibuError(code: status.rawValue, detail: err.detail, flags: err.flags,
                             message: String(cString: zb_error_message(&err)))
        }
        return ListenerToken(token)
    }
}

/// A sync session for one Database.
public final class Sync {
    let handle: OpaquePointer
    let database: Database  // keeps the replica handle alive

    public init(database: Database, host: String, port: UInt16, pins: [String],
                enrollCode: String? = nil) throws {
        var cfg: OpaquePointer?
        try check { zb_sync_config_new(&cfg, $0) }
        defer { zb_sync_config_free(cfg) }
        try withStr(host) { h in try check { zb_sync_config_set_server(cfg, h, port, $0) } }
        for pin in pins { try withStr(pin) { p in try check { zb_sync_config_add_pin(cfg, p, $0) } } }
        if let code = enrollCode {
            try withStr(code) { c in try check { zb_sync_config_set_enroll_code(cfg, c, $0) } }
        }
        var s: OpaquePointer?
        try check { zb_sync_new(database.handle, cfg, &s, $0) }
        handle = s!
        self.database = database
    }

    deinit { zb_sync_free(handle) }

    /// One full sync; blocks (call from a background task).
    public func syncOnce() throws { try check { zb_sync_once(handle, $0) } }
    public func start() throws { try check { zb_sync_start(handle, $0) } }
    public func stop() throws { try check { zb_sync_stop(handle, $0) } }

    public func status() throws -> zb_sync_status_info {
        var info = zb_sync_status_info()
        try check { zb_sync_status(handle, &info, $0) }
        return info
    }
}

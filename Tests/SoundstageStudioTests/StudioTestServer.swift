import Foundation
import Hummingbird
import Soundstage
@testable import SoundstageStudio
import Synchronization
import XCTest

/// A studio on a random loopback port over a copy of an example room in a temporary folder, and a
/// raw HTTP/1.1 client (every header, and the path, exactly as written: what a hostile page or a
/// hand-made request sends, which URLSession would normalise).
final class StudioTestServer: @unchecked Sendable {
    let folder: URL
    let roomPath: String
    let session: StudioSession
    let server: StudioServer
    private var task: Task<Void, Error>?
    private(set) var port = 0

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    init(room: String = "home-studio.json", extraRoutes: @escaping @Sendable (Router<BasicRequestContext>) -> Void = { _ in }) async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("soundstage-studio-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        roomPath = folder.appendingPathComponent(room).path
        // The example room with a fixed ray count: "full" quality is then one pass of 20 000 rays,
        // not the up to 64 passes of `rays: "auto"` (the studio, not the rays' noise, is under test).
        let text = try String(contentsOf: Self.repository.appendingPathComponent("rooms/\(room)"), encoding: .utf8)
        try text.replacingOccurrences(of: #""rays": "auto""#, with: #""rays": 20000"#).write(toFile: roomPath, atomically: true, encoding: .utf8)
        session = try StudioSession(roomPath: roomPath, threads: 2)
        server = StudioServer(session: session, host: "127.0.0.1", port: 0)
        let server = self.server
        let bound = AsyncStream<Int>.makeStream()
        task = Task {
            try await server.run(onRunning: { port in bound.continuation.yield(port) }, extraRoutes: extraRoutes, handlesSignals: false)
        }
        for await p in bound.stream { port = p; break }
    }

    func stop() async {
        task?.cancel()
        _ = try? await task?.value
        try? FileManager.default.removeItem(at: folder)
    }

    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: Data
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: body) as? [String: Any] }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Sends `method path` with `headers` (Host and, for writes, Origin of this server unless given)
    /// and `body`; reads the whole reply (the connection is closed after it).
    func request(_ method: String, _ path: String, body: Data = Data(), headers: [String: String] = [:]) throws -> Reply {
        var all = ["Host": "127.0.0.1:\(port)", "Connection": "close"]
        if method != "GET" && method != "HEAD" { all["Origin"] = "http://127.0.0.1:\(port)"; all["Content-Type"] = "application/json" }
        for (k, v) in headers { all[k] = v.isEmpty ? nil : v }
        var head = "\(method) \(path) HTTP/1.1\r\n"
        for (k, v) in all.sorted(by: { $0.key < $1.key }) { head += "\(k): \(v)\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 120, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        let out = Data(head.utf8) + body
        var sent = 0
        while sent < out.count {
            let n = out.withUnsafeBytes { send(fd, $0.baseAddress! + sent, out.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break } // the server may answer (413) and close before reading it all
            sent += n
        }
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received.append(contentsOf: buffer[0..<n])
        }
        guard let split = received.range(of: Data("\r\n\r\n".utf8)) else { throw POSIXError(.EBADMSG) }
        let lines = String(decoding: received[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ")[1]) ?? 0
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var payload = Data(received[split.upperBound...])
        if headers["transfer-encoding"] == "chunked" { payload = Self.dechunk(payload) }
        return Reply(status: status, headers: headers, body: payload)
    }

    static func dechunk(_ data: Data) -> Data {
        var out = Data(), i = data.startIndex
        while let lineEnd = data[i...].range(of: Data("\r\n".utf8)) {
            let size = Int(String(decoding: data[i..<lineEnd.lowerBound], as: UTF8.self), radix: 16) ?? 0
            if size == 0 { break }
            out.append(data[lineEnd.upperBound..<lineEnd.upperBound + size])
            i = lineEnd.upperBound + size + 2
        }
        return out
    }

    /// POST /api/simulate with `room` (the room file's text).
    func simulate(_ room: String, quality: String = "preview") throws -> Reply {
        let body = try JSONSerialization.data(withJSONObject: ["room": room, "quality": quality])
        return try request("POST", "/api/simulate", body: body)
    }

    /// The example room's text with `edit` applied to its JSON object.
    func room(_ edit: (inout [String: Any]) -> Void = { _ in }) throws -> String {
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: roomPath))) as! [String: Any]
        edit(&object)
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self)
    }
}

import Foundation
import Hummingbird
import Soundstage
import Synchronization

/// `soundstage studio`'s HTTP server (SPEC §8; the API is listed in docs/COMMANDS.md): the page's
/// assets and a JSON API over one `StudioSession`, on Hummingbird.
///
/// It is built for one person on their own machine, and guards against the web pages that person
/// also has open: it binds to the loopback interface unless told otherwise; it answers only
/// requests whose Host is the address it serves (a DNS-rebinding page reaches it under another
/// name); every request that changes something must come from the page's own origin (Origin equal
/// to `http://` + Host); bodies are size-limited; nothing outside the listed assets and the API is
/// served (no file system paths at all), and its responses forbid framing by other sites and
/// content sniffing.
public final class StudioServer: Sendable {
    public let session: StudioSession
    public let host: String
    public let requestedPort: Int
    private let boundPort = Mutex<Int?>(nil)

    /// The largest request body: a room document, an EQ file or a save request.
    public static let bodyLimit = StudioSession.documentLimit + 4096

    public init(session: StudioSession, host: String = "127.0.0.1", port: Int = 8765) {
        (self.session, self.host, self.requestedPort) = (session, host, port)
    }

    /// The port the server listens on once running (the requested one, or the system's choice for 0).
    public var port: Int? { boundPort.withLock { $0 } }

    /// Whether `host` is a loopback address (the default; anything else is reachable from the network).
    public static func isLoopback(_ host: String) -> Bool {
        ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host.lowercased()) || host.hasPrefix("127.")
    }

    /// Runs until cancelled or, with `handlesSignals`, until SIGINT/SIGTERM (graceful: running requests finish). `onRunning`
    /// gets the bound port; `extraRoutes` lets an embedding program add routes (the browser test
    /// adds its driver page).
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in },
                    extraRoutes: (Router<BasicRequestContext>) -> Void = { _ in },
                    handlesSignals: Bool = true) async throws {
        let router = makeRouter()
        extraRoutes(router)
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: requestedPort), serverName: nil),
                              onServerRunning: { [self] channel in
                                  let port = channel.localAddress?.port ?? requestedPort
                                  boundPort.withLock { $0 = port }
                                  await onRunning(port)
                              })
        try await app.runService(gracefulShutdownSignals: handlesSignals ? [.sigterm, .sigint] : [])
    }

    /// The page's files (Sources/SoundstageStudio/Assets), by URL path.
    static let assets: [String: (file: String, type: String)] = [
        "/": ("index.html", "text/html; charset=utf-8"),
        "/index.html": ("index.html", "text/html; charset=utf-8"),
        "/studio.js": ("studio.js", "text/javascript; charset=utf-8"),
        "/studio.css": ("studio.css", "text/css; charset=utf-8"),
    ]

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: Guard(server: self))
        for (path, asset) in Self.assets {
            router.get(RouterPath(path)) { _, _ in try Self.asset(asset.file, type: asset.type) }
        }
        router.get("/api/room") { [session] _, _ in
            Self.json(session.document)
        }
        router.get("/api/original") { [session] _, _ in
            Self.json(session.originalDocument)
        }
        router.post("/api/simulate") { [session] request, context in
            try await Self.answer {
                let body = try await Self.body(request, context)
                let edit = try Self.decode(SimulateRequest.self, body)
                let room = Data(edit.room.utf8)
                let result = try await session.simulate(room, quality: edit.quality ?? .full)
                return Self.json(result.json)
            }
        }
        router.get("/api/result/:version") { [session] _, context in
            try await Self.answer {
                guard let v = context.parameters.get("version", as: Int.self), let data = session.resultJSON(version: v) else {
                    throw StudioError(status: 404, "no such result")
                }
                return Self.json(data)
            }
        }
        router.get("/api/brir/:version/:file") { [session] _, context in
            try await Self.answer {
                guard let v = context.parameters.get("version", as: Int.self), let file = context.parameters.get("file"), file.hasSuffix(".wav") else {
                    throw StudioError(status: 404, "expected /api/brir/<version>/<speaker>.wav")
                }
                let wav = try session.brirWAV(version: v, speaker: String(file.dropLast(4)))
                return Response(status: .ok, headers: [.contentType: "audio/wav"], body: .init(byteBuffer: ByteBuffer(bytes: wav)))
            }
        }
        router.post("/api/eq") { [session] request, context in
            try await Self.answer {
                let body = try await Self.body(request, context)
                let rate = request.uri.queryParameters.get("rate").flatMap { Double(String($0)) } ?? 48000
                guard rate.isFinite, (8000...384000).contains(rate) else { throw StudioError(status: 400, "rate: expected a sample rate 8000…384000 Hz", path: "rate") }
                guard let text = String(data: body, encoding: .utf8) ?? String(data: body, encoding: .isoLatin1) else {
                    throw StudioError(status: 400, "EQ file: not text")
                }
                return try Self.json(JSONEncoder().encode(session.equalizer(text, sampleRate: rate)))
            }
        }
        router.post("/api/save") { [session] request, context in
            try await Self.answer {
                let body = try await Self.body(request, context)
                let save = try Self.decode(SaveRequest.self, body)
                let room = Data(save.room.utf8)
                let path = try session.save(room, name: save.name, overwrite: save.overwrite ?? false)
                return try Self.json(JSONEncoder().encode(["saved": path]))
            }
        }
        router.post("/api/optimize") { [session] request, context in
            try await Self.answer {
                let body = try await Self.body(request, context)
                let edit = try Self.decode(SimulateRequest.self, body)
                try session.startOptimize(Data(edit.room.utf8))
                return try Self.json(JSONEncoder().encode(["status": "running"]), status: .accepted)
            }
        }
        router.get("/api/optimize") { [session] _, _ in
            switch session.optimizeJob {
            case .idle: return Self.json(Data(#"{"status":"idle"}"#.utf8))
            case .running(let done, let total): return Self.json(Data(#"{"status":"running","done":\#(done),"total":\#(total)}"#.utf8))
            case .finished(let data): return Self.json(Data(#"{"status":"finished","maps":"#.utf8) + data + Data("}".utf8))
            case .failed(let e): return Self.error(e)
            }
        }
        router.get("/api/demo.wav") { _, _ in
            try await Self.answer {
                let path = FileManager.default.temporaryDirectory.appendingPathComponent("soundstage-demo-\(UUID().uuidString).wav").path
                defer { unlink(path) }
                try AudioFile.write(DemoPiece.make(), to: path, format: .wavPCM16)
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                return Response(status: .ok, headers: [.contentType: "audio/wav"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
            }
        }
        return router
    }

    /// `room` is the room file's text (the page sends `JSON.stringify` of its edited document), so it
    /// is validated byte for byte like a file on disk: strict grammar, line and column, JSON paths.
    struct SimulateRequest: Decodable { var room: String; var quality: StudioQuality? }
    struct SaveRequest: Decodable { var name: String; var room: String; var overwrite: Bool? }

    static func decode<T: Decodable>(_ type: T.Type, _ body: Data) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: body) } catch let e as DecodingError {
            switch e {
            case .dataCorrupted(let c) where c.codingPath.isEmpty:
                throw StudioError(status: 400, "request: not valid JSON")
            case .keyNotFound(let key, let c):
                throw StudioError(status: 422, "\(Self.path(c.codingPath + [key])): missing", path: Self.path(c.codingPath + [key]))
            case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c):
                throw StudioError(status: 422, "\(Self.path(c.codingPath)): \(c.debugDescription)", path: Self.path(c.codingPath))
            @unknown default:
                throw StudioError(status: 400, "request: \(e)")
            }
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    static func body(_ request: Request, _ context: BasicRequestContext) async throws -> Data {
        do {
            return Data(buffer: try await request.body.collect(upTo: bodyLimit))
        } catch let e as HTTPResponseError where e.status == .contentTooLarge {
            throw StudioError(status: 413, "request body larger than \(bodyLimit) bytes")
        }
    }

    /// Runs `body`, turning a `StudioError` into its JSON error response.
    static func answer(_ body: () async throws -> Response) async throws -> Response {
        do { return try await body() } catch let e as StudioError { return error(e) }
    }

    static func error(_ e: StudioError) -> Response {
        var object: [String: String] = ["error": e.message]
        if let p = e.path { object["path"] = p }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return json(data, status: HTTPResponse.Status(code: e.status))
    }

    static func json(_ data: Data, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func asset(_ file: String, type: String) throws -> Response {
        guard let url = Bundle.module.url(forResource: file, withExtension: nil, subdirectory: "Assets"),
              let data = try? Data(contentsOf: url) else { throw HTTPError(.notFound) }
        return Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Host and origin checks, and the security headers of every response.
    struct Guard: RouterMiddleware {
        typealias Context = BasicRequestContext
        let server: StudioServer

        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            var response: Response
            if let refusal = server.refusal(of: request) {
                response = StudioServer.error(refusal)
            } else {
                do { response = try await next(request, context) } catch let e as HTTPError {
                    response = StudioServer.error(StudioError(status: Int(e.status.code), e.status.code == 404 ? "not found" : "\(e.status.reasonPhrase)"))
                }
            }
            response.headers[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
            response.headers[.xContentTypeOptions] = "nosniff"
            return response
        }
    }

    /// Why `request` is refused before routing (nil: it may go on).
    func refusal(of request: Request) -> StudioError? {
        guard let port else { return StudioError(status: 503, "starting") }
        let authority = request.head.authority?.lowercased() ?? ""
        let names = Set(["127.0.0.1", "localhost", "[::1]", host.lowercased(), host.contains(":") ? "[\(host.lowercased())]" : host.lowercased()])
        guard names.contains(where: { authority == "\($0):\(port)" }) else {
            return StudioError(status: 403, "Host \"\(authority)\" is not this studio's address")
        }
        switch request.method {
        case .get, .head, .options:
            return nil
        default:
            guard let origin = request.headers[.origin]?.lowercased(), origin == "http://\(authority)" else {
                return StudioError(status: 403, "changes are accepted only from the studio's own page (Origin http://\(authority))")
            }
            return nil
        }
    }
}

// The studio's edit latency (issue #20): what the page waits for after an edit — POST /api/simulate
// with the edited room, then GET both speakers' BRIR WAVs — through the real HTTP server on a
// loopback port, for a drag (preview quality) and for releases (full quality).
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Soundstage
import SoundstageStudio

struct StudioLatency {
    let base: URL
    let origin: String

    func send(_ path: String, body: Data? = nil) async throws -> Data {
        var request = URLRequest(url: base.appendingPathComponent(path))
        if let body {
            request.httpMethod = "POST"
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.setValue(origin, forHTTPHeaderField: "Origin")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 else { throw StudioError(status: status, "\(path): HTTP \(status) \(String(decoding: data.prefix(200), as: UTF8.self))") }
        return data
    }

    /// Seconds from sending the edit to holding the new BRIRs, and the simulation's own seconds (the result's `seconds`).
    func edit(_ room: [String: Any], quality: String) async throws -> (total: Double, simulation: Double) {
        let text = String(decoding: try JSONSerialization.data(withJSONObject: room), as: UTF8.self)
        let start = DispatchTime.now().uptimeNanoseconds
        let answer = try await send("api/simulate", body: try JSONSerialization.data(withJSONObject: ["room": text, "quality": quality]))
        let result = try JSONSerialization.jsonObject(with: answer) as! [String: Any]
        let version = result["version"] as! Int
        for speaker in ["L", "R"] { _ = try await send("api/brir/\(version)/\(speaker).wav") }
        return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, result["seconds"] as! Double)
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((p * Double(sorted.count - 1)).rounded()))]
    }

    static func run(room name: String, previews: Int = 12, fulls: Int = 5) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("soundstage-bench-studio-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("\(name).json").path
        try FileManager.default.copyItem(atPath: "rooms/\(name).json", toPath: path)
        let server = StudioServer(session: try StudioSession(roomPath: path), host: "127.0.0.1", port: 0)
        let bound = AsyncStream<Int>.makeStream()
        let task = Task { try await server.run(onRunning: { bound.continuation.yield($0) }, handlesSignals: false) }
        defer { task.cancel() }
        var port = 0
        for await p in bound.stream { port = p; break }
        let bench = StudioLatency(base: URL(string: "http://127.0.0.1:\(port)/")!, origin: "http://127.0.0.1:\(port)")
        var room = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        var speakers = room["speakers"] as! [String: Any]
        let spacing = speakers["spacing"] as! Double
        _ = try await bench.edit(room, quality: "full") // loads the HRTF once, as the page's first request does
        // A drag: the pair widens by 2 cm per step (each a preview), then a few releases at full quality.
        var preview: [(total: Double, simulation: Double)] = [], full: [(total: Double, simulation: Double)] = []
        for step in 1...previews {
            speakers["spacing"] = spacing + 0.02 * Double(step); room["speakers"] = speakers
            preview.append(try await bench.edit(room, quality: "preview"))
        }
        for step in 1...fulls {
            speakers["spacing"] = spacing - 0.05 * Double(step); room["speakers"] = speakers
            full.append(try await bench.edit(room, quality: "full"))
        }
        for (label, times) in [("preview", preview), ("full", full)] {
            print(String(format: "studio, %@, %@: edit → new BRIRs over HTTP median %.2f s, 90th percentile %.2f s (%d edits; the simulation alone: median %.2f s)",
                         name as NSString, label as NSString, percentile(times.map(\.total), 0.5), percentile(times.map(\.total), 0.9), times.count,
                         percentile(times.map(\.simulation), 0.5)))
        }
    }
}

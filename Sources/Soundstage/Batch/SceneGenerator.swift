import Foundation

/// `soundstage scenes`: random shoebox scenes for a dataset, drawn from the ranges of a JSON file
/// (docs/COMMANDS.md, "scenes"), one room object per JSONL line. Scene k is a function of
/// (seed, k) alone — its own SplitMix64 stream — so any count gives the same first scenes.
///
/// Ranges (each `[min, max]`, uniform): `width`, `length`, `height` (m); the surfaces either pick a
/// built-in material each from `materials` (names) or get a random α per octave band from
/// `absorption` and a scattering coefficient from `scattering`; `sources` omni sources and one
/// listener at least `clearance` m from every surface, every source at least `minDistance` m from
/// the listener; optional `listenerYaw` (degrees), `hrtf` (a SOFA path or "default"), and the
/// `simulation` block every scene carries (e.g. `{"sampleRate": 16000, "duration": 0.5}`).
public struct SceneGenerator: Sendable {
    let width, length, height: ClosedRange<Double>
    let materials: [String]
    let absorption: ClosedRange<Double>
    let scattering: ClosedRange<Double>
    let sources: Int
    let clearance: Double
    let minDistance: Double
    let yaw: ClosedRange<Double>?
    let hrtf: String?
    let simulation: JSONValue?

    /// Reads the ranges; errors name `label` and the JSON path.
    public init(ranges data: Data, label: String) throws {
        let root = JSONNode(try JSONValue.parse(data, file: label))
        try root.checkKeys(["width", "length", "height", "materials", "absorption", "scattering", "sources", "clearance",
                            "minDistance", "listenerYaw", "hrtf", "simulation"])
        func range(_ key: String, _ limits: ClosedRange<Double>, default d: ClosedRange<Double>? = nil) throws -> ClosedRange<Double> {
            guard let node = try root.optional(key) else {
                guard let d else { throw root.error("missing \"\(key)\": [min, max]") }
                return d
            }
            let items = try node.array("[min, max]")
            guard items.count == 2 else { throw node.error("expected [min, max], found \(items.count) numbers") }
            let lo = try items[0].number(in: limits), hi = try items[1].number(in: limits)
            guard lo <= hi else { throw node.error("min \(format(lo)) is above max \(format(hi))") }
            return lo...hi
        }
        width = try range("width", 1...100)
        length = try range("length", 1...100)
        height = try range("height", 1...30)
        absorption = try range("absorption", 0.0...0.99, default: 0.05...0.5)
        scattering = try range("scattering", 0...1, default: 0.05...0.3)
        if let node = try root.optional("materials") {
            let names = try node.array("a list of material names")
            materials = try names.map { item in
                let name = try item.string()
                guard BuiltInMaterials.materials[name] != nil else { throw item.error("unknown material \"\(name)\" (soundstage materials lists them)") }
                return name
            }
            guard !materials.isEmpty else { throw node.error("expected at least one material") }
        } else {
            materials = []
        }
        sources = try root.optional("sources")?.integer(in: 1...64) ?? 1
        clearance = try root.optional("clearance")?.number(in: 0...10, unit: "m") ?? 0.5
        minDistance = try root.optional("minDistance")?.number(in: 0...100, unit: "m") ?? 1.0
        yaw = try root.optional("listenerYaw") == nil ? nil : try range("listenerYaw", -360...360)
        hrtf = try root.optional("hrtf")?.string()
        if let node = try root.optional("simulation") { _ = try node.object(); simulation = node.value } else { simulation = nil }
        // The smallest room must leave space for the clearances.
        if 2 * clearance >= min(width.lowerBound, length.lowerBound, height.lowerBound) {
            throw SceneError.invalid(path: "clearance", reason: "\(format(clearance)) m from every surface leaves no space in a room \(format(min(width.lowerBound, length.lowerBound, height.lowerBound))) m across")
        }
    }

    /// Attempts at placing the sources of one scene before it is declared impossible.
    static let attempts = 1000

    /// Scene `index` (0-based) of the stream `seed`.
    public func scene(index: Int, seed: UInt64) throws -> String {
        var g = SplitMix64Generator(seed: seed &* 0xD1B5_4A32_D192_ED03 ^ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
        func uniform(_ r: ClosedRange<Double>) -> Double { r.lowerBound + (r.upperBound - r.lowerBound) * Double(g.next() >> 11) / Double(1 << 53) }
        let size = [uniform(width), uniform(length), uniform(height)]
        func point() -> [Double] { size.map { uniform(clearance...($0 - clearance)) } }
        func distance(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot() }
        var listener: [Double] = [], positions: [[Double]] = []
        for _ in 0..<Self.attempts {
            listener = point()
            positions = (0..<sources).map { _ in point() }
            if positions.allSatisfy({ distance($0, listener) >= minDistance }) { break }
            positions = []
        }
        guard !positions.isEmpty else {
            throw SceneError.invalid(path: "minDistance", reason: "scene \(index): no placement with every source \(format(minDistance)) m from the listener in \(Self.attempts) attempts (room \(size.map(format).joined(separator: " × ")) m)")
        }
        var surfaces: [String: JSONValue] = [:]
        for name in ["floor", "ceiling", "front", "back", "left", "right"] {
            if !materials.isEmpty {
                surfaces[name] = .string(materials[Int(g.next() % UInt64(materials.count))])
            } else {
                var alpha: [String: JSONValue] = [:]
                for hz in ["63", "125", "250", "500", "1000", "2000", "4000", "8000"] { alpha[hz] = .number(rounded(uniform(absorption))) }
                surfaces[name] = .object(["absorption": .object(alpha), "scattering": .number(rounded(uniform(scattering)))])
            }
        }
        var listenerJSON: [String: JSONValue] = ["position": .array(listener.map { .number(rounded($0)) })]
        if let yaw { listenerJSON["yaw"] = .number(rounded(uniform(yaw))) }
        if let hrtf { listenerJSON["hrtf"] = .string(hrtf) }
        var room: [String: JSONValue] = [
            "name": .string(String(format: "scene-%d", index)),
            "room": .object(["shoebox": .object(["width": .number(rounded(size[0])), "length": .number(rounded(size[1])), "height": .number(rounded(size[2]))])]),
            "surfaces": .object(surfaces),
            "speakers": .array(positions.enumerated().map { i, p in
                .object(["name": .string("S\(i + 1)"), "position": .array(p.map { .number(rounded($0)) }), "directivity": .string("omni")])
            }),
            "listener": .object(listenerJSON),
        ]
        if let simulation { room["simulation"] = simulation }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(JSONValue.object(room)), as: UTF8.self)
    }

    /// Millimetres and 1e-4 of α are plenty, and short lines.
    private func rounded(_ x: Double) -> Double { (x * 10000).rounded() / 10000 }
}

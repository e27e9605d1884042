import Foundation

/// A polygon mesh as read from a file: vertices and faces with their material names.
public struct MeshData: Sendable {
    public struct Face: Sendable {
        public var indices: [Int]
        /// OBJ `usemtl` / AC3D `MATERIAL` name; becomes the surface name.
        public var material: String
    }
    public var vertices: [Vec3]
    public var faces: [Face]

    /// Largest coordinate accepted (m): 10 km, far beyond any room, and small enough that every
    /// later stage (welding on a 10 µm grid, 64-bit keys) stays exact.
    public static let coordinateLimit = 1e4

    /// Whether `v` is a coordinate a room can have (finite, within `coordinateLimit`).
    static func isAcceptable(_ v: Vec3) -> Bool {
        v.x.isFinite && v.y.isFinite && v.z.isFinite && max(abs(v.x), abs(v.y), abs(v.z)) <= coordinateLimit
    }
    static let coordinateReason = "a vertex needs three finite numbers within ±\(Int(coordinateLimit)) m"

    /// Which file axis points up. `.y` maps a y-up file's (x, y, z) to (x, −z, y) (SPEC §2).
    public enum UpAxis: String, Sendable { case y, z }

    /// Re-expresses the vertices in Soundstage's z-up frame.
    public func converted(up: UpAxis) -> MeshData {
        guard up == .y else { return self }
        var m = self
        m.vertices = vertices.map { Vec3($0.x, -$0.z, $0.y) }
        return m
    }
}

/// Parse errors carry the line number; the caller prefixes the JSON path and file name.
public struct MeshParseError: Error, CustomStringConvertible {
    public let line: Int
    public let reason: String
    public var description: String { "line \(line): \(reason)" }
}

/// Wavefront OBJ: `v`, `f` (with `v/t/n` forms and negative indices), `usemtl`; other records ignored.
public enum OBJParser {
    public static func parse(_ text: String) throws -> MeshData {
        var vertices: [Vec3] = []
        var faces: [MeshData.Face] = []
        var material = "default"
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let tokens = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let keyword = tokens.first else { continue }
            switch keyword {
            case "v":
                guard tokens.count >= 4, let x = Double(tokens[1]), let y = Double(tokens[2]), let z = Double(tokens[3]),
                      MeshData.isAcceptable(Vec3(x, y, z)) else {
                    throw MeshParseError(line: lineNumber, reason: MeshData.coordinateReason)
                }
                vertices.append(Vec3(x, y, z))
            case "f":
                guard tokens.count >= 4 else {
                    throw MeshParseError(line: lineNumber, reason: "a face needs at least 3 vertices")
                }
                var indices: [Int] = []
                for t in tokens.dropFirst() {
                    guard let first = t.split(separator: "/", omittingEmptySubsequences: false).first,
                          let i = Int(first), i != 0 else {
                        throw MeshParseError(line: lineNumber, reason: "bad vertex reference \"\(t)\"")
                    }
                    let index = i > 0 ? i - 1 : vertices.count + i
                    guard index >= 0, index < vertices.count else {
                        throw MeshParseError(line: lineNumber, reason: "face refers to vertex \(i), but \(vertices.count) vertices are defined so far")
                    }
                    indices.append(index)
                }
                faces.append(.init(indices: indices, material: material))
            case "usemtl":
                material = tokens.count > 1 ? tokens[1...].joined(separator: " ") : "default"
            default:
                continue
            }
        }
        guard !faces.isEmpty else { throw MeshParseError(line: lineNumber, reason: "the file has no faces") }
        return MeshData(vertices: vertices, faces: faces)
    }
}

/// AC3D (`.ac`, the format RAVEN and BRAS use): `MATERIAL` names, nested `OBJECT`s with `loc`/`rot`,
/// `numvert`, and `SURF` polygons (`mat`, `refs`). Lines and closed lines are skipped.
public enum AC3DParser {
    public static func parse(_ text: String) throws -> MeshData {
        var reader = LineReader(text)
        guard let header = reader.next(), header.tokens.first?.hasPrefix("AC3D") == true else {
            throw MeshParseError(line: 1, reason: "not an AC3D file (no AC3D header)")
        }
        var materials: [String] = []
        var mesh = MeshData(vertices: [], faces: [])
        while let line = reader.peek() {
            if line.tokens.first == "MATERIAL" {
                _ = reader.next()
                materials.append(line.quoted ?? "material-\(materials.count)")
            } else if line.tokens.first == "OBJECT" {
                try parseObject(&reader, materials: materials, transform: { $0 }, into: &mesh)
            } else {
                _ = reader.next()
            }
        }
        guard !mesh.faces.isEmpty else { throw MeshParseError(line: reader.lineNumber, reason: "the file has no polygons") }
        return mesh
    }

    private static func parseObject(_ r: inout LineReader, materials: [String],
                                    transform parent: @escaping (Vec3) -> Vec3, into mesh: inout MeshData) throws {
        guard r.next()?.tokens.first == "OBJECT" else { return }
        var loc = Vec3.zero
        var rot: [Double] = [1, 0, 0, 0, 1, 0, 0, 0, 1]
        var local: [Vec3] = []
        var pendingFaces: [MeshData.Face] = []
        func world(_ v: Vec3) -> Vec3 {
            parent(Vec3(rot[0] * v.x + rot[1] * v.y + rot[2] * v.z,
                        rot[3] * v.x + rot[4] * v.y + rot[5] * v.z,
                        rot[6] * v.x + rot[7] * v.y + rot[8] * v.z) + loc)
        }
        while let line = r.next() {
            let t = line.tokens
            guard let key = t.first else { continue }
            switch key {
            case "loc":
                let n = t.dropFirst().compactMap { Double($0) }
                guard n.count == 3 else { throw MeshParseError(line: r.lineNumber, reason: "loc needs 3 numbers") }
                loc = Vec3(n[0], n[1], n[2])
            case "rot":
                let n = t.dropFirst().compactMap { Double($0) }
                guard n.count == 9 else { throw MeshParseError(line: r.lineNumber, reason: "rot needs 9 numbers") }
                rot = n
            case "data":
                _ = r.next() // the data string follows on its own line
            case "numvert":
                guard t.count == 2, let n = Int(t[1]), n >= 0, n < 10_000_000 else {
                    throw MeshParseError(line: r.lineNumber, reason: "bad numvert")
                }
                for _ in 0..<n {
                    guard let v = r.next() else { throw MeshParseError(line: r.lineNumber, reason: "file ends inside the vertex list") }
                    let c = v.tokens.compactMap { Double($0) }
                    guard c.count >= 3, MeshData.isAcceptable(Vec3(c[0], c[1], c[2])) else {
                        throw MeshParseError(line: r.lineNumber, reason: MeshData.coordinateReason)
                    }
                    local.append(Vec3(c[0], c[1], c[2]))
                }
            case "numsurf":
                guard t.count == 2, let n = Int(t[1]), n >= 0, n < 10_000_000 else {
                    throw MeshParseError(line: r.lineNumber, reason: "bad numsurf")
                }
                for _ in 0..<n { if let f = try parseSurface(&r, materials: materials, vertexCount: local.count) { pendingFaces.append(f) } }
            case "kids":
                let base = mesh.vertices.count
                // loc and rot move the vertices: the placed ones must be room coordinates too.
                let placed = local.map(world)
                guard placed.allSatisfy(MeshData.isAcceptable) else {
                    throw MeshParseError(line: r.lineNumber, reason: "loc/rot place a vertex beyond ±\(Int(MeshData.coordinateLimit)) m")
                }
                mesh.vertices.append(contentsOf: placed)
                mesh.faces.append(contentsOf: pendingFaces.map { MeshData.Face(indices: $0.indices.map { $0 + base }, material: $0.material) })
                guard t.count == 2, let n = Int(t[1]), n >= 0 else { throw MeshParseError(line: r.lineNumber, reason: "bad kids count") }
                let transform = world
                for _ in 0..<n { try parseObject(&r, materials: materials, transform: transform, into: &mesh) }
                return
            default:
                continue // name, texture, crease, url, hidden, locked, folded, subdiv, texrep
            }
        }
        throw MeshParseError(line: r.lineNumber, reason: "file ends inside an OBJECT (no kids line)")
    }

    private static func parseSurface(_ r: inout LineReader, materials: [String], vertexCount: Int) throws -> MeshData.Face? {
        guard let surf = r.next(), surf.tokens.first == "SURF", surf.tokens.count == 2 else {
            throw MeshParseError(line: r.lineNumber, reason: "expected SURF")
        }
        let flagText = surf.tokens[1].hasPrefix("0x") ? String(surf.tokens[1].dropFirst(2)) : surf.tokens[1]
        guard let flags = Int(flagText, radix: 16) else { throw MeshParseError(line: r.lineNumber, reason: "bad SURF flags") }
        var material = "default"
        var indices: [Int] = []
        while let line = r.next() {
            let t = line.tokens
            if t.first == "mat", t.count == 2, let m = Int(t[1]) {
                material = m >= 0 && m < materials.count ? materials[m] : "material-\(m)"
            } else if t.first == "refs", t.count == 2, let n = Int(t[1]), n >= 0, n < 100_000 {
                for _ in 0..<n {
                    guard let ref = r.next(), let i = ref.tokens.first.flatMap({ Int($0) }), i >= 0, i < vertexCount else {
                        throw MeshParseError(line: r.lineNumber, reason: "bad vertex reference in refs")
                    }
                    indices.append(i)
                }
                break
            } else {
                throw MeshParseError(line: r.lineNumber, reason: "unexpected \"\(t.first ?? "")\" in SURF")
            }
        }
        return flags & 0xF == 0 && indices.count >= 3 ? MeshData.Face(indices: indices, material: material) : nil
    }

    struct Line {
        let tokens: [String]
        let raw: Substring
        /// The first double-quoted string on the line.
        var quoted: String? {
            guard let a = raw.firstIndex(of: "\"") else { return nil }
            let rest = raw[raw.index(after: a)...]
            guard let b = rest.firstIndex(of: "\"") else { return nil }
            return String(rest[..<b])
        }
    }

    struct LineReader {
        private let lines: [Substring]
        private(set) var lineNumber = 0
        init(_ text: String) { lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) }
        func peek() -> Line? {
            var i = lineNumber
            while i < lines.count {
                let t = lines[i].split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                if !t.isEmpty { return Line(tokens: t, raw: lines[i]) }
                i += 1
            }
            return nil
        }
        mutating func next() -> Line? {
            while lineNumber < lines.count {
                let raw = lines[lineNumber]
                lineNumber += 1
                let t = raw.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                if !t.isEmpty { return Line(tokens: t, raw: raw) }
            }
            return nil
        }
    }
}

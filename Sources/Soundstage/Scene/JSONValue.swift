import Foundation

/// A parsed JSON document (numbers as Double). Decoding a room goes JSON text → `JSONValue` →
/// `JSONNode` walks with a path for error messages → `Scene`.
enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else if let o = try? c.decode([String: JSONValue].self) { self = .object(o) }
        else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "unsupported JSON value")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// `self` with `patch` merged in (RFC 7396 JSON Merge Patch): objects merge key by key, a null
    /// removes the key, anything else replaces.
    func merged(with patch: JSONValue) -> JSONValue {
        guard case .object(let p) = patch else { return patch }
        var o: [String: JSONValue] = [:]
        if case .object(let mine) = self { o = mine }
        for (k, v) in p {
            if v == .null { o[k] = nil } else { o[k] = (o[k] ?? .null).merged(with: v) }
        }
        return .object(o)
    }

    /// The value at `key` of an object (nil for anything else).
    subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    /// Longest string or key accepted (characters): a name, a material or a file path (PATH_MAX).
    public static let maximumStringLength = 4096

    /// Parses JSON text: a syntax error becomes `SceneError.syntax` naming `file`, the line and
    /// column and the JSON path it is in (`StrictJSON`); a key given twice in one object or a
    /// trailing comma, and a string or key longer than `maximumStringLength`, an error naming its
    /// JSON path (nothing later then searches, compares or prints megabytes of text).
    public static func parse(_ data: Data, file: String) throws -> JSONValue {
        do { try StrictJSON.check(data) } catch let p as StrictJSON.Problem {
            throw p.syntax ? SceneError.syntax(file: file, reason: p.reason) : SceneError.invalid(path: p.path, reason: p.reason)
        }
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            // What the grammar check passes and the decoder refuses: text that is not UTF-8, or a
            // number beyond Double's range.
            var reason = "the text is not JSON"
            do { _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
                if let d = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String { reason = d }
            }
            throw SceneError.syntax(file: file, reason: reason)
        }
        try value.checkStringLengths(path: "")
        return value
    }

    private func checkStringLengths(path: String) throws {
        let limit = JSONValue.maximumStringLength
        func tooLong(_ s: String) -> Bool { s.utf8.count > limit && s.count > limit }
        switch self {
        case .string(let s) where tooLong(s):
            throw SceneError.invalid(path: path.isEmpty ? "(top level)" : path, reason: "a string of \(s.count) characters; at most \(limit)")
        case .array(let a):
            for (i, v) in a.enumerated() { try v.checkStringLengths(path: "\(path)[\(i)]") }
        case .object(let o):
            for key in o.keys.sorted() {
                if tooLong(key) {
                    throw SceneError.invalid(path: path.isEmpty ? "(top level)" : path, reason: "a key of \(key.count) characters; at most \(limit)")
                }
                try o[key]!.checkStringLengths(path: path.isEmpty ? key : "\(path).\(key)")
            }
        default: break
        }
    }

    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// A value in a JSON document together with its path, for reading with precise errors.
struct JSONNode: Sendable {
    public let value: JSONValue
    public let path: String

    public init(_ value: JSONValue, path: String = "") {
        self.value = value
        self.path = path
    }

    /// Fails with this node's path.
    public func error(_ reason: String) -> SceneError { .invalid(path: path, reason: reason) }

    func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    // MARK: Objects

    /// The members of an object, or an error naming the expected type.
    public func object(_ what: String = "an object") throws -> [String: JSONValue] {
        guard case .object(let o) = value else { throw error("expected \(what), found \(value.typeName)") }
        return o
    }

    /// The member `key`, if present (and not null).
    public func optional(_ key: String) throws -> JSONNode? {
        let o = try object()
        guard let v = o[key], v != .null else { return nil }
        return JSONNode(v, path: childPath(key))
    }

    /// The member `key`, or an error saying it is missing.
    public func required(_ key: String, _ what: String) throws -> JSONNode {
        guard let node = try optional(key) else {
            throw error("missing \"\(key)\" (\(what))")
        }
        return node
    }

    /// Rejects members not in `allowed` (keys starting with "_" and "description"/"notes" are
    /// comments), suggesting the nearest allowed key for a typo.
    public func checkKeys(_ allowed: Set<String>) throws {
        let o = try object()
        for key in o.keys.sorted() where !allowed.contains(key) {
            if key.hasPrefix("_") || key == "description" || key == "notes" || key == "$schema" { continue }
            let suggestion = allowed.min { editDistance(key, $0) < editDistance(key, $1) }
            var reason = "unknown key"
            if let s = suggestion, editDistance(key, s) <= max(2, s.count / 3) { reason += " (did you mean \"\(s)\"?)" }
            reason += "; expected one of: " + allowed.sorted().joined(separator: ", ")
            throw SceneError.invalid(path: childPath(key), reason: reason)
        }
    }

    // MARK: Scalars

    /// A finite number, optionally within a closed or half-open range; `unit` is printed in errors.
    public func number() throws -> Double {
        guard case .number(let d) = value else {
            if case .string(let s) = value {
                throw error("expected a number, found the string \"\(s)\"")
            }
            throw error("expected a number, found \(value.typeName)")
        }
        guard d.isFinite else { throw error("the number must be finite") }
        return d
    }

    public func number(in range: ClosedRange<Double>, unit: String = "", _ what: String = "") throws -> Double {
        let d = try number()
        guard range.contains(d) else {
            throw error("\(format(d))\(unit.isEmpty ? "" : " " + unit) is out of range: \(what.isEmpty ? "" : what + " ")must be between \(format(range.lowerBound)) and \(format(range.upperBound))\(unit.isEmpty ? "" : " " + unit)")
        }
        return d
    }

    /// A strictly positive number up to `max` (and at least `min` when given).
    public func positive(max: Double, unit: String, min: Double? = nil) throws -> Double {
        let d = try number()
        guard d > 0 else { throw error("must be positive, found \(format(d)) \(unit)") }
        if let min, d < min { throw error("\(format(d)) \(unit) is smaller than the \(format(min)) \(unit) minimum") }
        guard d <= max else { throw error("\(format(d)) \(unit) is larger than the \(format(max)) \(unit) limit") }
        return d
    }

    public func integer(in range: ClosedRange<Int>) throws -> Int {
        let d = try number()
        guard d == d.rounded(), d >= Double(range.lowerBound), d <= Double(range.upperBound) else {
            throw error("expected a whole number between \(range.lowerBound) and \(range.upperBound), found \(format(d))")
        }
        return Int(d)
    }

    public func string() throws -> String {
        guard case .string(let s) = value else { throw error("expected a string, found \(value.typeName)") }
        return s
    }

    public func bool() throws -> Bool {
        guard case .bool(let b) = value else { throw error("expected true or false, found \(value.typeName)") }
        return b
    }

    public func array(_ what: String = "an array") throws -> [JSONNode] {
        guard case .array(let a) = value else { throw error("expected \(what), found \(value.typeName)") }
        return a.enumerated().map { JSONNode($1, path: "\(path)[\($0)]") }
    }

    /// A point `[x, y, z]` in metres.
    public func point3() throws -> Vec3 {
        let a = try array("[x, y, z] in metres")
        guard a.count == 3 else { throw error("expected [x, y, z] (3 numbers), found \(a.count) values") }
        let c = try a.map { try $0.number(in: -1e4...1e4, unit: "m") }
        return Vec3(c[0], c[1], c[2])
    }

    /// A point `[x, y]` in metres.
    public func point2() throws -> Vec2 {
        let a = try array("[x, y] in metres")
        guard a.count == 2 else { throw error("expected [x, y] (2 numbers), found \(a.count) values") }
        let c = try a.map { try $0.number(in: -1e4...1e4, unit: "m") }
        return Vec2(c[0], c[1])
    }
}

/// Formats a number compactly for messages (no trailing zeros).
public func format(_ d: Double) -> String {
    if d == d.rounded() && abs(d) < 1e15 { return String(Int64(d)) }
    return String(format: "%.6g", d)
}

/// Optimal-string-alignment distance (edits and adjacent transpositions each cost 1), for "did you
/// mean" suggestions: "heigth" is one step from "height".
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.lowercased()), b = Array(b.lowercased())
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { d[i][0] = i }
    for j in 0...b.count { d[0][j] = j }
    for i in 1...a.count {
        for j in 1...b.count {
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
        }
    }
    return d[a.count][b.count]
}

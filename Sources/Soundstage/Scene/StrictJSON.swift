import Foundation

/// What RFC 8259 leaves to the reader and Foundation's decoder lets through: a member name that
/// appears twice in one object (the decoder keeps the first, so `"width": 4, "width": 0.1` is a
/// 4 m room) and a comma before `]` or `}`. A room file is read strictly: both are errors naming
/// their JSON path. Runs on text the decoder has already accepted, so it only tracks structure.
enum StrictJSON {
    struct Problem: Error { let path: String, reason: String }

    static func check(_ data: Data) throws {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var scanner = Scanner(bytes: raw.bindMemory(to: UInt8.self))
            scanner.skipSpace()
            try scanner.value(path: "")
        }
    }

    struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        var current: UInt8? { i < bytes.count ? bytes[i] : nil }

        mutating func skipSpace() {
            while let c = current, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { i += 1 }
        }

        static func child(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

        mutating func value(path: String) throws {
            switch current {
            case UInt8(ascii: "{"): try members(path: path, close: UInt8(ascii: "}"), keyed: true)
            case UInt8(ascii: "["): try members(path: path, close: UInt8(ascii: "]"), keyed: false)
            case UInt8(ascii: "\""): _ = try string()
            default:
                // A number or a literal: up to the next delimiter.
                while let c = current, !(c == UInt8(ascii: ",") || c == UInt8(ascii: "]") || c == UInt8(ascii: "}") || c <= 0x20) { i += 1 }
            }
        }

        /// An object's members (`keyed`) or an array's elements, up to `close`.
        mutating func members(path: String, close: UInt8, keyed: Bool) throws {
            i += 1
            var keys = Set<String>(), index = 0
            skipSpace()
            if current == close { i += 1; return }
            while true {
                skipSpace()
                var child = "\(path)[\(index)]"
                if keyed {
                    let key = try string()
                    child = Scanner.child(path, key)
                    guard keys.insert(key).inserted else { throw Problem(path: child, reason: "the key appears twice in this object; give it once") }
                    skipSpace()
                    i += 1 // ':'
                    skipSpace()
                }
                try value(path: child)
                skipSpace()
                guard current == UInt8(ascii: ",") else { i += 1; return } // the closing bracket
                i += 1
                skipSpace()
                if current == close {
                    throw Problem(path: path.isEmpty ? "(top level)" : path,
                                  reason: "a comma before the closing \(keyed ? "brace" : "bracket"); remove it")
                }
                index += 1
            }
        }

        /// A string token, decoded (escapes included) so that keys compare as the decoder sees them.
        mutating func string() throws -> String {
            let start = i
            i += 1 // opening quote
            var escaped = false, hasEscape = false
            while let c = current {
                i += 1
                if escaped { escaped = false } else if c == UInt8(ascii: "\\") { escaped = true; hasEscape = true } else if c == UInt8(ascii: "\"") { break }
            }
            let token = UnsafeBufferPointer(rebasing: bytes[start..<i])
            guard hasEscape else { return String(decoding: token.dropFirst().dropLast(), as: UTF8.self) }
            return (try? JSONDecoder().decode(String.self, from: Data(token))) ?? String(decoding: token.dropFirst().dropLast(), as: UTF8.self)
        }
    }
}

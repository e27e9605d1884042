import Foundation

/// Why a room file was rejected. Each case carries the JSON path (`speakers[1].position`) or the
/// file, and prints as one line: `<where>: <reason>`.
public enum SceneError: Error, CustomStringConvertible, Equatable {
    /// The file could not be read.
    case unreadable(file: String, reason: String)
    /// The text is not JSON.
    case syntax(file: String, reason: String)
    /// A value at a JSON path is missing, of the wrong type, out of range or inconsistent.
    case invalid(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): return "\(file): \(reason)"
        case .syntax(let file, let reason): return "\(file): not valid JSON: \(reason)"
        case .invalid(let path, let reason): return "\(path.isEmpty ? "(root)" : path): \(reason)"
        }
    }
}

import Foundation

/// Writes a file through a temporary sibling that is renamed into place only when complete, so a
/// failed or interrupted write never leaves a partial file or destroys an existing good one.
public enum AtomicFile {
    public static func write(to path: String, _ body: (String) throws -> Void) throws {
        let temporary = TemporaryFiles.sibling(of: path)
        try TemporaryFiles.register(temporary)
        defer { TemporaryFiles.unregister(temporary) }
        do {
            try body(temporary)
            try TemporaryFiles.publish {
                guard rename(temporary, path) == 0 else { throw FileError(path: path, errno: errno) }
            }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { temporary in
            guard FileManager.default.createFile(atPath: temporary, contents: data) else {
                throw FileError(path: path, errno: errno)
            }
        }
    }
}

/// A file-system failure as one line: the path and the system's reason (`strerror`), never a
/// Foundation error dump.
public struct FileError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public init(path: String, reason: String) { (self.path, self.reason) = (path, reason) }
    public init(path: String, errno code: Int32) { self.init(path: path, reason: String(cString: strerror(code))) }
    public var description: String { "\(path): \(reason)" }

    /// Creates `folder` and its parents, or explains why it cannot.
    public static func createFolder(_ folder: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw FileError(path: folder, reason: "exists and is not a folder") }
            return
        }
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw FileError(path: folder, reason: "cannot create the folder (\(FileError.reason(of: error)))")
        }
    }

    /// The POSIX reason behind a Foundation error, when it has one.
    public static func reason(of error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        switch ns.code {
        case NSFileNoSuchFileError, NSFileReadNoSuchFileError: return String(cString: strerror(ENOENT))
        case NSFileWriteNoPermissionError, NSFileReadNoPermissionError: return String(cString: strerror(EACCES))
        case NSFileWriteOutOfSpaceError: return String(cString: strerror(ENOSPC))
        case NSFileWriteVolumeReadOnlyError: return String(cString: strerror(EROFS))
        default: return "\(error)".split(separator: "\n").first.map(String.init) ?? "failed"
        }
    }
}

import Foundation
import PNGShim

public struct PNGError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}

/// An 8-bit RGBA image with PNG text chunks, encoded and decoded by libpng.
public struct PNGImage: Sendable {
    public var width: Int
    public var height: Int
    /// Row-major RGBA, 4 bytes per pixel, not premultiplied.
    public var pixels: [UInt8]
    /// tEXt chunks (key → value), e.g. "Title", "Software", "Source".
    public var text: [String: String]

    public init(width: Int, height: Int, pixels: [UInt8], text: [String: String] = [:]) {
        precondition(pixels.count == width * height * 4)
        self.width = width
        self.height = height
        self.pixels = pixels
        self.text = text
    }

    /// The RGBA of pixel (x, y), origin top-left.
    public func pixel(x: Int, y: Int) -> (r: UInt8, g: UInt8, b: UInt8, a: UInt8) {
        let i = (y * width + x) * 4
        return (pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3])
    }

    /// Writes the PNG atomically (temporary file, then rename).
    public func write(to path: String) throws {
        let keys = text.keys.sorted()
        let values = keys.map { text[$0]! }
        try AtomicFile.write(to: path) { temporary in
            var error = [CChar](repeating: 0, count: 256)
            let status = withCStrings(keys) { k in
                withCStrings(values) { v in
                    ss_png_write_rgba(temporary, UInt32(width), UInt32(height), width * 4, pixels, k, v,
                                      Int32(keys.count), &error, error.count)
                }
            }
            guard status == 0 else { throw PNGError(path: path, reason: cString(error)) }
        }
    }

    /// Reads any PNG (converted to 8-bit RGBA) with its text chunks.
    public static func read(_ path: String) throws -> PNGImage {
        let header = try readHeader(path)
        var pixels = [UInt8](repeating: 0, count: header.width * header.height * 4)
        var w: UInt32 = 0, h: UInt32 = 0, depth: Int32 = 0, type: Int32 = 0
        var error = [CChar](repeating: 0, count: 256)
        let status = ss_png_read(path, &w, &h, &depth, &type, &pixels, pixels.count, nil, nil, &error, error.count)
        guard status == 0 else { throw PNGError(path: path, reason: cString(error)) }
        return PNGImage(width: Int(w), height: Int(h), pixels: pixels, text: header.text)
    }

    /// The header and text chunks only.
    public static func readHeader(_ path: String) throws -> (width: Int, height: Int, bitDepth: Int, colorType: Int, text: [String: String]) {
        final class Box { var text: [String: String] = [:] }
        let box = Box()
        var w: UInt32 = 0, h: UInt32 = 0, depth: Int32 = 0, type: Int32 = 0
        var error = [CChar](repeating: 0, count: 256)
        let status = withUnsafeMutablePointer(to: &box.text) { ptr in
            ss_png_read(path, &w, &h, &depth, &type, nil, 0, { context, key, value in
                let dict = context!.assumingMemoryBound(to: [String: String].self)
                dict.pointee[String(cString: key!)] = String(cString: value!)
            }, ptr, &error, error.count)
        }
        guard status == 0 else { throw PNGError(path: path, reason: cString(error)) }
        return (Int(w), Int(h), Int(depth), Int(type), box.text)
    }
}

/// Calls `body` with a C array of C strings valid for its duration.
func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) throws -> R) rethrows -> R {
    let duplicated = strings.map { strdup($0) }
    defer { duplicated.forEach { free($0) } }
    return try body(duplicated.map { UnsafePointer($0) })
}

/// A NUL-terminated C buffer as a Swift string.
func cString(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

import CCrypto
import Foundation
import Synchronization

/// A content key of everything that shapes a simulation's responses: SHA-256 (OpenSSL's libcrypto)
/// over the Soundstage version, the resolved scene — every surface's polygon and material, objects,
/// speakers, listener, air and simulation settings, as Swift's `dump` writes them (every stored
/// property, doubles in their exact shortest form), so a field added to `Scene` later enters the
/// key without anyone remembering to add it — the resolved run (sample rate, duration, order, rays,
/// receiver radius), the SHA-256 of the HRTF file's bytes and the running build's identity (`buildDigest`). Not in it: the room's name and file path, the
/// thread count and the listing order — none of them changes a sample.
public struct ResultKey: Hashable, Sendable, CustomStringConvertible {
    /// 64 lowercase hexadecimal digits.
    public let hex: String
    public var description: String { hex }

    public init(hex: String) { self.hex = hex }

    /// The key of `scene` simulated with `plan`; `hrtfDigest` is the SOFA file's SHA-256 (nil for an
    /// omni-only run, which no HRTF shapes).
    public init(scene: Scene, plan: ResolvedSimulation, hrtfDigest: String?) {
        var canonical = scene
        canonical.name = ""
        canonical.sourcePath = nil
        var text = "soundstage \(SoundstageVersion.string)\n"
        dump(canonical, to: &text)
        text += String(format: "rate %d duration %.17g order %d walls %d wall order %d rays %d radius %.17g bin %.17g early %.17g\n",
                       plan.sampleRate, plan.durationSeconds, plan.maxOrder, plan.shellEveryOrder ? 1 : 0, plan.shellOrder, plan.rays, plan.receiverRadius,
                       plan.binSeconds, plan.keepEarlySeconds)
        text += "ray passes \(plan.rayPasses)\n"
        text += "build \(ResultKey.buildDigest)\n"
        text += hrtfDigest.map { "hrtf sha256 \($0)\n" } ?? "omni only\n"
        hex = ResultKey.sha256(Data(text.utf8))
    }

    /// The identity of the running build (the library is linked into it): a result cached by one
    /// build of the code is never served to another, whose physics may differ at the same version
    /// number. The executable's GNU build ID — the linker's hash of everything it wrote (`ld
    /// --build-id`, stored in the ELF note NT_GNU_BUILD_ID) — read from memory, else the SHA-256 of
    /// the executable's bytes; empty when neither can be had.
    public static let buildDigest: String = gnuBuildID().map { "gnu-build-id \($0)" } ?? (try? sha256(file: "/proc/self/exe")) ?? ""

    /// The running executable's GNU build ID as hexadecimal digits, or nil without one. Read from
    /// the program headers the kernel hands every process (auxiliary vector AT_PHDR, AT_PHNUM; the
    /// ELF-64 layouts of the System V gABI, "Program Header" and "Note Section"): the PT_NOTE
    /// segments are mapped with the program, so no file is read.
    static func gnuBuildID() -> String? {
        #if os(Linux)
        let (atPhdr, atPhnum): (UInt, UInt) = (3, 5)
        let (ptNote, ptPhdr): (UInt32, UInt32) = (4, 6)
        let ntGNUBuildID: UInt32 = 3, headerSize = 56
        // glibc's getauxval(3), which Swift's Glibc module does not export.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "getauxval") else { return nil }
        let getauxval = unsafeBitCast(symbol, to: (@convention(c) (UInt) -> UInt).self)
        let address = getauxval(atPhdr), count = Int(getauxval(atPhnum))
        guard address != 0, count > 0, let headers = UnsafeRawPointer(bitPattern: address) else { return nil }
        func header(_ i: Int) -> (type: UInt32, vaddr: UInt, size: Int, align: Int) {
            let h = headers + i * headerSize
            return (h.loadUnaligned(as: UInt32.self), UInt(h.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
                    Int(h.loadUnaligned(fromByteOffset: 32, as: UInt64.self)), Int(h.loadUnaligned(fromByteOffset: 48, as: UInt64.self)))
        }
        // Where the program was loaded: the headers' address less the address PT_PHDR gives them.
        guard let self_ = (0..<count).map(header).first(where: { $0.type == ptPhdr }) else { return nil }
        let bias = address &- self_.vaddr
        for segment in (0..<count).map(header) where segment.type == ptNote {
            guard let start = UnsafeRawPointer(bitPattern: bias &+ segment.vaddr) else { continue }
            let align = segment.align == 8 ? 8 : 4
            func padded(_ n: Int) -> Int { (n + align - 1) / align * align }
            var offset = 0
            while offset + 12 <= segment.size {
                let note = start + offset
                let nameSize = Int(note.loadUnaligned(as: UInt32.self)), descSize = Int(note.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
                let type = note.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
                let name = note + 12, desc = name + padded(nameSize)
                guard offset + 12 + padded(nameSize) + descSize <= segment.size else { break }
                if type == ntGNUBuildID, nameSize == 4, memcmp(name, "GNU", 4) == 0, descSize > 0 {
                    return UnsafeRawBufferPointer(start: desc, count: descSize).map { String(format: "%02x", $0) }.joined()
                }
                offset += 12 + padded(nameSize) + padded(descSize)
            }
        }
        #endif
        return nil
    }

    /// SHA-256 of `data` as 64 hexadecimal digits (FIPS 180-4, through libcrypto's EVP interface).
    public static func sha256(_ data: Data) -> String {
        var digest = Digest()
        data.withUnsafeBytes { digest.update($0) }
        return digest.finish()
    }

    /// SHA-256 of a file's bytes, read 1 MiB at a time (HRTF sets can be large).
    public static func sha256(file path: String) throws -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw FileError(path: path, errno: errno) }
        defer { close(fd) }
        var digest = Digest()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            guard n >= 0 else { throw FileError(path: path, errno: errno) }
            if n == 0 { break }
            digest.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        return digest.finish()
    }

    /// libcrypto's incremental SHA-256.
    struct Digest: ~Copyable {
        let context: OpaquePointer
        init() {
            context = EVP_MD_CTX_new()
            precondition(EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1, "libcrypto's SHA-256 failed")
        }
        mutating func update(_ bytes: UnsafeRawBufferPointer) {
            precondition(EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) == 1, "libcrypto's SHA-256 failed")
        }
        consuming func finish() -> String {
            var digest = [UInt8](repeating: 0, count: 32)
            var length: UInt32 = 0
            precondition(EVP_DigestFinal_ex(context, &digest, &length) == 1 && length == 32, "libcrypto's SHA-256 failed")
            return digest.map { String(format: "%02x", $0) }.joined()
        }
        deinit { EVP_MD_CTX_free(context) }
    }
}

/// A `ResultKey` computed on first use and then kept (the scene's `dump` is the costly part).
final class LazyResultKey: Sendable {
    private let make: @Sendable () -> ResultKey
    private let stored = Mutex<ResultKey?>(nil)

    init(_ make: @escaping @Sendable () -> ResultKey) { self.make = make }
    convenience init(_ key: ResultKey) { self.init { key } }

    var value: ResultKey {
        stored.withLock { key in
            if let key { return key }
            let made = make()
            key = made
            return made
        }
    }
}

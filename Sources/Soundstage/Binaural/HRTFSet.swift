import CMySofa
import Foundation

public struct HRTFError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}

/// A pair of head-related impulse responses for one direction.
public struct HRIRPair: Sendable {
    public var left: [Float]
    public var right: [Float]
    /// Extra delays in seconds from the SOFA file's Data.Delay (zero for sets whose ITD lives in the HRIRs).
    public var leftDelaySeconds: Double
    public var rightDelaySeconds: Double
}

/// An HRTF set from any AES69 SOFA file (SimpleFreeFieldHRIR), through libmysofa, resampled to the
/// simulation rate and loudness-normalized by `mysofa_open`.
///
/// Thread-safe lookups: libmysofa's `mysofa_getfilter_float` writes interpolation scratch into the
/// shared handle, so this type calls the read-only `mysofa_lookup`, `mysofa_neighborhood` and
/// `mysofa_interpolate` with a scratch buffer per call instead.
public final class HRTFSet: @unchecked Sendable {
    /// Where libmysofa installs the MIT KEMAR (normal pinna) set.
    public static let defaultPath = "/usr/share/libmysofa/default.sofa"

    public let path: String
    public let sampleRate: Double
    /// Taps per HRIR at `sampleRate`.
    public let filterLength: Int
    private let easy: UnsafeMutablePointer<MYSOFA_EASY>
    var easyHandle: UnsafeMutablePointer<MYSOFA_EASY> { easy }

    public init(path: String = HRTFSet.defaultPath, sampleRate: Double) throws {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw HRTFError(path: path, reason: "no such SOFA file")
        }
        var length: Int32 = 0
        var err: Int32 = 0
        guard let handle = mysofa_open(path, Float(sampleRate), &length, &err), err == MYSOFA_OK else {
            throw HRTFError(path: path, reason: "not a usable AES69 SimpleFreeFieldHRIR SOFA file (libmysofa error \(err))")
        }
        guard length > 0, handle.pointee.lookup != nil, handle.pointee.neighborhood != nil else {
            mysofa_close(handle)
            throw HRTFError(path: path, reason: "the SOFA file holds no usable HRIRs")
        }
        self.path = path
        self.sampleRate = sampleRate
        self.filterLength = Int(length)
        self.easy = handle
        self.isMirrorSymmetric = HRTFSet.measuredMirrorSymmetry(handle)
    }

    /// Whether the measured set is left–right symmetric: for every measured direction the right-ear
    /// HRIR equals the left-ear HRIR of the mirrored direction (to 0.1 %), as in the MIT KEMAR
    /// "normal pinna" set. libmysofa's interpolation between measured directions is not itself
    /// mirror-symmetric (its neighbourhoods differ by up to 7 % in places), so for such sets the
    /// right ear is taken as the left ear of the mirrored direction: mirrored rooms then give
    /// exactly swapped ears.
    public let isMirrorSymmetric: Bool

    static func measuredMirrorSymmetry(_ easy: UnsafeMutablePointer<MYSOFA_EASY>) -> Bool {
        let hrtf = easy.pointee.hrtf!
        let m = Int(hrtf.pointee.M), c = Int(hrtf.pointee.C), r = Int(hrtf.pointee.R), n = Int(hrtf.pointee.N)
        guard r == 2, let pos = hrtf.pointee.SourcePosition.values, let ir = hrtf.pointee.DataIR.values else { return false }
        struct Key: Hashable { let x: Int, y: Int, z: Int }
        func key(_ i: Int, mirror: Bool) -> Key {
            let x = pos[i * c], y = pos[i * c + 1], z = pos[i * c + 2]
            let l = max(1e-9, (x * x + y * y + z * z).squareRoot())
            return Key(x: Int((x / l * 1000).rounded()), y: Int(((mirror ? -y : y) / l * 1000).rounded()), z: Int((z / l * 1000).rounded()))
        }
        var index: [Key: Int] = [:]
        for i in 0..<m { index[key(i, mirror: false)] = i }
        var pairs = 0
        for i in 0..<m {
            guard let j = index[key(i, mirror: true)] else { continue }
            var d = 0.0, e = 0.0
            for k in 0..<n {
                let a = Double(ir[(i * 2) * n + k]), b = Double(ir[(j * 2 + 1) * n + k])
                d += (a - b) * (a - b); e += a * a
            }
            if e > 0, d / e > 1e-6 { return false }
            pairs += 1
        }
        return pairs >= m / 2
    }

    deinit { mysofa_close(easy) }

    /// Number of measured directions in the set.
    public var measurementCount: Int { Int(easy.pointee.hrtf.pointee.M) }

    /// HRIRs for a direction in the head frame (SOFA: azimuth 0 ahead, +90 left; elevation +90 up),
    /// interpolated between the nearest measured directions.
    public func hrir(azimuthDegrees az: Double, elevationDegrees el: Double) -> HRIRPair {
        if isMirrorSymmetric {
            let left = interpolated(azimuthDegrees: az, elevationDegrees: el)
            let mirrored = interpolated(azimuthDegrees: -az, elevationDegrees: el)
            return HRIRPair(left: left.left, right: mirrored.left, leftDelaySeconds: left.leftDelaySeconds, rightDelaySeconds: mirrored.leftDelaySeconds)
        }
        return interpolated(azimuthDegrees: az, elevationDegrees: el)
    }

    /// libmysofa's interpolation between the nearest measured directions.
    func interpolated(azimuthDegrees az: Double, elevationDegrees el: Double) -> HRIRPair {
        let a = radians(az), e = radians(el)
        var c: [Float] = [Float(cos(e) * cos(a)), Float(cos(e) * sin(a)), Float(sin(e))]
        let n = filterLength
        var fir = [Float](repeating: 0, count: 2 * n)
        var delays: [Float] = [0, 0]
        let hrtf = easy.pointee.hrtf!
        let nearest = mysofa_lookup(easy.pointee.lookup, &c)
        precondition(nearest >= 0, "mysofa_lookup failed")
        let neighbours = mysofa_neighborhood(easy.pointee.neighborhood, nearest)
        _ = mysofa_interpolate(hrtf, &c, nearest, neighbours, &fir, &delays)
        return HRIRPair(left: Array(fir[0..<n]), right: Array(fir[n..<(2 * n)]),
                        leftDelaySeconds: Double(delays[0]), rightDelaySeconds: Double(delays[1]))
    }
}

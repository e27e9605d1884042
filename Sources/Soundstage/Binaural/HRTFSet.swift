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
    }

    deinit { mysofa_close(easy) }

    /// Number of measured directions in the set.
    public var measurementCount: Int { Int(easy.pointee.hrtf.pointee.M) }

    /// HRIRs for a direction in the head frame (SOFA: azimuth 0 ahead, +90 left; elevation +90 up),
    /// interpolated between the nearest measured directions.
    public func hrir(azimuthDegrees az: Double, elevationDegrees el: Double) -> HRIRPair {
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

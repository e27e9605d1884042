import Foundation

/// Loudspeaker polar measurements read into `MeasuredDirectivity.Curve`s.
///
/// Text exports, one file per plane (horizontal or vertical), in either of the two layouts
/// measurement software writes:
/// - a table: a header line of angles (after an optional frequency label), then rows of a frequency
///   and one level (dB) per angle — REW/ARTA-style polar tables, comma-, semicolon-, tab- or
///   space-separated;
/// - column pairs: a header line of curve names ("On Axis", "10°", "-10°", …) each over two columns,
///   then rows of (frequency, level) per curve — the layout of Klippel NFS exports ("SPL
///   Horizontal.txt", "SPL Vertical.txt"), tab-separated, with thousands separators.
/// Angles may carry "°" or "deg"; "On Axis" is 0°. Positive vertical angles are above the axis.
/// Lines before the header (a title, units) and lines starting with #, ; or * are skipped.
public enum PolarFile {
    public enum Plane: String, Sendable { case horizontal, vertical }

    /// The curves of a text export of `plane`; errors name the line.
    public static func curves(text: String, plane: Plane) throws -> [MeasuredDirectivity.Curve] {
        var header: [Double?]? = nil
        var rows: [[Double]] = []
        var tabbed = false
        for (lineIndex, raw) in text.components(separatedBy: .newlines).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") || line.hasPrefix("*") { continue }
            let tabs = line.contains("\t")
            let tokens = split(line, tabbed: tabs)
            let values = tokens.compactMap { number(in: $0, tabbed: tabs) }
            if !tokens.isEmpty && values.count == tokens.count {
                guard header != nil else { throw PolarFileError(line: lineIndex + 1, reason: "a row of numbers before any header of angles") }
                guard values.allSatisfy(\.isFinite) else { throw PolarFileError(line: lineIndex + 1, reason: "a value is not a finite number") }
                rows.append(values)
                tabbed = tabbed || tabs
                continue
            }
            guard rows.isEmpty else { throw PolarFileError(line: lineIndex + 1, reason: "text among the rows of numbers") }
            let labels = tokens.map(angle)
            if labels.compactMap({ $0 }).count >= 2 { header = labels }
        }
        guard let header else { throw PolarFileError(line: 0, reason: "no header line with at least two angles (e.g. \"Hz 0 10 20 …\" or \"On Axis  10°  …\")") }
        let angles = header.compactMap { $0 }
        guard rows.count >= 2 else { throw PolarFileError(line: 0, reason: "fewer than two rows of levels") }
        if let bad = angles.first(where: { abs($0) > 180 }) { throw PolarFileError(line: 0, reason: "angle \(bad)° is beyond ±180°") }
        return try assemble(angles: angles, rows: rows, plane: plane)
    }

    private static func assemble(angles: [Double], rows: [[Double]], plane: Plane) throws -> [MeasuredDirectivity.Curve] {
        let n = angles.count
        var curves = angles.map { a in
            MeasuredDirectivity.Curve(offAxisDegrees: abs(a), rollDegrees: plane == .horizontal ? 0 : (a >= 0 ? 90 : -90), hertz: [], levelDB: [])
        }
        for (i, row) in rows.enumerated() {
            if row.count == 2 * n {
                for c in 0..<n { curves[c].hertz.append(row[2 * c]); curves[c].levelDB.append(row[2 * c + 1]) }
            } else if row.count == n + 1 {
                for c in 0..<n { curves[c].hertz.append(row[0]); curves[c].levelDB.append(row[c + 1]) }
            } else {
                throw PolarFileError(line: 0, reason: "row \(i + 1) of levels has \(row.count) values; \(n) angles need \(n + 1) (frequency, level per angle) or \(2 * n) (a frequency and level per angle)")
            }
        }
        for c in curves.indices {
            let pairs = zip(curves[c].hertz, curves[c].levelDB).sorted { $0.0 < $1.0 }
            guard pairs.allSatisfy({ $0.0 > 0 && abs($0.1) <= 250 }) else {
                throw PolarFileError(line: 0, reason: "the \(angles[c])° curve has a frequency ≤ 0 Hz or a level beyond ±250 dB")
            }
            curves[c].hertz = pairs.map(\.0)
            curves[c].levelDB = pairs.map(\.1)
        }
        return curves
    }

    private static func split(_ line: String, tabbed: Bool) -> [String] {
        let cleaned = line.replacingOccurrences(of: "\"", with: "")
        if tabbed { return cleaned.components(separatedBy: "\t").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        let separators = cleaned.contains(",") || cleaned.contains(";") ? CharacterSet(charactersIn: ",;") : .whitespaces
        return cleaned.components(separatedBy: separators).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// A number; in tab-separated files a comma is a thousands separator ("1,250.0").
    private static func number(in token: String, tabbed: Bool) -> Double? {
        Double(tabbed ? token.replacingOccurrences(of: ",", with: "") : token)
    }

    /// An angle label: "On Axis" → 0, "10°", "-10 deg", "10" → the number.
    static func angle(_ label: String) -> Double? {
        let l = label.lowercased()
        if l.replacingOccurrences(of: "-", with: " ") == "on axis" { return 0 }
        let stripped = l.replacingOccurrences(of: "°", with: "").replacingOccurrences(of: "deg", with: "").trimmingCharacters(in: .whitespaces)
        return Double(stripped)
    }

    /// The curves of an AES69 FreeFieldDirectivityTF file (measurement 0): each receiver's direction
    /// about the source's view and up vectors, its level 20·log10|Re + j·Im| at the N frequencies.
    public static func curves(sofa path: String) throws -> [MeasuredDirectivity.Curve] {
        let file = try NetCDFFile(path: path, mode: .read)
        let convention = try file.text("SOFAConventions") ?? ""
        guard ["FreeFieldDirectivityTF", "SimpleFreeFieldDirectivityTF", "MusicalInstrumentDirectivityTF"].contains(convention) else {
            throw FileError(path: path, reason: "SOFA convention \(convention.isEmpty ? "(none)" : convention), not FreeFieldDirectivityTF")
        }
        let hertz = try file.readDoubles("N")
        let real = try file.readDoubles("Data.Real"), imag = try file.readDoubles("Data.Imag")
        let r = try file.dimension("R"), n = hertz.count
        guard real.count >= r * n, imag.count == real.count else { throw FileError(path: path, reason: "Data.Real/Data.Imag are not [M R N]") }
        let positions = try file.readDoubles("ReceiverPosition")
        let spherical = (try file.text("Type", variable: "ReceiverPosition") ?? "spherical").lowercased().hasPrefix("spherical")
        let receiverDims = try file.dimensions(of: "ReceiverPosition")
        func vector(_ name: String, _ fallback: Vec3) throws -> Vec3 {
            guard (try? file.dimensions(of: name)) != nil else { return fallback }
            let v = try file.readDoubles(name)
            return v.count >= 3 ? Vec3(v[0], v[1], v[2]) : fallback
        }
        let view = try vector("SourceView", Vec3(1, 0, 0)).normalized, up = try vector("SourceUp", Vec3(0, 0, 1)).normalized
        let left = up.cross(view)
        var curves: [MeasuredDirectivity.Curve] = []
        for i in 0..<r {
            // [R C], [R C I] or [R C M]: receiver i's first coordinates.
            let stride = receiverDims.count == 3 ? 3 * (try file.dimension(receiverDims[2])) : 3
            let columns = receiverDims.count == 3 ? try file.dimension(receiverDims[2]) : 1
            let p = (0..<3).map { positions[i * stride + $0 * columns] }
            let d: Vec3 = spherical ? Vec3(cos(radians(p[1])) * cos(radians(p[0])), cos(radians(p[1])) * sin(radians(p[0])), sin(radians(p[1])))
                                    : Vec3(p[0], p[1], p[2]).normalized
            let x = d.dot(view), y = d.dot(left), z = d.dot(up)
            let theta = degrees(acos(max(-1, min(1, x))))
            let roll = y * y + z * z < 1e-18 ? 0 : degrees(atan2(z, y))
            let levels = (0..<n).map { k -> Double in
                let re = real[i * n + k], im = imag[i * n + k]
                return 10 * log10(max(re * re + im * im, 1e-30))
            }
            guard levels.allSatisfy(\.isFinite), hertz.allSatisfy({ $0.isFinite }) else { throw FileError(path: path, reason: "receiver \(i) holds a value that is not a number") }
            let pairs = zip(hertz, levels).filter { $0.0 > 0 }.sorted { $0.0 < $1.0 }
            curves.append(MeasuredDirectivity.Curve(offAxisDegrees: theta, rollDegrees: roll, hertz: pairs.map(\.0), levelDB: pairs.map(\.1)))
        }
        return curves
    }
}

public struct PolarFileError: Error, CustomStringConvertible {
    public let line: Int
    public let reason: String
    public var description: String { line > 0 ? "line \(line): \(reason)" : reason }
}

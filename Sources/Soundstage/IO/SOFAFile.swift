import Foundation

/// A room's BRIRs for many head orientations, laid out as AES69's MultiSpeakerBRIR convention
/// (version 0.3): one measurement per head orientation (M), the two ears as receivers (R), one
/// emitter per speaker (E), N samples. Coordinates are the room's (SPEC §1: x to the right, y toward
/// the front wall, z up, metres): the source is the room's origin with the speakers as its emitters
/// at their room positions, the listener at the ear-axis centre, each measurement's head orientation
/// as `ListenerView`/`ListenerUp`, the ears ±a on the ear axis in the listener's frame.
public struct MultiSpeakerBRIRSet: Sendable {
    public var roomName: String
    public var sampleRate: Int
    public var orientations: [HeadOrientation]
    /// The head's forward and up vectors per orientation, room coordinates.
    public var listenerViews: [Vec3]
    public var listenerUps: [Vec3]
    public var listenerPosition: Vec3
    /// Half the distance between the ears (the HRTF set's head radius).
    public var headRadius: Double
    public var emitterNames: [String]
    public var emitterPositions: [Vec3]
    /// `[speaker][orientation]`, two channels each (left, right), all of one length.
    public var responses: [[AudioBuffer]]
    /// Free text for GLOBAL:Comment (the command that made it, the HRTF set).
    public var comment: String
    /// A shoebox's opposite corners (room coordinates), nil for other shapes; the room's volume.
    public var shoeboxCorners: (Vec3, Vec3)?
    public var volume: Double
    /// The room file it was simulated from (GLOBAL:RoomGeometry of a room that is not a shoebox).
    public var roomFile: String?

    public init(scene: Scene, sampleRate: Int, orientations: [HeadOrientation], headRadius: Double, responses: [[AudioBuffer]], comment: String) {
        roomName = scene.name
        self.sampleRate = sampleRate
        self.orientations = orientations
        listenerViews = orientations.map { $0.orientation(of: scene.listener).forward }
        listenerUps = orientations.map { $0.orientation(of: scene.listener).up }
        listenerPosition = scene.listener.position
        self.headRadius = headRadius
        emitterNames = scene.speakers.map(\.name)
        emitterPositions = scene.speakers.map(\.position)
        self.responses = responses
        self.comment = comment
        if case .shoebox(let w, let l, let h) = scene.shape { shoeboxCorners = (Vec3(0, 0, 0), Vec3(w, l, h)) }
        volume = scene.volume
        roomFile = scene.sourcePath
    }

    public var frames: Int { responses.first?.first?.frameCount ?? 0 }
}

/// The AES69 conventions a head-tracked BRIR set is written in.
public enum SOFAConvention: String, Sendable, CaseIterable {
    /// MultiSpeakerBRIR 0.3 (AES69-2020, SOFA 2.0): Data.IR [M R E N]; what existing BRIR sets and
    /// their readers use.
    case multiSpeakerBRIR = "MultiSpeakerBRIR"
    /// SingleRoomMIMOSRIR 1.0 (AES69-2022, SOFA 2.1), MultiSpeakerBRIR's successor: Data.IR
    /// [M R N E], the room's type (and a shoebox's corners) and volume.
    case singleRoomMIMOSRIR = "SingleRoomMIMOSRIR"
}

/// Writing and reading AES69 (SOFA) files through libnetcdf (`NetCDFFile`).
public enum SOFAFile {
    /// Writes `set` to `path` in `convention` atomically (a temporary sibling renamed into place):
    /// dimensions I = 1, C = 3, M orientations, R = 2 ears, E speakers, N samples; Data.IR in double
    /// precision (8·M·2·E·N bytes), every mandatory attribute and variable of the convention.
    public static func write(_ set: MultiSpeakerBRIRSet, convention: SOFAConvention = .multiSpeakerBRIR, to path: String) throws {
        let m = set.orientations.count, e = set.responses.count, n = set.frames
        precondition(m > 0 && e > 0 && set.responses.allSatisfy { $0.count == m && $0.allSatisfy { $0.channels.count == 2 && $0.frameCount == n } })
        let mimo = convention == .singleRoomMIMOSRIR
        try AtomicFile.write(to: path) { temporary in
            let file = try NetCDFFile(path: temporary, mode: .create)
            let now = dateFormatter.string(from: Date())
            var globals: [(String, String)] = [
                ("Conventions", "SOFA"), ("Version", mimo ? "2.1" : "2.0"), ("SOFAConventions", convention.rawValue),
                ("SOFAConventionsVersion", mimo ? "1.0" : "0.3"),
                ("APIName", "Soundstage (libnetcdf)"), ("APIVersion", SoundstageVersion.string),
                ("AuthorContact", "n/a (simulated)"), ("Comment", set.comment), ("DataType", mimo ? "FIR-E" : "FIRE"),
                ("License", "No license provided, ask the author for permission"), ("Organization", "n/a (simulated)"),
                ("RoomType", mimo ? (set.shoeboxCorners == nil ? "dae" : "shoebox") : "reverberant"), ("DateCreated", now), ("DateModified", now),
                ("Title", "\(set.roomName): simulated BRIRs for \(m) head orientations"), ("DatabaseName", "Soundstage"),
                ("ListenerShortName", "simulated listener"), ("ApplicationName", "soundstage export --format sofa"),
                ("ApplicationVersion", SoundstageVersion.string), ("RoomDescription", set.roomName),
                ("EmitterDescription", set.emitterNames.joined(separator: ", ")),
            ]
            if mimo {
                globals.append(("RoomShortName", set.roomName))
                // RoomType "dae" asks a geometry file: not a COLLADA model here, the room file the geometry came from.
                if set.shoeboxCorners == nil {
                    globals.append(("RoomGeometry", "\(set.roomFile.map { ($0 as NSString).lastPathComponent } ?? set.roomName) (a Soundstage room file, not COLLADA)"))
                }
            }
            for (name, value) in globals { try file.setText(name, value) }
            for (name, length) in [("I", 1), ("C", 3), ("M", m), ("R", 2), ("E", e), ("N", n)] { try file.defineDimension(name, length: length) }
            func xyz(_ v: Vec3) -> [Double] { [v.x, v.y, v.z] }
            // SingleRoomMIMOSRIR asks the listener and source positions per measurement.
            let perMeasurement = mimo ? "M" : "I", copies = mimo ? m : 1
            try file.writeDoubles("ListenerPosition", dimensions: [perMeasurement, "C"], Array(repeating: xyz(set.listenerPosition), count: copies).flatMap { $0 })
            try file.writeDoubles("ListenerView", dimensions: ["M", "C"], set.listenerViews.flatMap(xyz))
            try file.writeDoubles("ListenerUp", dimensions: ["M", "C"], set.listenerUps.flatMap(xyz))
            // Ears on the listener's own y axis (its left), as SOFA places receivers in the listener's frame.
            try file.writeDoubles("ReceiverPosition", dimensions: ["R", "C", "I"], [0, set.headRadius, 0, 0, -set.headRadius, 0])
            try file.writeDoubles("SourcePosition", dimensions: [perMeasurement, "C"], [Double](repeating: 0, count: 3 * copies))
            try file.writeDoubles("EmitterPosition", dimensions: ["E", "C", "I"], set.emitterPositions.flatMap(xyz))
            if mimo { // the source (the room's frame) looks along x, its up is z
                try file.writeDoubles("SourceView", dimensions: ["I", "C"], [1, 0, 0])
                try file.writeDoubles("SourceUp", dimensions: ["I", "C"], [0, 0, 1])
            }
            var ir = [Double](repeating: 0, count: m * 2 * e * n)
            for s in 0..<e {
                for o in 0..<m {
                    for r in 0..<2 {
                        let channel = set.responses[s][o].channels[r]
                        if mimo {
                            let base = (o * 2 + r) * n * e + s // [M R N E]
                            for i in 0..<n { ir[base + i * e] = Double(channel[i]) }
                        } else {
                            let base = ((o * 2 + r) * e + s) * n // [M R E N]
                            for i in 0..<n { ir[base + i] = Double(channel[i]) }
                        }
                    }
                }
            }
            try file.writeDoubles("Data.IR", dimensions: mimo ? ["M", "R", "N", "E"] : ["M", "R", "E", "N"], ir)
            try file.writeDoubles("Data.SamplingRate", dimensions: ["I"], [Double(set.sampleRate)])
            if mimo {
                try file.writeDoubles("Data.Delay", dimensions: ["M", "R", "E"], [Double](repeating: 0, count: m * 2 * e))
                try file.writeDoubles("RoomVolume", dimensions: ["I"], [set.volume])
                if let (a, b) = set.shoeboxCorners {
                    try file.writeDoubles("RoomCornerA", dimensions: ["I", "C"], xyz(a))
                    try file.writeDoubles("RoomCornerB", dimensions: ["I", "C"], xyz(b))
                    try file.writeDoubles("RoomCorners", dimensions: ["I"], [0])
                }
            } else {
                try file.writeDoubles("Data.Delay", dimensions: ["I", "R", "E"], [Double](repeating: 0, count: 2 * e))
            }
            var units: [(String, String, String)] = [
                ("ListenerPosition", "Type", "cartesian"), ("ListenerPosition", "Units", "metre"),
                ("ListenerView", "Type", "cartesian"), ("ListenerView", "Units", "metre"),
                ("ReceiverPosition", "Type", "cartesian"), ("ReceiverPosition", "Units", "metre"),
                ("SourcePosition", "Type", "cartesian"), ("SourcePosition", "Units", "metre"),
                ("EmitterPosition", "Type", "cartesian"), ("EmitterPosition", "Units", "metre"),
                ("Data.SamplingRate", "Units", "hertz"),
            ]
            if mimo {
                units += [("RoomVolume", "Units", "cubic metre"), ("SourceView", "Type", "cartesian"), ("SourceView", "Units", "metre")]
                if set.shoeboxCorners != nil { units += [("RoomCorners", "Type", "cartesian"), ("RoomCorners", "Units", "metre")] }
            }
            for (variable, name, value) in units { try file.setText(name, value, variable: variable) }
            try file.close()
        }
    }

    /// What `readMultiSpeakerBRIR` finds in a file.
    public struct Contents: Sendable {
        public var globals: [String: String]
        public var sampleRate: Double
        /// Dimension lengths by name (M, R, E, N, C, I).
        public var dimensions: [String: Int]
        /// Data.IR as [M R E N] row-major (a [M R N E] file's reordered).
        public var ir: [Double]
        public var listenerViews: [Vec3]
        public var emitterPositions: [Vec3]
        public var receiverPositions: [Vec3]

        /// Receiver `r`'s response to emitter `e` at measurement `m`.
        public func response(measurement m: Int, receiver r: Int, emitter e: Int) -> [Double] {
            let n = dimensions["N"]!, base = ((m * dimensions["R"]! + r) * dimensions["E"]! + e) * n
            return Array(ir[base..<(base + n)])
        }
    }

    /// Reads a MultiSpeakerBRIR or SingleRoomMIMOSRIR file's data and attributes; `ir` is always
    /// [M R E N].
    public static func readMultiSpeakerBRIR(path: String) throws -> Contents {
        let file = try NetCDFFile(path: path, mode: .read)
        var globals: [String: String] = [:]
        for name in try file.globalAttributeNames() { globals[name] = try file.text(name) }
        let layout = try file.dimensions(of: "Data.IR")
        guard layout == ["M", "R", "E", "N"] || layout == ["M", "R", "N", "E"] else {
            throw FileError(path: path, reason: "Data.IR is dimensioned \(layout), not [M R E N] or [M R N E] (not a MultiSpeakerBRIR or SingleRoomMIMOSRIR file)")
        }
        var dims: [String: Int] = [:]
        for name in ["M", "R", "E", "N", "C", "I"] { dims[name] = try file.dimension(name) }
        func vectors(_ name: String) throws -> [Vec3] {
            let v = try file.readDoubles(name)
            return stride(from: 0, to: v.count - 2, by: 3).map { Vec3(v[$0], v[$0 + 1], v[$0 + 2]) }
        }
        var ir = try file.readDoubles("Data.IR")
        if layout.last == "E" { // [M R N E] → [M R E N]
            let (mr, n, e) = (dims["M"]! * dims["R"]!, dims["N"]!, dims["E"]!)
            var reordered = [Double](repeating: 0, count: ir.count)
            for a in 0..<mr { for i in 0..<n { for s in 0..<e { reordered[(a * e + s) * n + i] = ir[(a * n + i) * e + s] } } }
            ir = reordered
        }
        return Contents(globals: globals, sampleRate: try file.readDoubles("Data.SamplingRate")[0], dimensions: dims,
                        ir: ir, listenerViews: try vectors("ListenerView"),
                        emitterPositions: try vectors("EmitterPosition"), receiverPositions: try vectors("ReceiverPosition"))
    }
}

extension SOFAFile {
    /// AES69's date format, "yyyy-mm-dd hh:mm:ss" (UTC).
    static var dateFormatter: DateFormatter {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f
    }
}

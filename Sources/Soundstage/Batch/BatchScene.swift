import Foundation

/// One line of a batch's JSONL input turned into a scene: either a room object itself, or
/// `{"room": "file.json", "override": {…}}` — the room file (relative to the input's folder) with
/// `override` merged in (RFC 7396 merge patch). A scene whose room gives no `simulation.seed` gets
/// one derived from the batch seed and its line number, so its output depends on nothing else (not
/// the shard, the thread count or the lines around it).
struct BatchScene {
    let line: Int
    /// The room as simulated (override and seed applied).
    let room: JSONValue
    let scene: Scene
    let seed: UInt64

    /// `text` is the line; `label` names it in messages (`scenes.jsonl:12`).
    init(line: Int, text: Data, label: String, folder: URL, batchSeed: UInt64) throws {
        self.line = line
        let parsed = try JSONValue.parse(text, file: label)
        guard case .object(let top) = parsed else {
            throw SceneError.invalid(path: "(line)", reason: "expected a room object or {\"room\": \"file.json\", \"override\": {…}}, found \(parsed.typeName)")
        }
        var room = parsed, roomFolder = folder
        if case .string(let file)? = top["room"] {
            if let extra = top.keys.first(where: { !["room", "override"].contains($0) }) {
                throw SceneError.invalid(path: extra, reason: "unknown key beside \"room\": \"file.json\" (expected only \"override\")")
            }
            let url = file.hasPrefix("/") ? URL(fileURLWithPath: file) : folder.appendingPathComponent(file)
            let base = try JSONValue.parse(RoomFile.read(url, label: file), file: file)
            roomFolder = url.deletingLastPathComponent()
            if let patch = top["override"] {
                guard case .object = patch else { throw SceneError.invalid(path: "override", reason: "expected an object, found \(patch.typeName)") }
                room = base.merged(with: patch)
            } else {
                room = base
            }
        }
        if let given = room["simulation"]?["seed"] {
            // The scene's own (a wrong type or range is named by its validation below).
            if case .number(let n) = given, let s = UInt64(exactly: n) { seed = s } else { seed = 0 }
        } else {
            seed = BatchScene.seed(batch: batchSeed, line: line)
            room = room.merged(with: .object(["simulation": .object(["seed": .number(Double(seed))])]))
        }
        self.room = room
        scene = try RoomFile.decode(json: room, label: label, folder: roomFolder, defaultName: BatchScene.folderName(line: line))
    }

    /// A seed in the room file's range (< 2⁵³) from the batch seed and the line (SplitMix64).
    static func seed(batch: UInt64, line: Int) -> UInt64 {
        var g = SplitMix64Generator(seed: batch &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(line))
        return g.next() >> 11
    }

    /// The folder of line `line`'s outputs inside the batch folder.
    static func folderName(line: Int) -> String { String(format: "scene-%07d", line) }
}

import Foundation

/// Reading a room file from disk: the edge between files and the pure `SceneBuilder`.
public enum RoomFile {
    /// Largest room file or mesh accepted (bytes): protects against reading a wrong, huge file.
    public static let maximumSize = 64 << 20

    /// Loads and validates `path`. Relative mesh paths resolve against the room file's folder.
    public static func load(path: String) throws -> Scene {
        let url = URL(fileURLWithPath: path)
        return try decode(read(url, label: path), label: path, folder: url.deletingLastPathComponent(),
                          defaultName: url.deletingPathExtension().lastPathComponent)
    }

    /// Validates a room file's text that is not (or not yet) on disk — the studio's edited room —
    /// as if it were the file `label` in `folder`: relative mesh and HRTF paths resolve against `folder`.
    public static func decode(_ data: Data, label: String, folder: URL, defaultName: String) throws -> Scene {
        try decode(json: JSONValue.parse(data, file: label), label: label, folder: folder, defaultName: defaultName)
    }

    /// The same for a room already parsed (a batch's scene line, its override applied).
    static func decode(json: JSONValue, label: String, folder: URL, defaultName: String) throws -> Scene {
        let builder = SceneBuilder(json: json, defaultName: defaultName) { file in
            let meshURL = file.hasPrefix("/") ? URL(fileURLWithPath: file) : folder.appendingPathComponent(file)
            let data = try read(meshURL, label: file)
            guard let text = String(data: data, encoding: .utf8) ?? String(data: data, encoding: .isoLatin1) else {
                throw SceneError.unreadable(file: file, reason: "not a text file")
            }
            return text
        } resolvePath: { file in
            file.hasPrefix("/") ? file : folder.appendingPathComponent(file).path
        }
        var scene = try builder.build()
        scene.sourcePath = label
        if case .file(let sofa) = scene.listener.hrtf, !sofa.hasPrefix("/") {
            scene.listener.hrtf = .file(folder.appendingPathComponent(sofa).path)
        }
        return scene
    }

    /// Parses a room from JSON text (tests, fuzzing); meshes are looked up in `files`.
    public static func parse(_ text: String, name: String = "room", files: [String: String] = [:]) throws -> Scene {
        let json = try JSONValue.parse(Data(text.utf8), file: name)
        return try SceneBuilder(json: json, defaultName: name) { file in
            guard let t = files[file] else { throw SceneError.unreadable(file: file, reason: "no such file") }
            return t
        }.build()
    }

    static func read(_ url: URL, label: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw SceneError.unreadable(file: label, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw SceneError.unreadable(file: label, reason: "is a folder, not a file") }
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        guard size <= maximumSize else { throw SceneError.unreadable(file: label, reason: "larger than \(maximumSize >> 20) MiB") }
        do { return try Data(contentsOf: url) } catch {
            throw SceneError.unreadable(file: label, reason: "cannot be read (\(error.localizedDescription))")
        }
    }
}

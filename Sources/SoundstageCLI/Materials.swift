import ArgumentParser
import Foundation
import Soundstage

struct Materials: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the built-in materials with their octave-band absorption and sources.")

    @Argument(help: "Only materials whose name contains this text.")
    var filter: String?

    func run() throws {
        let bands = FrequencyBands.octaves
        print("name".padding(toLength: 24, withPad: " ", startingAt: 0) + bands.labels.map { $0.padding(toLength: 6, withPad: " ", startingAt: 0) }.joined() + "scat  source")
        for r in BuiltInMaterials.records where filter.map({ r.name.contains($0) }) ?? true {
            let m = BuiltInMaterials.materials[r.name]!
            print(r.name.padding(toLength: 24, withPad: " ", startingAt: 0)
                  + m.absorption.values.map { String(format: "%-6.2f", $0) }.joined()
                  + String(format: "%-6.2f", r.scattering) + r.source)
        }
        print("\nSources:")
        for (key, text) in BuiltInMaterials.sources.sorted(by: { $0.key < $1.key }) { print("  \(key): \(text)") }
    }
}

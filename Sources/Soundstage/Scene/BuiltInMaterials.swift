import Foundation

/// An entry of the built-in material library: published octave-band absorption and its source.
public struct MaterialRecord: Sendable {
    public let name: String
    public let description: String
    /// Random-incidence absorption at 125, 250, 500, 1k, 2k, 4k (and 8k when the table has it) Hz.
    public let absorption: [Double]
    /// Scattering coefficient (broadband estimate by surface type; see `BuiltInMaterials`).
    public let scattering: Double
    /// Where the absorption figures come from (a key of `BuiltInMaterials.sources`).
    public let source: String
}

/// The built-in material library.
///
/// Absorption coefficients are random-incidence values from published tables, each entry naming its
/// source. Tables measured by the reverberation-room method (ISO 354 / ASTM C423) can exceed 1 for
/// thick absorbers (an edge-diffraction artefact); since an energy absorption coefficient cannot
/// exceed 1 and SPEC §2 requires α < 1, such values are capped at 0.99. The 63 Hz band, which no
/// table below gives, holds the 125 Hz value (SPEC §2: nearest given band); tables without 8 kHz
/// hold their 4 kHz value.
///
/// Scattering coefficients are not tabulated for most of these materials; the values are typical
/// broadband estimates by surface type (smooth 0.05, rough masonry 0.10, panels and curtains
/// 0.10–0.30, furniture and seating 0.50), after the ranges in Vorländer (2008), §11.4 and
/// Cox & D'Antonio, *Acoustic Absorbers and Diffusers* (2nd ed., 2009), ch. 4. Override them in the
/// room file when a measured value is known.
public enum BuiltInMaterials {
    public static let sources: [String: String] = [
        "vorlaender2008": "M. Vorländer, Auralization (Springer, 2008), Appendix A, table of random-incidence absorption coefficients",
        "everest2009": "F. A. Everest & K. C. Pohlmann, Master Handbook of Acoustics, 5th ed. (McGraw-Hill, 2009), Table 3.4 'Sound absorption coefficients of general building materials and furnishings'",
        "owenscorning703": "Owens Corning 700 Series fibreglass board data sheet, ASTM C423, type A mounting (values ≥ 1 capped at 0.99)",
    ]

    // Columns: 125, 250, 500, 1k, 2k, 4k, (8k) Hz.
    public static let records: [MaterialRecord] = [
        // Massive constructions and hard surfaces
        .init(name: "hard-surface", description: "Hard surfaces, average (brick walls, plaster, hard floors)", absorption: [0.02, 0.02, 0.03, 0.03, 0.04, 0.05, 0.05], scattering: 0.05, source: "vorlaender2008"),
        .init(name: "concrete", description: "Smooth unpainted concrete", absorption: [0.01, 0.01, 0.02, 0.02, 0.02, 0.05, 0.05], scattering: 0.05, source: "vorlaender2008"),
        .init(name: "rough-concrete", description: "Rough concrete", absorption: [0.02, 0.03, 0.03, 0.03, 0.04, 0.07, 0.07], scattering: 0.10, source: "vorlaender2008"),
        .init(name: "concrete-floor", description: "Concrete floor", absorption: [0.01, 0.03, 0.05, 0.02, 0.02, 0.02, 0.02], scattering: 0.05, source: "vorlaender2008"),
        .init(name: "concrete-block-painted", description: "Dense concrete block, painted", absorption: [0.10, 0.05, 0.06, 0.07, 0.09, 0.08], scattering: 0.10, source: "everest2009"),
        .init(name: "brick", description: "Brick, unglazed", absorption: [0.03, 0.03, 0.03, 0.04, 0.05, 0.07], scattering: 0.10, source: "everest2009"),
        .init(name: "painted-brick", description: "Smooth brickwork with flush pointing, painted", absorption: [0.01, 0.01, 0.02, 0.02, 0.02, 0.02, 0.02], scattering: 0.05, source: "vorlaender2008"),
        .init(name: "rendered-brick", description: "Rendered brickwork walls", absorption: [0.01, 0.02, 0.02, 0.03, 0.03, 0.04, 0.04], scattering: 0.05, source: "vorlaender2008"),
        .init(name: "plaster", description: "Plaster, gypsum or lime, smooth finish on tile or brick", absorption: [0.013, 0.015, 0.02, 0.03, 0.04, 0.05], scattering: 0.05, source: "everest2009"),
        .init(name: "ceramic-tiles", description: "Ceramic tiles with a smooth surface", absorption: [0.01, 0.01, 0.01, 0.02, 0.02, 0.02, 0.02], scattering: 0.05, source: "vorlaender2008"),
        .init(name: "marble", description: "Marble floor", absorption: [0.01, 0.01, 0.01, 0.02, 0.02, 0.02, 0.02], scattering: 0.05, source: "vorlaender2008"),
        // Lightweight constructions and linings
        .init(name: "plasterboard", description: "2 × 13 mm plasterboard on steel frame, 50 mm mineral wool in cavity, painted", absorption: [0.15, 0.10, 0.06, 0.04, 0.04, 0.05, 0.05], scattering: 0.05, source: "vorlaender2008"),
        .init(name: "gypsum-board-on-studs", description: "12.7 mm gypsum board nailed to 2×4 studs, 406 mm centres", absorption: [0.29, 0.10, 0.05, 0.04, 0.07, 0.09], scattering: 0.05, source: "everest2009"),
        .init(name: "plasterboard-ceiling", description: "Plasterboard ceiling on battens with large air space above", absorption: [0.20, 0.15, 0.10, 0.08, 0.04, 0.02], scattering: 0.05, source: "vorlaender2008"),
        .init(name: "wood-lining", description: "Wooden lining, 12 mm, fixed on frame", absorption: [0.27, 0.23, 0.22, 0.15, 0.10, 0.07, 0.06], scattering: 0.10, source: "vorlaender2008"),
        .init(name: "plywood-panel", description: "Plywood panelling, 9.5 mm", absorption: [0.28, 0.22, 0.17, 0.09, 0.10, 0.11], scattering: 0.10, source: "everest2009"),
        .init(name: "wooden-door", description: "Solid wooden door", absorption: [0.14, 0.10, 0.06, 0.08, 0.10, 0.10, 0.10], scattering: 0.05, source: "vorlaender2008"),
        // Glazing
        .init(name: "glass", description: "Glass window, 0.68 kg/m²", absorption: [0.10, 0.05, 0.04, 0.03, 0.03, 0.03, 0.03], scattering: 0.05, source: "vorlaender2008"),
        .init(name: "window-glass", description: "Ordinary window glass (light single pane)", absorption: [0.35, 0.25, 0.18, 0.12, 0.07, 0.04], scattering: 0.05, source: "everest2009"),
        .init(name: "double-glazing", description: "Double glazing, 2–3 mm glass, > 30 mm gap", absorption: [0.15, 0.05, 0.03, 0.03, 0.02, 0.02, 0.02], scattering: 0.05, source: "vorlaender2008"),
        // Floors
        .init(name: "wood-floor", description: "Wood, 16 mm, on 40 mm studs", absorption: [0.18, 0.12, 0.10, 0.09, 0.08, 0.07, 0.07], scattering: 0.05, source: "vorlaender2008"),
        .init(name: "parquet", description: "Wood parquet in asphalt on concrete", absorption: [0.04, 0.04, 0.07, 0.06, 0.06, 0.07], scattering: 0.05, source: "everest2009"),
        .init(name: "stage-floor", description: "Wood stage floor, 2 layers, 27 mm over air space", absorption: [0.10, 0.07, 0.06, 0.06, 0.06, 0.06], scattering: 0.05, source: "vorlaender2008"),
        .init(name: "linoleum", description: "Linoleum, asphalt, rubber or cork tile on concrete", absorption: [0.02, 0.03, 0.03, 0.03, 0.03, 0.02], scattering: 0.05, source: "vorlaender2008"),
        .init(name: "carpet-thin", description: "Thin carpet, cemented to concrete", absorption: [0.02, 0.04, 0.08, 0.20, 0.35, 0.40], scattering: 0.10, source: "vorlaender2008"),
        .init(name: "carpet-on-concrete", description: "Heavy carpet on concrete", absorption: [0.02, 0.06, 0.14, 0.37, 0.60, 0.65], scattering: 0.10, source: "everest2009"),
        .init(name: "carpet-on-pad", description: "Heavy carpet on 40-oz hair felt or foam rubber pad", absorption: [0.08, 0.24, 0.57, 0.69, 0.71, 0.73], scattering: 0.10, source: "everest2009"),
        .init(name: "carpet-on-felt", description: "9 mm tufted pile carpet on felt underlay", absorption: [0.08, 0.08, 0.30, 0.60, 0.75, 0.80, 0.80], scattering: 0.10, source: "vorlaender2008"),
        // Curtains
        .init(name: "light-curtain", description: "Light velour, 340 g/m², hung straight in contact with wall", absorption: [0.03, 0.04, 0.11, 0.17, 0.24, 0.35], scattering: 0.10, source: "everest2009"),
        .init(name: "medium-curtain", description: "Medium velour, 475 g/m², draped to half area", absorption: [0.07, 0.31, 0.49, 0.75, 0.70, 0.60], scattering: 0.30, source: "everest2009"),
        .init(name: "heavy-curtain", description: "Heavy velour, 610 g/m², draped to half area", absorption: [0.14, 0.35, 0.55, 0.72, 0.70, 0.65], scattering: 0.30, source: "everest2009"),
        .init(name: "cotton-curtain", description: "Cotton curtains, 0.5 kg/m², draped to 3/4 area, ≈130 mm from wall", absorption: [0.30, 0.45, 0.65, 0.56, 0.59, 0.71, 0.71], scattering: 0.30, source: "vorlaender2008"),
        .init(name: "studio-curtain", description: "Studio curtains, 220 mm from wall", absorption: [0.36, 0.26, 0.51, 0.45, 0.62, 0.76], scattering: 0.30, source: "vorlaender2008"),
        // Furniture and people
        .init(name: "sofa", description: "Upholstered seating with cloth cover, empty (sofa, armchairs)", absorption: [0.44, 0.60, 0.77, 0.89, 0.82, 0.70, 0.70], scattering: 0.50, source: "vorlaender2008"),
        .init(name: "leather-sofa", description: "Upholstered seating with leather cover, empty", absorption: [0.40, 0.50, 0.58, 0.61, 0.58, 0.50, 0.50], scattering: 0.50, source: "vorlaender2008"),
        .init(name: "wooden-chairs", description: "Wooden chairs without cushion, 2 per m²", absorption: [0.05, 0.08, 0.10, 0.12, 0.12, 0.12], scattering: 0.50, source: "vorlaender2008"),
        .init(name: "audience", description: "Areas with audience, orchestra or choir including narrow aisles", absorption: [0.60, 0.74, 0.88, 0.96, 0.93, 0.85, 0.85], scattering: 0.60, source: "vorlaender2008"),
        // Absorbers
        .init(name: "panel-25mm", description: "Fibreglass board 48 kg/m³ (OC 703), 25 mm, on the wall", absorption: [0.11, 0.28, 0.68, 0.90, 0.93, 0.96], scattering: 0.10, source: "owenscorning703"),
        .init(name: "panel-50mm", description: "Fibreglass board 48 kg/m³ (OC 703), 50 mm, on the wall", absorption: [0.17, 0.86, 0.99, 0.99, 0.99, 0.98], scattering: 0.10, source: "owenscorning703"),
        .init(name: "panel-100mm", description: "Fibreglass board 48 kg/m³ (OC 703), 100 mm, on the wall", absorption: [0.84, 0.99, 0.99, 0.99, 0.99, 0.97], scattering: 0.10, source: "owenscorning703"),
        .init(name: "fabric-panel", description: "Fabric-covered panel, rock-wool core ≈ 96 kg/m³", absorption: [0.46, 0.93, 0.99, 0.99, 0.99, 0.99, 0.99], scattering: 0.10, source: "vorlaender2008"),
        .init(name: "rockwool-50mm", description: "Rock wool, 50 mm, 80 kg/m³", absorption: [0.22, 0.60, 0.92, 0.90, 0.88, 0.88, 0.88], scattering: 0.10, source: "vorlaender2008"),
        .init(name: "bass-trap", description: "50 mm mineral wool (70 kg/m³), 300 mm in front of the wall", absorption: [0.70, 0.45, 0.65, 0.60, 0.75, 0.65, 0.65], scattering: 0.10, source: "vorlaender2008"),
        .init(name: "acoustic-plaster", description: "Acoustical plaster, ≈25 mm, 3.5 kg/m²/cm", absorption: [0.17, 0.36, 0.66, 0.65, 0.62, 0.68], scattering: 0.05, source: "vorlaender2008"),
        .init(name: "ceiling-tile", description: "Fissured mineral ceiling tile", absorption: [0.49, 0.53, 0.53, 0.75, 0.92, 0.99], scattering: 0.10, source: "vorlaender2008"),
        .init(name: "perforated-gypsum", description: "Perforated 27 mm gypsum board (16 %), 4.5 mm holes, 300 mm from ceiling", absorption: [0.45, 0.55, 0.60, 0.90, 0.86, 0.75], scattering: 0.10, source: "vorlaender2008"),
        .init(name: "melamine-foam", description: "Wedge-shaped melamine foam ceiling tile", absorption: [0.12, 0.33, 0.83, 0.97, 0.98, 0.95], scattering: 0.20, source: "vorlaender2008"),
        .init(name: "hanging-baffles", description: "Hanging absorber panels (foam), 400 mm deep, 400 mm apart", absorption: [0.25, 0.45, 0.80, 0.90, 0.85, 0.80], scattering: 0.30, source: "vorlaender2008"),
    ]

    /// The library as engine materials, keyed by name.
    public static let materials: [String: Material] = {
        var out: [String: Material] = [:]
        for r in records {
            let points = zip([125.0, 250, 500, 1000, 2000, 4000, 8000], r.absorption).map { (hertz: $0, value: $1) }
            out[r.name] = Material(name: r.name,
                                   absorption: BandReduction.toOctaves(points),
                                   scattering: BandValues(uniform: r.scattering))
        }
        return out
    }()
}

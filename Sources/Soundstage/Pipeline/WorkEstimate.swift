import Foundation

/// A simulation's work and memory, estimated before it runs, and the budgets beyond which a run is
/// refused with the estimate and the key to change (rather than running for hours or exhausting
/// memory).
///
/// - Memory grows with the response's length in samples, fs × T: the octave-band synthesis holds
///   each band's signals and the binaural stage its per-ear copies, about `bytesPerSample` per
///   sample of response (measured with `/usr/bin/time -v` at 384 kHz, 2 and 6 s: 0.82 and 2.12 GB).
///
/// - A shoebox's lattice (Allen & Berkley 1979) is walked image by image within c·T of the
///   listener and up to the order: along each axis m = min(c·T / side + 3, order + 1) images per
///   side, 8 · Π(2m + 1) candidates in all.
/// - Borish's tree for any other room (and for the paths via a shoebox's objects) tests every
///   sequence of surfaces up to the order: S (S − 1)^(k−1) candidates at order k, whatever the
///   duration (an invalid image's distance says nothing about its children's).
/// - The rays: each of `rays` per speaker reflects about c·T / (4V/S) times within the response
///   (Kuttruff's mean free path 4V/S), an upper bound where roulette ends rays early.
public struct WorkEstimate: Sendable {
    /// Candidates of the shoebox lattice and of the tree.
    public let lattice: Double, tree: Double
    /// Ray reflections over all speakers.
    public let reflections: Double
    /// Peak memory (bytes).
    public let memory: Double

    public static let bytesPerSample = 850.0, memoryBudget = 8.0 * 1024 * 1024 * 1024

    /// The budgets: a lattice candidate costs a few additions, a tree candidate a visibility test.
    public static let latticeBudget = 2e10, treeBudget = 1e9
    /// A ray reflection costs a surface intersection and the receiver's test (about 10⁷ per second
    /// and thread): 10¹⁰ is a quarter of an hour on one core.
    public static let reflectionBudget = 1e10

    public init(scene: Scene, plan: ResolvedSimulation) {
        memory = 3e8 + WorkEstimate.bytesPerSample * Double(plan.sampleRate) * plan.durationSeconds
        let freePath = 4 * scene.volume / max(scene.surfaceArea, 1e-9)
        // Every pass `rays: "auto"` may trace (`ResolvedSimulation.rayPasses`).
        reflections = Double(plan.rays * plan.rayPasses) * Double(scene.speakers.count)
            * max(1, scene.air.speedOfSound * plan.durationSeconds / max(freePath, 1e-6))
        let reach = scene.air.speedOfSound * plan.durationSeconds
        if case .shoebox(let w, let l, let h) = scene.shape, scene.objects.isEmpty || plan.shellEveryOrder {
            let order = plan.shellEveryOrder ? plan.shellOrder : plan.maxOrder
            let counts = [w, l, h].map { side -> Double in
                let m = min(reach / side + 3, order == Int.max ? .infinity : Double(order) + 1)
                return 2 * m + 1
            }
            lattice = 8 * counts.reduce(1, *)
            tree = scene.objects.isEmpty ? 0 : PolyhedralImageSources.treeSize(surfaceCount: scene.surfaces.count, order: plan.maxOrder)
        } else {
            lattice = 0
            tree = PolyhedralImageSources.treeSize(surfaceCount: scene.surfaces.count, order: plan.maxOrder)
        }
    }

    /// Throws when any part is beyond its budget, naming the keys that reduce it.
    public func check(scene: Scene, plan: ResolvedSimulation) throws {
        if memory > WorkEstimate.memoryBudget {
            throw SceneError.invalid(path: "simulation.duration", reason: String(format:
                "a %.2f s response at %d Hz needs about %.1f GB of memory (budget %.0f GiB); shorten simulation.duration (--duration) or lower simulation.sampleRate (--sample-rate)",
                plan.durationSeconds, plan.sampleRate, memory / 1e9, WorkEstimate.memoryBudget / 1073741824))
        }
        if tree > WorkEstimate.treeBudget {
            let amount = tree.isFinite ? String(format: "about %.1e", tree) : "more than 1e308"
            throw SceneError.invalid(path: "simulation.maxOrder", reason: String(format:
                "image sources to order %d over %d surfaces means %@ candidate paths to test (budget %.0e); lower simulation.maxOrder (--max-order) or use \"auto\"",
                plan.maxOrder, scene.surfaces.count, amount, WorkEstimate.treeBudget))
        }
        if reflections > WorkEstimate.reflectionBudget {
            throw SceneError.invalid(path: "simulation.rays", reason: String(format:
                "%d rays per speaker × %d speakers over %.2f s means about %.1e ray reflections (budget %.0e); lower simulation.rays (--rays) or use \"auto\"",
                plan.rays, scene.speakers.count, plan.durationSeconds, reflections, WorkEstimate.reflectionBudget))
        }
        if lattice > WorkEstimate.latticeBudget {
            throw SceneError.invalid(path: "simulation.duration", reason: String(format:
                "image sources within %.2f s of a %.0f m³ shoebox means about %.1e lattice images (budget %.0e); shorten simulation.duration (--duration) or set simulation.maxOrder",
                plan.durationSeconds, scene.volume, lattice, WorkEstimate.latticeBudget))
        }
    }
}

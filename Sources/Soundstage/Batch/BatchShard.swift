import Foundation

/// Which scenes of a batch this process makes: shard `index` of `count` takes the scene on line k
/// (1-based) when (k − 1) mod count = index, so consecutive lines spread over the shards and every
/// scene belongs to exactly one.
public struct BatchShard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public static let whole = BatchShard(uncheckedIndex: 0, count: 1)

    private init(uncheckedIndex index: Int, count: Int) { (self.index, self.count) = (index, count) }

    public init(index: Int, count: Int) throws {
        guard count >= 1, count <= 1_000_000 else { throw BatchError.usage("--shard: the shard count must be 1…1000000, got \(count)") }
        guard (0..<count).contains(index) else { throw BatchError.usage("--shard: the shard index must be 0…\(count - 1) (0-based), got \(index)") }
        (self.index, self.count) = (index, count)
    }

    /// Parses `i/n` (0-based index).
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw BatchError.usage("--shard: expected i/n (shard i of n, 0-based), got '\(text)'")
        }
        try self.init(index: i, count: n)
    }

    /// The shard from the command line or else from the environment a scheduler sets:
    /// Slurm job arrays (`SLURM_ARRAY_TASK_ID` − `SLURM_ARRAY_TASK_MIN` of `SLURM_ARRAY_TASK_COUNT`;
    /// slurm.schedmd.com/job_array.html) or Kubernetes Indexed Jobs (`JOB_COMPLETION_INDEX`, with the
    /// count from `shards`, the Job's `completions`; kubernetes.io/docs/concepts/workloads/controllers/job).
    /// With none of them: the whole batch.
    public static func resolve(shard: String?, shards: Int?, environment: [String: String]) throws -> BatchShard {
        if let shard { return try BatchShard(parsing: shard) }
        func integer(_ name: String) throws -> Int? {
            guard let text = environment[name] else { return nil }
            guard let v = Int(text.trimmingCharacters(in: .whitespaces)) else { throw BatchError.usage("\(name)=\(text): expected a whole number") }
            return v
        }
        if let id = try integer("SLURM_ARRAY_TASK_ID") {
            guard let count = try integer("SLURM_ARRAY_TASK_COUNT") else {
                throw BatchError.usage("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not: run inside a job array (sbatch --array)")
            }
            let first = try integer("SLURM_ARRAY_TASK_MIN") ?? 0
            return try BatchShard(index: id - first, count: count)
        }
        if let index = try integer("JOB_COMPLETION_INDEX") {
            guard let shards else {
                throw BatchError.usage("JOB_COMPLETION_INDEX is set: give --shards N (the Indexed Job's completions)")
            }
            return try BatchShard(index: index, count: shards)
        }
        if let shards, shards != 1 {
            throw BatchError.usage("--shards \(shards) needs a shard index: --shard i/\(shards) or JOB_COMPLETION_INDEX")
        }
        return .whole
    }

    /// Whether the scene on (1-based) line `line` is this shard's.
    public func owns(line: Int) -> Bool { (line - 1) % count == index }

    /// The manifest this shard appends to.
    public var manifestName: String { count == 1 ? "manifest.jsonl" : String(format: "manifest-%05d-of-%05d.jsonl", index, count) }

    public var description: String { "\(index)/\(count)" }
}

/// A batch that cannot start (bad options, a folder made with other settings, unreadable input).
public enum BatchError: Error, CustomStringConvertible {
    case usage(String)
    case input(String)
    public var description: String {
        switch self {
        case .usage(let m), .input(let m): return m
        }
    }
}

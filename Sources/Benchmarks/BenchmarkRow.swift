// BenchmarkRow: one measurement of `transcriber bench`, in the JSON shape DATA_AND_METRICS.md fixes.
import Foundation

public struct BenchmarkRow: Codable, Sendable {
    public var name: String
    /// The median of `runs`.
    public var value: Double
    public var unit: String
    public var threads: Int
    /// What was measured on.
    public var input: String
    public var runs: Int
    /// Extra context for people (e.g. the fraction of the BLAS ceiling); not for machines.
    public var note: String?

    public init(name: String, value: Double, unit: String, threads: Int, input: String, runs: Int, note: String? = nil) {
        self.name = name
        self.value = value
        self.unit = unit
        self.threads = threads
        self.input = input
        self.runs = runs
        self.note = note
    }
}

/// Wall-clock seconds of `body`, `runs` times after `warmup` untimed calls; returns the median
/// and all samples.
public func measure(runs: Int, warmup: Int = 1, _ body: () throws -> Void) rethrows -> (median: Double, samples: [Double]) {
    for _ in 0..<warmup { try body() }
    var samples: [Double] = []
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return (median(samples), samples)
}

public func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

public func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    let index = min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count - 1)).rounded())))
    return sorted[index]
}

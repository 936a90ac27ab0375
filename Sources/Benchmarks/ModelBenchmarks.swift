// ModelBenchmarks: the BLAS ceiling and the network's inference and training speed.
import Dispatch
import Model
import Support

public enum ModelBenchmarks {
    /// sgemm GFLOP/s on a transformer-sized product: the ceiling the model is held to. With
    /// `threads` cores, one product per core at once, as the network splits its work.
    public static func sgemmCeiling(threads: Int, runs: Int) -> BenchmarkRow {
        BLASThreads.set(1)
        let (m, n, k) = (1376, 768, 192)   // the MLP's fc1 at batch 32: (B*T, 4D, D)
        let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: k * n)
        let outputs = UnsafeMutableBufferPointer<Float>.allocate(capacity: threads * m * n)
        outputs.initialize(repeating: 0)
        defer { outputs.deallocate() }
        let repeats = 20
        let work = UncheckedSendableBuffers(a: a, b: b, c: outputs)
        let time = measure(runs: runs) {
            DispatchQueue.concurrentPerform(iterations: threads) { core in
                let c = work.c.baseAddress! + core * m * n
                for _ in 0..<repeats { sgemm(.none, .transpose, m: m, n: n, k: k, work.a, work.b, c) }
            }
        }.median
        let gflops = 2 * Double(m * n * k) * Double(repeats * threads) / time / 1e9
        return BenchmarkRow(name: "blas.sgemm", value: gflops, unit: "GFLOP/s", threads: threads,
                            input: "\(m)x\(n)x\(k) (fc1 at batch 32), one product per core at once", runs: runs)
    }

    /// Forward latency at batch 1, forward throughput at batch 32, and training steps
    /// (forward, backward, Adam) at batches 8 and 32, for `config` on windows of `frames`.
    /// With threads > 1 the batch is split between cores (ParallelNetwork); batch 1 uses one.
    public static func network(config: ModelConfig, frames: Int, threads: Int, runs: Int,
                               ceiling: Double?, include: (String) -> Bool = { _ in true }) throws -> [BenchmarkRow] {
        let network = try ParallelNetwork(network: try TranscriptionNetwork(config: config, seed: 1), threads: threads)
        // Inference runs frozen, as the engine runs it (TranscriptionNetwork.freeze).
        let frozen = try ParallelNetwork(network: try TranscriptionNetwork(config: config, seed: 1), threads: threads)
        frozen.freeze()
        let adam = AdamOptimizer(layout: network.parameters.layout)
        var generator = SeededGenerator(seed: 5)
        let flops = config.forwardFLOPs(frames: frames)
        let headNames = config.heads.map(\.rawValue).joined(separator: ", ")
        let described = "default model, heads: \(headNames) (\(config.parameterCount) parameters), T=\(frames), F=\(config.nBins)"
        func note(_ windowsPerSecond: Double, factor: Double) -> String? {
            guard let ceiling else { return nil }
            let achieved = windowsPerSecond * flops * factor / 1e9
            return String(format: "%.1f GFLOP/s, %.0f%% of the sgemm ceiling", achieved, 100 * achieved / ceiling)
        }
        var rows: [BenchmarkRow] = []
        for batch in [1, 32] where include(batch == 1 ? "model.infer.b1" : "model.infer.b32") {
            let x = (0..<(batch * frames * config.nBins)).map { _ in Float.random(in: -1...1, using: &generator) }
            let time = measure(runs: batch == 1 ? runs * 10 : runs) {
                x.withUnsafeBufferPointer { _ = frozen.forward($0.baseAddress!, batch: batch, frames: frames) }
            }.median
            if batch == 1 {
                rows.append(BenchmarkRow(name: "model.infer.b1", value: time * 1000, unit: "ms", threads: threads,
                                         input: described, runs: runs * 10, note: note(1 / time, factor: 1)))
            } else {
                rows.append(BenchmarkRow(name: "model.infer.b32", value: Double(batch) / time, unit: "windows/s",
                                         threads: threads, input: described, runs: runs,
                                         note: note(Double(batch) / time, factor: 1)))
            }
        }
        for batch in [8, 32] where include("model.train.b\(batch)") {
            let x = (0..<(batch * frames * config.nBins)).map { _ in Float.random(in: -1...1, using: &generator) }
            let y = (0..<(batch * frames * config.nNotes)).map { _ in Float(Int.random(in: 0...4, using: &generator) == 0 ? 1 : 0) }
            // Every head trains: onsets on a twentieth of the sounding entries, velocities on all of them.
            let onsets = y.map { $0 > 0 && Int.random(in: 0..<20, using: &generator) == 0 ? Float(1) : 0 }
            let velocities = y.map { $0 > 0 ? Float.random(in: 0.1...1, using: &generator) : 0 }
            let time = measure(runs: runs) {
                x.withUnsafeBufferPointer { _ = network.forward($0.baseAddress!, batch: batch, frames: frames, training: true) }
                y.withUnsafeBufferPointer { sounding in
                    onsets.withUnsafeBufferPointer { onsets in
                        velocities.withUnsafeBufferPointer { velocities in
                            let targets = HeadTargets(frames: sounding.baseAddress!,
                                                      onsets: config.onsetHead ? onsets.baseAddress! : nil,
                                                      velocities: config.velocityHead ? velocities.baseAddress! : nil)
                            _ = network.backward(targets: targets, batch: batch, frames: frames)
                        }
                    }
                }
                adam.update(network.parameters, gradients: network.gradients)
            }.median
            rows.append(BenchmarkRow(name: "model.train.b\(batch)", value: Double(batch) / time, unit: "windows/s",
                                     threads: threads, input: described, runs: runs,
                                     note: note(Double(batch) / time, factor: 3)))
        }
        return rows
    }
}

/// The ceiling's operands, read by every core and written each in its own part: safe to share.
private struct UncheckedSendableBuffers: @unchecked Sendable {
    let a: [Float], b: [Float]
    let c: UnsafeMutableBufferPointer<Float>
}

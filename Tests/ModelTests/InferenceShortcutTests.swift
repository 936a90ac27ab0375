// The streaming engine's shortcuts give the whole forward's outputs: a frame encoded once and
// reused by every window over it, and the last block and heads run only on the frames decoded.
import Testing
@testable import Model

/// `count` windows of log-CQT-like values (-4...0), repeatable from `seed`.
func randomWindows(_ count: Int, frames: Int, bins: Int, seed: UInt64) -> [Float] {
    var g = SplitMix64(seed: seed)
    return (0..<(count * frames * bins)).map { _ in Float.random(in: -4...0, using: &g) }
}

@Suite struct InferenceShortcutTests {
    /// Encoding frames in groups other than the window's changes only how sgemm blocks its
    /// rows; measured at the default sizes: at most 8.0e-7 (encoded frames) and 8.8e-7 (output
    /// rows) of the outputs' scale.
    let tolerance: Float = 2e-6
    /// The bundled weights' network: the default sizes with every head.
    let config = ModelConfig(onsetHead: true, velocityHead: true)

    /// The default network's sizes, every head, windows overlapping as in `live` (a stride of 6)
    /// and frames encoded six at a time, as the engine does; one thread and two.
    @Test(arguments: [1, 2])
    func encodedFramesGiveTheWholeForwardsLogits(threads: Int) throws {
        let parallel = try ParallelNetwork(network: try TranscriptionNetwork(config: config, seed: 5), threads: threads)
        let (frames, stride, batch) = (43, 6, 3)
        let total = frames + stride * (batch - 1), f = config.nBins, d = config.embedDim
        var g = SplitMix64(seed: 9)
        let audio = (0..<(total * f)).map { _ in Float.random(in: -4...0, using: &g) }
        // The windows as CQT frames, and the frames' embeddings, stride by stride.
        var windows: [Float] = []
        for w in 0..<batch { windows += audio[(w * stride * f)..<((w * stride + frames) * f)] }
        var embeddings = [Float](repeating: 0, count: total * d)
        audio.withUnsafeBufferPointer { a in
            embeddings.withUnsafeMutableBufferPointer { e in
                for start in Swift.stride(from: 0, to: total, by: stride) {
                    let count = min(stride, total - start)
                    parallel.encode(a.baseAddress! + start * f, frames: count, into: e.baseAddress! + start * d)
                }
            }
        }
        var encodedWindows: [Float] = []
        for w in 0..<batch { encodedWindows += embeddings[(w * stride * d)..<((w * stride + frames) * d)] }

        let expected = windows.withUnsafeBufferPointer { p in
            parallel.forward(p.baseAddress!, batch: batch, frames: frames)
            return config.heads.map { Array(parallel.output($0)) }
        }
        let got = encodedWindows.withUnsafeBufferPointer { p in
            parallel.forward(.encoded(p.baseAddress!), batch: batch, frames: frames)
            return config.heads.map { Array(parallel.output($0)) }
        }
        for (h, head) in config.heads.enumerated() {
            let error = relativeError(got[h], expected[h])
            #expect(error < tolerance, "\(head): \(error)")
        }
        // One window on its own (live's case: split between the threads).
        let one = windows.withUnsafeBufferPointer { Array(parallel.forward($0.baseAddress!, batch: 1, frames: frames)) }
        let oneEncoded = encodedWindows.withUnsafeBufferPointer {
            Array(parallel.forward(.encoded($0.baseAddress!), batch: 1, frames: frames))
        }
        #expect(relativeError(oneEncoded, one) < tolerance)
    }

    /// Outputs for some frames of each window only (live decodes 6 of 43): those rows are the
    /// whole forward's, for one window (split between threads or not) and for a batch.
    @Test(arguments: [1, 2])
    func outputRowsAreTheWholeForwardsOnThoseFrames(threads: Int) throws {
        // Two copies, so that no output of the whole forward is left where the partial one writes.
        let parallel = try ParallelNetwork(network: try TranscriptionNetwork(config: config, seed: 6), threads: threads)
        let fresh = try ParallelNetwork(network: try TranscriptionNetwork(config: config, seed: 6), threads: threads)
        let frames = 43, k = config.nNotes, wanted = 33..<39
        var g = SplitMix64(seed: 10)
        for batch in [1, 3] {
            let x = (0..<(batch * frames * config.nBins)).map { _ in Float.random(in: -4...0, using: &g) }
            let whole = x.withUnsafeBufferPointer { p in
                parallel.forward(p.baseAddress!, batch: batch, frames: frames)
                return config.heads.map { Array(parallel.output($0)) }
            }
            let partial = x.withUnsafeBufferPointer { p in
                fresh.forward(.bins(p.baseAddress!), batch: batch, frames: frames, outputRows: wanted)
                return config.heads.map { Array(fresh.output($0)) }
            }
            for (h, head) in config.heads.enumerated() {
                let rows = (0..<batch).flatMap { b in wanted.map { b * frames + $0 } }
                let expected = rows.flatMap { whole[h][($0 * k)..<(($0 + 1) * k)] }
                let got = rows.flatMap { partial[h][($0 * k)..<(($0 + 1) * k)] }
                #expect(relativeError(got, expected) < tolerance, "\(head), batch \(batch): \(relativeError(got, expected))")
            }
        }
    }
}

/// A smaller batch after a larger one (a file's last windows) runs in the larger one's buffers;
/// its outputs are exactly those of a network that never ran the larger batch.
@Suite struct SmallerBatchTests {
    @Test func aSmallerBatchReusesTheBuffersAndGivesTheSameOutputs() throws {
        let config = ModelConfig(onsetHead: true, velocityHead: true)
        let (frames, f) = (43, config.nBins)
        let windows = randomWindows(5, frames: frames, bins: f, seed: 4)
        let reused = try TranscriptionNetwork(config: config, seed: 2)
        let fresh = try TranscriptionNetwork(config: config, seed: 2)
        windows.withUnsafeBufferPointer { w in
            _ = reused.forward(w.baseAddress!, batch: 5, frames: frames)
            // The last two windows as a batch of two, after the batch of five.
            let tail = w.baseAddress! + 3 * frames * f
            _ = reused.forward(tail, batch: 2, frames: frames)
            _ = fresh.forward(tail, batch: 2, frames: frames)
        }
        for head in config.heads {
            #expect(Array(reused.output(head)) == Array(fresh.output(head)), "\(head)")
            #expect(reused.output(head).count == 2 * frames * config.nNotes)
        }
    }
}

/// A frozen network runs its Linear layers on oneDNN with the weights packed once; its outputs
/// are the unfrozen network's to rounding, for a batch, one window split between threads, and
/// the few rows live decodes.
@Suite struct FrozenNetworkTests {
    @Test(arguments: [1, 2])
    func aFrozenNetworkGivesTheSameOutputs(threads: Int) throws {
        let config = ModelConfig(onsetHead: true, velocityHead: true)
        let (frames, f) = (43, config.nBins)
        let windows = randomWindows(3, frames: frames, bins: f, seed: 8)
        let plain = try ParallelNetwork(network: try TranscriptionNetwork(config: config, seed: 3), threads: threads)
        let frozen = try ParallelNetwork(network: try TranscriptionNetwork(config: config, seed: 3), threads: threads)
        frozen.freeze()
        #expect(frozen.isFrozen && !plain.isFrozen)
        #expect(frozen.network.linears.blocks.allSatisfy { $0.fc1.packed != nil } && plain.network.linears.proj.packed == nil,
                "a frozen network's products run on oneDNN")
        for (batch, rows) in [(3, nil), (1, nil), (1, 37..<43)] as [(Int, Range<Int>?)] {
            windows.withUnsafeBufferPointer { w in
                _ = plain.forward(.bins(w.baseAddress!), batch: batch, frames: frames, outputRows: rows)
                _ = frozen.forward(.bins(w.baseAddress!), batch: batch, frames: frames, outputRows: rows)
            }
            for head in config.heads {
                var expected = Array(plain.output(head)), got = Array(frozen.output(head))
                if let rows {   // only those rows of each window are written
                    expected = Array(expected[(rows.lowerBound * config.nNotes)..<(rows.upperBound * config.nNotes)])
                    got = Array(got[(rows.lowerBound * config.nNotes)..<(rows.upperBound * config.nNotes)])
                }
                #expect(relativeError(got, expected) < 1e-6, "batch \(batch), rows \(String(describing: rows)), \(head)")
            }
        }
    }
}

// A frame encoded once and reused by every window over it gives the logits of the whole forward.
import Testing
@testable import Model

@Suite struct EncodedInputTests {
    /// Encoding frames in groups other than the window's changes only how sgemm blocks its
    /// rows; measured at the default sizes: at most 8.0e-7 of the logits' scale.
    let tolerance: Float = 2e-6

    /// The default network's sizes, every head, windows overlapping as in `live` (a stride of 6)
    /// and frames encoded six at a time, as the engine does; one thread and two.
    @Test(arguments: [1, 2])
    func encodedFramesGiveTheWholeForwardsLogits(threads: Int) throws {
        var config = ModelConfig()
        config.onsetHead = true
        config.velocityHead = true
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
}

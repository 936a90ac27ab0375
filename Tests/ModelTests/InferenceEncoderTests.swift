// The inference encoder computes conv1's bias with its ReLU, and conv2's bias and ReLU after the
// pool: the same numbers as the training forward, which keeps every intermediate.
import Testing
@testable import Model

@Suite struct InferenceEncoderTests {
    /// Pooling first and adding the bias and ReLU after gives exactly the bias, ReLU and pool of
    /// the training forward: four bins a note (8 notes at a time, and a tail of notes) and others.
    @Test(arguments: [4, 3, 1])
    func poolThenBiasAndReLUIsExact(pool: Int) {
        let (channels, rows, notes) = (3, 5, 13)
        let bins = notes * pool, count = channels * rows * bins
        var g = SplitMix64(seed: 12)
        let x = (0..<count).map { _ in Float.random(in: -1...1, using: &g) }
        let bias: [Float] = [0.3, -0.2, 0.05]
        // The training forward's order: bias, ReLU, pool.
        var activated = x
        for c in 0..<channels {
            for i in 0..<(rows * bins) { activated[c * rows * bins + i] += bias[c] }
        }
        reluForward(&activated, count: count)
        var expected = [Float](repeating: 0, count: rows * channels * notes)
        var index = [Int32](repeating: 0, count: expected.count)
        frequencyMaxPoolForward(&expected, &index, activated, channels: channels, rows: rows, bins: bins, pool: pool)
        var got = [Float](repeating: -1, count: expected.count)
        frequencyMaxPoolBiasReLUForward(&got, x, bias: bias, channels: channels, rows: rows, bins: bins, pool: pool,
                                        rowRange: 0..<rows)
        #expect(got == expected)
    }

    /// The whole network: a forward ready for training and an inference forward agree.
    @Test func inferenceAndTrainingForwardsAgree() throws {
        let config = ModelConfig(onsetHead: true, velocityHead: true)
        let (frames, f) = (43, config.nBins)
        let windows = randomWindows(2, frames: frames, bins: f, seed: 13)
        let training = try TranscriptionNetwork(config: config, seed: 6)
        let inference = try TranscriptionNetwork(config: config, seed: 6)
        windows.withUnsafeBufferPointer { w in
            _ = training.forward(w.baseAddress!, batch: 2, frames: frames, training: true)
            _ = inference.forward(w.baseAddress!, batch: 2, frames: frames)
        }
        let encoded = relativeError(Array(inference.activation("encoder")!), Array(training.activation("encoder")!))
        #expect(encoded < 1e-6, "encoder outputs differ by \(encoded)")
        for head in config.heads {
            #expect(relativeError(Array(inference.output(head)), Array(training.output(head))) < 1e-6, "\(head)")
        }
    }
}

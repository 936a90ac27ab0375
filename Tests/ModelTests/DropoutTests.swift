// Residual dropout: drops the stated fraction and scales the rest, repeats from its seed, and
// never touches inference (the live path and evaluation see the network MODEL.md describes).
import Testing
@testable import Model
import Support

@Suite struct DropoutTests {
    @Test(arguments: [Float(0.1), 0.25, 0.5])
    func dropsTheRateAndScalesTheRest(rate: Float) {
        let count = 200_000
        let mask = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { mask.deallocate() }
        var generator = SeededGenerator(seed: 3)
        fillDropoutMask(mask, count: count, rate: rate, using: &generator)
        let values = Array(UnsafeBufferPointer(start: mask, count: count))
        let dropped = Double(values.filter { $0 == 0 }.count) / Double(count)
        // Binomial standard deviation at 200k draws is at most 0.0012.
        #expect(abs(dropped - Double(rate)) < 0.006, "dropped \(dropped) for rate \(rate)")
        #expect(values.allSatisfy { $0 == 0 || $0 == 1 / (1 - rate) })
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(count)
        #expect(abs(mean - 1) < 0.012, "mean \(mean): the expected value of a branch must not change")
    }

    @Test func inferenceNeverDropsAndTrainingRepeatsFromTheSeed() throws {
        let config = ModelConfig(c: 1, embedDim: 16, nLayers: 2, nHeads: 2, headDim: 8, nNotes: 6, binsPerNote: 2, nBins: 12)
        let net = try TranscriptionNetwork(config: config, seed: 4)
        var g = SeededGenerator(seed: 9)
        let (batch, frames) = (2, 5)
        let x = (0..<(batch * frames * config.nBins)).map { _ in Float.random(in: -1...1, using: &g) }
        func logits(training: Bool) -> [Float] {
            x.withUnsafeBufferPointer { Array(net.forward($0.baseAddress!, batch: batch, frames: frames, training: training)) }
        }
        let plain = logits(training: false)
        net.dropout = ResidualDropout(rate: 0.3, seed: 1)
        #expect(logits(training: false) == plain)
        let dropped = logits(training: true)
        #expect(dropped != plain)
        #expect(logits(training: true) == dropped)
        net.dropout = ResidualDropout(rate: 0.3, seed: 2)
        #expect(logits(training: true) != dropped)
        net.dropout = ResidualDropout(rate: 0, seed: 2)
        #expect(logits(training: true) == plain)
    }
}

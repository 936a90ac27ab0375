// The context summary (ModelConfig.contextFrames): the running mean it keeps, the network's use of
// it on every inference path, and the setting in the weights file.
import Foundation
import Testing
@testable import Model

@Suite struct ContextSummaryTests {
    let config = ModelConfig(c: 1, embedDim: 8, nLayers: 1, nHeads: 2, headDim: 4, nNotes: 6, binsPerNote: 2, nBins: 12,
                             contextFrames: 5)

    func random(_ count: Int, seed: UInt64) -> [Float] {
        var g = SplitMix64(seed: seed)
        return (0..<count).map { _ in Float.random(in: 0...3, using: &g) }
    }

    /// The exponentially weighted mean, newest frame weighted 1 and each older one exp(-1/5)
    /// times the next; zeros (silence) before any frame; a saved state restores exactly.
    @Test func itIsTheExponentiallyWeightedMeanOfThePast() {
        var summary = ContextSummary(bins: 3, timeConstant: 5)
        var out = [Float](repeating: 9, count: 3)
        summary.write(into: &out)
        #expect(out == [0, 0, 0])
        let frames = (0..<7).map { i in [Float(i), Float(i * i), 1] }
        for frame in frames { summary.add(frame) }
        summary.write(into: &out)
        let decay = exp(-1 / 5.0)
        for b in 0..<3 {
            var sum = 0.0, weight = 0.0
            for (age, frame) in frames.reversed().enumerated() {
                sum += pow(decay, Double(age)) * Double(frame[b])
                weight += pow(decay, Double(age))
            }
            #expect(abs(Double(out[b]) - sum / weight) < 1e-5 * max(1, sum / weight), "bin \(b)")
        }
        #expect(out[2] == 1)
        var sums = [Float](repeating: 0, count: 3), weight: Float = 0
        summary.save(sums: &sums, weight: &weight)
        var copy = ContextSummary(bins: 3, timeConstant: 5)
        copy.restore(sums: sums, weight: weight)
        var again = [Float](repeating: 0, count: 3)
        copy.write(into: &again)
        #expect(again == out)
    }

    /// With context.weight zero a context network computes what the same network without one
    /// does; with it set, the summary moves every frame's logits.
    @Test func aZeroContextIsTheNetworkWithout() throws {
        var plain = config
        plain.contextFrames = 0
        let a = try TranscriptionNetwork(config: plain, seed: 3), b = try TranscriptionNetwork(config: config, seed: 3)
        for entry in a.parameters.layout.entries { _ = b.parameters[entry.name].update(fromContentsOf: a.parameters[entry.name]) }
        b.parameters["context.weight"].update(repeating: 0)
        let frames = 6, x = random(2 * frames * config.nBins, seed: 1), s = random(2 * config.nBins, seed: 2)
        let expected = Array(x.withUnsafeBufferPointer { a.forward($0.baseAddress!, batch: 2, frames: frames) })
        let zero = Array(x.withUnsafeBufferPointer { xs in s.withUnsafeBufferPointer { b.forward(xs.baseAddress!, batch: 2, frames: frames, summaries: $0.baseAddress!) } })
        #expect(zero == expected)
        _ = b.parameters["context.weight"].update(fromContentsOf: random(config.embedDim * config.nBins, seed: 4).map { $0 - 1.5 })
        let moved = Array(x.withUnsafeBufferPointer { xs in s.withUnsafeBufferPointer { b.forward(xs.baseAddress!, batch: 2, frames: frames, summaries: $0.baseAddress!) } })
        #expect(zip(moved, expected).filter { abs($0 - $1) > 1e-3 }.count > moved.count / 2)
    }

    /// Live's paths (a window split between threads, frames encoded once and reused) and a batch
    /// cut between replicas give each window the logits of its own summary.
    @Test func everyInferencePathReadsEachWindowsSummary() throws {
        let net = try TranscriptionNetwork(config: config, seed: 4)
        let frames = 10, windows = 3, f = config.nBins
        let x = random(windows * frames * f, seed: 10), s = random(windows * f, seed: 11)
        var single: [Float] = []
        for w in 0..<windows {
            single += x.withUnsafeBufferPointer { xs in s.withUnsafeBufferPointer {
                Array(net.forward(xs.baseAddress! + w * frames * f, batch: 1, frames: frames, summaries: $0.baseAddress! + w * f))
            } }
        }
        let batched = Array(x.withUnsafeBufferPointer { xs in s.withUnsafeBufferPointer {
            net.forward(xs.baseAddress!, batch: windows, frames: frames, summaries: $0.baseAddress!) } })
        let split = Array(x.withUnsafeBufferPointer { xs in s.withUnsafeBufferPointer {
            net.forwardSplit(xs.baseAddress!, frames: frames, parts: 2, summary: $0.baseAddress!) } })
        var encoded = [Float](repeating: 0, count: windows * frames * config.embedDim)
        x.withUnsafeBufferPointer { xs in encoded.withUnsafeMutableBufferPointer { net.encode(xs.baseAddress!, frames: windows * frames, into: $0.baseAddress!) } }
        let reused = Array(encoded.withUnsafeBufferPointer { e in s.withUnsafeBufferPointer {
            net.forward(.encoded(e.baseAddress!), batch: windows, frames: frames, summaries: $0.baseAddress!) } })
        let parallel = try ParallelNetwork(network: try TranscriptionNetwork(config: config, sharing: net.parameters), threads: 2)
        let sharded = Array(x.withUnsafeBufferPointer { xs in s.withUnsafeBufferPointer {
            parallel.forward(xs.baseAddress!, batch: windows, frames: frames, training: true, summaries: $0.baseAddress!) } })
        for (name, other, count) in [("batched", batched, single.count), ("split", split, frames * config.nNotes),
                                     ("encoded", reused, single.count), ("replicas", sharded, single.count)] {
            let worst = zip(single.prefix(count), other.prefix(count)).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-4, "\(name): logits differ by up to \(worst)")
        }
    }

    /// The setting travels in the weights file, and a file that has it reads back the same network.
    @Test func theContextTravelsInTheWeightsFile() throws {
        let net = try TranscriptionNetwork(config: config, seed: 5)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("context-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try WeightsFile.save(net, to: path)
        let (loaded, metadata) = try WeightsFile.load(path)
        #expect(metadata["context_frames"] == "5")
        #expect(loaded.config == config)
        #expect(Array(loaded.parameters["context.weight"]) == Array(net.parameters["context.weight"]))
        var plain = config
        plain.contextFrames = 0
        #expect(plain.metadata["context_frames"] == nil)
        #expect(config.parameterCount == plain.parameterCount + config.embedDim * config.nBins)
    }
}

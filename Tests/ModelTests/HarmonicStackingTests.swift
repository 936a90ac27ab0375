// Harmonic stacking (ModelConfig.harmonics): conv1 reads the input's shifted copies, the
// setting travels in the weights file, and every inference path computes the same thing.
import Foundation
import Testing
@testable import Model

@Suite struct HarmonicStackingTests {
    let plain = ModelConfig(c: 1, embedDim: 8, nLayers: 1, nHeads: 2, headDim: 4, nNotes: 6, binsPerNote: 2, nBins: 48)
    var stacked: ModelConfig {
        var config = plain
        config.harmonics = [1, 2]
        return config
    }

    func input(frames: Int, seed: UInt64) -> [Float] {
        var g = SplitMix64(seed: seed)
        return (0..<(frames * plain.nBins)).map { _ in Float.random(in: 0...3, using: &g) }
    }

    /// Channel h at bin b is the input at b + shift (the octave: 24 bins here), silence past the
    /// top: a stacked network whose conv1 reads only the octave channel, with the plain network's
    /// taps, computes what the plain one does on the input moved down an octave.
    @Test func theOctaveChannelIsTheInputAnOctaveUp() throws {
        #expect(stacked.harmonicShifts == [0, 24])
        let a = try TranscriptionNetwork(config: plain, seed: 3), b = try TranscriptionNetwork(config: stacked, seed: 3)
        for entry in a.parameters.layout.entries where entry.name != "encoder.conv1.weight" {
            _ = b.parameters[entry.name].update(fromContentsOf: a.parameters[entry.name])
        }
        let k = plain.kernelSize, taps = a.parameters["encoder.conv1.weight"], both = b.parameters["encoder.conv1.weight"]
        #expect(both.count == plain.channels * 2 * k)
        for co in 0..<plain.channels {
            for j in 0..<k {
                both[(co * 2 + 0) * k + j] = 0
                both[(co * 2 + 1) * k + j] = taps[co * k + j]
            }
        }
        let frames = 5, f = plain.nBins, x = input(frames: frames, seed: 9)
        var moved = [Float](repeating: 0, count: x.count)
        for t in 0..<frames { for bin in 0..<(f - 24) { moved[t * f + bin] = x[t * f + bin + 24] } }
        let expected = Array(moved.withUnsafeBufferPointer { a.forward($0.baseAddress!, batch: 1, frames: frames) })
        let found = Array(x.withUnsafeBufferPointer { b.forward($0.baseAddress!, batch: 1, frames: frames) })
        let worst = zip(expected, found).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-5, "logits differ by up to \(worst)")
    }

    /// Live's paths (a window split between threads, frames encoded once and reused) give the
    /// whole forward's logits for a stacked network too.
    @Test func everyInferencePathAgrees() throws {
        let net = try TranscriptionNetwork(config: stacked, seed: 4)
        let frames = 40, x = input(frames: frames, seed: 10)
        let whole = Array(x.withUnsafeBufferPointer { net.forward($0.baseAddress!, batch: 1, frames: frames) })
        let split = Array(x.withUnsafeBufferPointer { net.forwardSplit($0.baseAddress!, frames: frames, parts: 2) })
        var encoded = [Float](repeating: 0, count: frames * stacked.embedDim)
        x.withUnsafeBufferPointer { xs in encoded.withUnsafeMutableBufferPointer { net.encode(xs.baseAddress!, frames: frames, into: $0.baseAddress!) } }
        let reused = Array(encoded.withUnsafeBufferPointer { net.forward(.encoded($0.baseAddress!), batch: 1, frames: frames) })
        for (name, other) in [("split", split), ("encoded", reused)] {
            let worst = zip(whole, other).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-4, "\(name): logits differ by up to \(worst)")
        }
    }

    /// Written only for a stacked network (older files read as plain), read back as written;
    /// nonsense is refused with the key's name and an example.
    @Test func theHarmonicsTravelInTheWeightsFile() throws {
        #expect(plain.metadata["harmonics"] == nil)
        let directory = scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("stacked.safetensors").path
        let net = try TranscriptionNetwork(config: stacked, seed: 5)
        try WeightsFile.save(net, to: path)
        let (loaded, metadata) = try WeightsFile.load(path)
        #expect(metadata["harmonics"] == "1.0,2.0")
        #expect(loaded.config == stacked)
        #expect(Array(loaded.parameters["encoder.conv1.weight"]) == Array(net.parameters["encoder.conv1.weight"]))
        var bad = stacked.metadata
        for text in ["", "1,two", "0,1"] {
            bad["harmonics"] = text
            #expect { try ModelConfig(metadata: bad) } throws: { "\($0)".contains("'harmonics'") && "\($0)".contains("0.5,1,2,3") }
        }
        var tooHigh = plain
        tooHigh.harmonics = [1, 8]   // 72 bins up, past the 48
        #expect { try TranscriptionNetwork(config: tooHigh, seed: 1) } throws: { "\($0)".contains("within the 48 bins") }
    }
}

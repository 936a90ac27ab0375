// Sliding-window prediction over a whole recording: coverage, exactness without overlap, and
// the mean over overlapping windows (predict's windows and the engine's).
import Foundation
import Testing
@testable import Model

@Suite struct WindowedPredictionTests {
    @Test func windowsCoverEveryFrame() {
        #expect(WindowedPrediction.windowStarts(frames: 86, window: 43, stride: 43) == [0, 43])
        #expect(WindowedPrediction.windowStarts(frames: 100, window: 43, stride: 43) == [0, 43, 57])
        #expect(WindowedPrediction.windowStarts(frames: 50, window: 43, stride: 4) == [0, 4, 7])
        #expect(WindowedPrediction.windowStarts(frames: 10, window: 43, stride: 4) == [0])
    }

    func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

    @Test func nonOverlappingWindowsGiveTheNetworkExactly() throws {
        let net = try TranscriptionNetwork(config: smallConfig, seed: 9)
        let (frames, window, bins, notes) = (12, 4, smallConfig.nBins, smallConfig.nNotes)
        var g = SplitMix64(seed: 2)
        let features = (0..<(frames * bins)).map { _ in Float.random(in: -1...1, using: &g) }
        let probabilities = try WindowedPrediction.probabilities(network: try ParallelNetwork(network: net, threads: 1), features: features, frames: frames,
                                                                 window: window, stride: window, batchSize: 2)
        for start in stride(from: 0, to: frames, by: window) {
            let logits = features.withUnsafeBufferPointer {
                Array(net.forward($0.baseAddress! + start * bins, batch: 1, frames: window))
            }
            for i in 0..<(window * notes) {
                #expect(abs(probabilities[start * notes + i] - sigmoid(logits[i])) < 2e-7)
            }
        }
    }

    @Test func overlappingWindowsAreAveraged() throws {
        let net = try TranscriptionNetwork(config: smallConfig, seed: 9)
        let (frames, window, bins, notes) = (6, 4, smallConfig.nBins, smallConfig.nNotes)
        var g = SplitMix64(seed: 3)
        let features = (0..<(frames * bins)).map { _ in Float.random(in: -1...1, using: &g) }
        let probabilities = try WindowedPrediction.probabilities(network: try ParallelNetwork(network: net, threads: 1), features: features, frames: frames,
                                                                 window: window, stride: 2)
        // Windows start at 0 and 2: frames 2 and 3 are in both.
        let first = features.withUnsafeBufferPointer { Array(net.forward($0.baseAddress!, batch: 1, frames: window)) }
        let second = features.withUnsafeBufferPointer { Array(net.forward($0.baseAddress! + 2 * bins, batch: 1, frames: window)) }
        for k in 0..<notes {
            let expected = (sigmoid(first[2 * notes + k]) + sigmoid(second[0 * notes + k])) / 2
            #expect(abs(probabilities[2 * notes + k] - expected) < 2e-7)
            #expect(abs(probabilities[5 * notes + k] - sigmoid(second[3 * notes + k])) < 2e-7)
        }
    }

    /// `file`'s rule: windows ending after frames 1, 3, 5 and (the stride leaves one frame) 6,
    /// padded before frame 0; each frame the mean of the windows over it, worked out by hand. The
    /// engine has decoded frames 0-3 when the input ends (no window of the stride's would cover
    /// them again), so the last window adds only to frames 4-6.
    @Test func streamedWindowsAreAveragedOverEachFrame() throws {
        let net = try TranscriptionNetwork(config: smallConfig, seed: 9)
        let (frames, window, bins, notes) = (7, 4, smallConfig.nBins, smallConfig.nNotes)
        var g = SplitMix64(seed: 4)
        let features = (0..<(frames * bins)).map { _ in Float.random(in: -1...1, using: &g) }
        let padding: Float = -2
        let probabilities = try WindowedPrediction.streamedMeanProbabilities(
            network: try ParallelNetwork(network: net, threads: 1), features: features, frames: frames, window: window, stride: 2,
            padding: padding, batchSize: 3)
        // The window ending after frame `newest`, [window, notes] probabilities.
        func windowEnding(at newest: Int) -> [Float] {
            var input: [Float] = []
            for frame in (newest - window + 1)...newest {
                if frame < 0 {
                    input += [Float](repeating: padding, count: bins)
                } else {
                    input += features[(frame * bins)..<((frame + 1) * bins)]
                }
            }
            let logits = input.withUnsafeBufferPointer { Array(net.forward($0.baseAddress!, batch: 1, frames: window)) }
            return logits.map(sigmoid)
        }
        let windows = [(1, 0), (3, 0), (5, 0), (6, 4)].map { (newest: $0.0, values: windowEnding(at: $0.0), from: $0.1) }
        func over(_ frame: Int) -> [(newest: Int, values: [Float], from: Int)] {
            windows.filter { frame <= $0.newest && frame > $0.newest - window && frame >= $0.from }
        }
        for frame in 0..<frames {
            let over = over(frame)
            for k in 0..<notes {
                var sum: Float = 0
                for (newest, values, _) in over { sum += values[(frame - (newest - window + 1)) * notes + k] }
                let expected = sum / Float(over.count)
                #expect(abs(probabilities[frame * notes + k] - expected) < 1e-6, "frame \(frame) note \(k)")
            }
        }
        // So frames are means of one or two windows: frame 0 of those ending after 1 and 3, frame 3
        // of those after 3 and 5, frame 6 the last window's alone.
        #expect((0..<frames).map { over($0).count } == [2, 2, 2, 2, 2, 2, 1])
    }

    @Test func wrongFeatureSizeIsAClearError() throws {
        let net = try TranscriptionNetwork(config: smallConfig, seed: 9)
        #expect { try WindowedPrediction.probabilities(network: try ParallelNetwork(network: net, threads: 1), features: [1, 2, 3], frames: 1, window: 4, stride: 4) }
            throws: { "\($0)".contains("not 1 frames of 12 bins") }
    }
}

// Sliding-window prediction over a whole recording: coverage, exactness without overlap, and
// the mean over overlapping windows.
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

    @Test func wrongFeatureSizeIsAClearError() throws {
        let net = try TranscriptionNetwork(config: smallConfig, seed: 9)
        #expect { try WindowedPrediction.probabilities(network: try ParallelNetwork(network: net, threads: 1), features: [1, 2, 3], frames: 1, window: 4, stride: 4) }
            throws: { "\($0)".contains("not 1 frames of 12 bins") }
    }
}

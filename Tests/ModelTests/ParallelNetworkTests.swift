// Splitting a batch between cores gives the single network's logits, loss and gradients.
import Testing
@testable import Model

@Suite struct ParallelNetworkTests {
    /// Different shards change only the summation order of the gradient combination.
    let tolerance: Float = 1e-5

    @Test(arguments: [2, 3])
    func shardsAgreeWithOneNetwork(threads: Int) throws {
        let single = try TranscriptionNetwork(config: smallConfig, seed: 21)
        let parallel = try ParallelNetwork(network: try TranscriptionNetwork(config: smallConfig, seed: 21), threads: threads)
        let (batch, frames) = (5, 4)
        var g = SplitMix64(seed: 4)
        let x = (0..<(batch * frames * smallConfig.nBins)).map { _ in Float.random(in: -1...1, using: &g) }
        let y = (0..<(batch * frames * smallConfig.nNotes)).map { _ in Float(Int.random(in: 0...1, using: &g)) }
        #expect(parallel.shards(batch).map(\.count).reduce(0, +) == batch)

        let expected = x.withUnsafeBufferPointer { Array(single.forward($0.baseAddress!, batch: batch, frames: frames, training: true)) }
        let got = x.withUnsafeBufferPointer { Array(parallel.forward($0.baseAddress!, batch: batch, frames: frames, training: true)) }
        #expect(relativeError(got, expected) < tolerance)

        let lossSingle = y.withUnsafeBufferPointer { single.backward(targets: $0.baseAddress!) }
        let lossParallel = y.withUnsafeBufferPointer { parallel.backward(targets: $0.baseAddress!, batch: batch, frames: frames) }
        #expect(abs(lossSingle - lossParallel) / lossSingle < tolerance)
        for entry in single.parameters.layout.entries {
            let error = relativeError(parallel.gradients[entry.name], Array(single.gradients[entry.name]))
            #expect(error < tolerance, "\(entry.name): \(error)")
        }
    }

    /// An inference batch larger than a round (ParallelNetwork.inferenceWindows per replica) runs
    /// in rounds; every head's outputs are the one network's, on one thread and on several.
    @Test(arguments: [1, 2])
    func largeInferenceBatchesRunInRounds(threads: Int) throws {
        var config = smallConfig
        config.onsetHead = true
        let single = try TranscriptionNetwork(config: config, seed: 23)
        let parallel = try ParallelNetwork(network: try TranscriptionNetwork(config: config, seed: 23), threads: threads)
        let (batch, frames) = (threads * ParallelNetwork.inferenceWindows * 2 + 3, 4)
        var g = SplitMix64(seed: 8)
        let x = (0..<(batch * frames * config.nBins)).map { _ in Float.random(in: -1...1, using: &g) }
        x.withUnsafeBufferPointer {
            single.forward($0.baseAddress!, batch: batch, frames: frames)
            parallel.forward($0.baseAddress!, batch: batch, frames: frames)
        }
        for head in config.heads {
            #expect(parallel.output(head).count == batch * frames * config.nNotes)
            #expect(relativeError(Array(parallel.output(head)), Array(single.output(head))) < tolerance, "\(head)")
        }
    }

    /// With onset and velocity heads and loss weights other than 1, shards still give the one
    /// network's outputs, loss and gradients (each term is a mean over every entry).
    @Test func shardsAgreeWithOneNetworkWithEveryHead() throws {
        var config = smallConfig
        config.onsetHead = true
        config.velocityHead = true
        let weights = LossWeights(onset: 0.6, velocity: 3)
        let single = try TranscriptionNetwork(config: config, seed: 22)
        single.lossWeights = weights
        let parallel = try ParallelNetwork(network: try TranscriptionNetwork(config: config, seed: 22), threads: 2)
        parallel.lossWeights = weights
        let (batch, frames) = (3, 4), count = batch * frames * config.nNotes
        var g = SplitMix64(seed: 7)
        let x = (0..<(batch * frames * config.nBins)).map { _ in Float.random(in: -1...1, using: &g) }
        let y = (0..<count).map { _ in Float(Int.random(in: 0...1, using: &g)) }
        let onsets = (0..<count).map { _ in Float(Int.random(in: 0...5, using: &g) == 0 ? 1 : 0) }
        let velocities = onsets.map { $0 * Float.random(in: 0.1...1, using: &g) }
        x.withUnsafeBufferPointer {
            single.forward($0.baseAddress!, batch: batch, frames: frames, training: true)
            parallel.forward($0.baseAddress!, batch: batch, frames: frames, training: true)
        }
        for head in config.heads {
            #expect(relativeError(Array(parallel.output(head)), Array(single.output(head))) < tolerance, "\(head)")
        }
        let (lossSingle, lossParallel) = y.withUnsafeBufferPointer { f in
            onsets.withUnsafeBufferPointer { o in
                velocities.withUnsafeBufferPointer { v in
                    let targets = HeadTargets(frames: f.baseAddress!, onsets: o.baseAddress!, velocities: v.baseAddress!)
                    return (single.backward(targets: targets), parallel.backward(targets: targets, batch: batch, frames: frames))
                }
            }
        }
        #expect(abs(lossSingle - lossParallel) / lossSingle < tolerance)
        for entry in single.parameters.layout.entries {
            let error = relativeError(parallel.gradients[entry.name], Array(single.gradients[entry.name]))
            #expect(error < tolerance, "\(entry.name): \(error)")
        }
        // The velocity head learns only where a velocity is given: none given, no gradient.
        let none = [Float](repeating: 0, count: count)
        y.withUnsafeBufferPointer { f in
            onsets.withUnsafeBufferPointer { o in
                none.withUnsafeBufferPointer { v in
                    _ = single.backward(targets: HeadTargets(frames: f.baseAddress!, onsets: o.baseAddress!, velocities: v.baseAddress!))
                }
            }
        }
        #expect(single.gradients["velocity.fc2.weight"].allSatisfy { $0 == 0 })
        #expect(single.gradients["onset.fc2.weight"].contains { $0 != 0 })
    }

    /// Dropout reaches every replica, each with masks of its own: two identical windows, one per
    /// core, come out different in training, and alike again once dropout is off.
    @Test func dropoutReachesEveryReplicaWithItsOwnMasks() throws {
        let parallel = try ParallelNetwork(network: try TranscriptionNetwork(config: smallConfig, seed: 21), threads: 2)
        let frames = 4, perWindow = frames * smallConfig.nNotes
        var g = SplitMix64(seed: 5)
        let window = (0..<(frames * smallConfig.nBins)).map { _ in Float.random(in: -1...1, using: &g) }
        let x = window + window
        func logits() -> [Float] {
            x.withUnsafeBufferPointer { Array(parallel.forward($0.baseAddress!, batch: 2, frames: frames, training: true)) }
        }
        let plain = logits()
        #expect(Array(plain[..<perWindow]) == Array(plain[perWindow...]))
        parallel.setDropout(ResidualDropout(rate: 0.3, seed: 1))
        let dropped = logits()
        #expect(Array(dropped[..<perWindow]) != Array(dropped[perWindow...]))
        #expect(Array(dropped[..<perWindow]) != Array(plain[..<perWindow]))
        #expect(logits() == dropped)
        parallel.setDropout(nil)
        #expect(logits() == plain)
    }

    /// One window split between threads by frames and heads gives the one-thread logits.
    @Test(arguments: [2, 3])
    func splitWindowAgreesWithOneThread(parts: Int) throws {
        for config in [smallConfig, ModelConfig()] {
            let net = try TranscriptionNetwork(config: config, seed: 31)
            var g = SplitMix64(seed: 6)
            let frames = 43
            let x = (0..<(frames * config.nBins)).map { _ in Float.random(in: 0...6, using: &g) }
            let expected = x.withUnsafeBufferPointer { Array(net.forward($0.baseAddress!, batch: 1, frames: frames)) }
            let split = x.withUnsafeBufferPointer { Array(net.forwardSplit($0.baseAddress!, frames: frames, parts: parts)) }
            #expect(relativeError(split, expected) < 1e-5)
            // And through ParallelNetwork, which takes this path for a single window.
            let parallel = try ParallelNetwork(network: net, threads: parts)
            let viaParallel = x.withUnsafeBufferPointer { Array(parallel.forward($0.baseAddress!, batch: 1, frames: frames)) }
            #expect(relativeError(viaParallel, expected) < 1e-5)
        }
    }

    @Test func replicasShareTheParameters() throws {
        let net = try TranscriptionNetwork(config: smallConfig, seed: 1)
        let replica = try TranscriptionNetwork(config: smallConfig, sharing: net.parameters)
        #expect(replica.parameters === net.parameters)
        #expect(throws: ModelError.self) {
            try TranscriptionNetwork(config: ModelConfig(c: 2, embedDim: 8, nLayers: 1, nHeads: 2, headDim: 4, nNotes: 5,
                                                         binsPerNote: 2, nBins: 12), sharing: net.parameters)
        }
    }
}

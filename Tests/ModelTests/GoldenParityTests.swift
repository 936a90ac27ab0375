// The Swift network against PyTorch: reference values the project's own PyTorch module made
// (Fixtures/reference-small.safetensors, by scripts/fixtures/make_golden.py) at a small
// configuration - activations, logits, loss, every parameter gradient and two Adam steps - so
// that any clone runs it. The default-size network is the same code at other sizes.
import Foundation
import Testing
@testable import Model

// Tolerances, named with what is achieved on this fixture (relative to each tensor's largest
// value), so that a regression of about 10x shows while a different summation order (OpenBLAS
// kernels, the thread split) does not:
// - activations, logits and loss: achieved 2.7e-7 (float32's own rounding, 6e-8, a few times over);
// - gradients: achieved 1.0e-6;
// - an Adam update (parameters after a step less before): achieved 3.0e-5, set by float32's
//   spacing of the parameters themselves (a parameter near 0.25 moves in steps of 3e-8, a
//   twentieth of a 5e-4 update, 6e-5 of it), not by the optimiser.
let activationTolerance: Float = 2e-6
let gradientTolerance: Float = 1e-5
let adamUpdateTolerance: Float = 1e-4

let goldenPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/reference-small.safetensors").path

/// max |a - b| / max |b|: the relative error of a whole tensor, independent of its scale.
func relativeError(_ a: some Collection<Float>, _ b: [Float]) -> Float {
    precondition(a.count == b.count, "sizes differ: \(a.count) vs \(b.count)")
    let scale = b.map { abs($0) }.max() ?? 0
    let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
    return scale > 0 ? worst / scale : worst
}

/// A reference file's network settings (its `config` JSON, as make_golden.py writes it), with the
/// heads its `outputs` key names.
func goldenConfig(_ golden: SafeTensorsFile) throws -> ModelConfig {
    struct GoldenConfig: Decodable {
        var c, embed_dim, n_layers, n_heads, head_dim, n_notes, mlp_ratio, bins_per_note, n_bins: Int
    }
    let g = try JSONDecoder().decode(GoldenConfig.self, from: Data(golden.metadata["config"]!.utf8))
    var metadata = ModelConfig(c: g.c, embedDim: g.embed_dim, nLayers: g.n_layers, nHeads: g.n_heads, headDim: g.head_dim,
                               nNotes: g.n_notes, binsPerNote: g.bins_per_note, nBins: g.n_bins, mlpRatio: g.mlp_ratio).metadata
    metadata["outputs"] = golden.metadata["outputs"]
    return try ModelConfig(metadata: metadata)
}

/// Every parameter gradient of `net` against the reference's `prefix` + name, within
/// gradientTolerance; returns the worst relative error and its tensor.
func expectGradientsMatch(_ net: TranscriptionNetwork, _ golden: SafeTensorsFile, prefix: String) throws -> (Float, String) {
    var worst: (Float, String) = (0, "")
    for entry in net.parameters.layout.entries {
        let error = relativeError(net.gradients[entry.name], try golden.floats(prefix + entry.name))
        if error > worst.0 { worst = (error, entry.name) }
        #expect(error < gradientTolerance, "\(prefix)\(entry.name): relative error \(error)")
    }
    return worst
}

@Suite struct GoldenParityTests {
    let golden: SafeTensorsFile
    let config: ModelConfig
    let frames: Int

    init() throws {
        golden = try SafeTensorsFile.read(goldenPath)
        config = try goldenConfig(golden)
        frames = Int(golden.metadata["frames"]!)!
    }

    func network(parameters prefix: String) throws -> TranscriptionNetwork {
        let net = try TranscriptionNetwork(config: config)
        try WeightsFile.fill(net.parameters, from: golden, prefix: prefix)
        return net
    }

    @Test func parameterCountMatches() {
        #expect(config.parameterCount == Int(golden.metadata["param_count"]!)!)
        // ...and the default network's, the seed's count.
        #expect(ModelConfig().parameterCount == 1_840_252)
    }

    @Test func positionsMatch() throws {
        let pe = try golden.floats("const.pe")
        #expect(relativeError(sinusoidalPositions(frames: frames, features: config.embedDim), pe) < 1e-6)
    }

    @Test func forwardBackwardAndAdamMatchPyTorch() throws {
        let net = try network(parameters: "param.")
        let x = try golden.floats("input.x"), y = try golden.floats("input.target")
        let shape = golden.info("input.x")!.shape
        let (batch, frames) = (shape[0], shape[1])

        x.withUnsafeBufferPointer { _ = net.forward($0.baseAddress!, batch: batch, frames: frames, training: true) }
        var report: [String] = []
        let blocks = (0..<config.nLayers).map { ("block\($0)", "act.block\($0)") }
        for (mine, reference) in [("encoder", "act.encoder")] + blocks + [("ln_f", "act.ln_f")] {
            let error = relativeError(net.activation(mine)!, try golden.floats(reference))
            report.append("\(reference) \(error)")
            #expect(error < activationTolerance, "\(reference): relative error \(error)")
        }
        let logitsError = relativeError(net.logits, try golden.floats("output.logits"))
        #expect(logitsError < activationTolerance, "logits: relative error \(logitsError)")

        let loss = y.withUnsafeBufferPointer { net.backward(targets: $0.baseAddress!) }
        let referenceLoss = try golden.floats("output.loss")[0]
        #expect(abs(loss - referenceLoss) / referenceLoss < activationTolerance, "loss \(loss) vs \(referenceLoss)")

        let worstGradient = try expectGradientsMatch(net, golden, prefix: "grad.")
        report.append("logits \(logitsError), loss \(loss) vs \(referenceLoss), worst gradient \(worstGradient)")
        print("golden parity:", report.joined(separator: "; "))
    }

    /// Adam checked on its own (golden README): from the stored parameters and gradients, the
    /// update must match PyTorch's; then the second step from the stored adam1 state and grad2.
    @Test func adamStepsMatchPyTorch() throws {
        let layout = ParameterLayout(config)
        let parameters = ParameterBlock(layout: layout), gradients = ParameterBlock(layout: layout)
        let stored = golden
        try WeightsFile.fill(parameters, from: stored, prefix: "param.")
        try WeightsFile.fill(gradients, from: stored, prefix: "grad.")
        let adam = AdamOptimizer(layout: layout, settings: AdamSettings(learningRate: 5e-4))
        var worst: Float = 0
        for (step, (before, gradient, after)) in [("param.", "grad.", "adam1."), ("adam1.", "grad2.", "adam2.")].enumerated() {
            try WeightsFile.fill(parameters, from: stored, prefix: before)
            try WeightsFile.fill(gradients, from: stored, prefix: gradient)
            adam.update(parameters, gradients: gradients)
            for entry in layout.entries {
                let start = try stored.floats(before + entry.name), end = try stored.floats(after + entry.name)
                let mine = zip(parameters[entry.name], start).map { $0 - $1 }
                let reference = zip(end, start).map { $0 - $1 }
                let error = relativeError(mine, reference)
                worst = max(worst, error)
                #expect(error < adamUpdateTolerance, "Adam step \(step + 1), \(entry.name): relative error \(error)")
            }
        }
        print("golden parity: worst Adam update \(worst)")
    }

    /// The loss and gradients at the adam1 parameters match too (a second, independent point).
    @Test func secondPointMatches() throws {
        let net = try network(parameters: "adam1.")
        let x = try golden.floats("input.x"), y = try golden.floats("input.target")
        x.withUnsafeBufferPointer { _ = net.forward($0.baseAddress!, batch: 2, frames: frames, training: true) }
        let loss = y.withUnsafeBufferPointer { net.backward(targets: $0.baseAddress!) }
        let reference = try golden.floats("adam1.loss")[0]
        #expect(abs(loss - reference) / reference < activationTolerance, "loss \(loss) vs \(reference)")
        let worst = try expectGradientsMatch(net, golden, prefix: "grad2.")
        print("golden parity: second point loss \(loss) vs \(reference), worst gradient \(worst)")
    }
}

/// The onset and velocity heads and the weighted loss against the same PyTorch module
/// (Fixtures/reference-heads.safetensors, `make_golden.py --heads`): the network with outputs
/// frame,onset,velocity, loss weights (and the onsets' positive weight) other than 1, each head's logits and every gradient.
@Suite struct HeadsParityTests {
    @Test func headsAndWeightedLossMatchPyTorch() throws {
        let path = URL(fileURLWithPath: goldenPath).deletingLastPathComponent().appendingPathComponent("reference-heads.safetensors").path
        let golden = try SafeTensorsFile.read(path)
        struct GoldenWeights: Decodable { var onset, velocity, onsetPositive: Float }
        let config = try goldenConfig(golden)   // the heads come from the file's own key
        #expect(config.heads == [.frame, .onset, .velocity])
        #expect(config.parameterCount == Int(golden.metadata["param_count"]!)!)
        let weights = try JSONDecoder().decode(GoldenWeights.self, from: Data(golden.metadata["loss_weights"]!.utf8))

        let net = try TranscriptionNetwork(config: config)
        try WeightsFile.fill(net.parameters, from: golden, prefix: "param.")
        net.lossWeights = LossWeights(onset: weights.onset, velocity: weights.velocity, onsetPositive: weights.onsetPositive)
        let x = try golden.floats("input.x"), frames = try golden.floats("input.target")
        let onsets = try golden.floats("input.onset"), velocities = try golden.floats("input.velocity")
        let shape = golden.info("input.x")!.shape
        x.withUnsafeBufferPointer { _ = net.forward($0.baseAddress!, batch: shape[0], frames: shape[1], training: true) }
        var report: [String] = []
        for head in config.heads {
            let error = relativeError(net.output(head), try golden.floats("output.\(head.rawValue)"))
            report.append("\(head) logits \(error)")
            #expect(error < activationTolerance, "\(head) logits: relative error \(error)")
        }
        let loss = frames.withUnsafeBufferPointer { f in
            onsets.withUnsafeBufferPointer { o in
                velocities.withUnsafeBufferPointer { v in
                    net.backward(targets: HeadTargets(frames: f.baseAddress!, onsets: o.baseAddress!, velocities: v.baseAddress!))
                }
            }
        }
        let reference = try golden.floats("output.loss")[0]
        #expect(abs(loss - reference) / reference < activationTolerance, "loss \(loss) vs \(reference)")
        let worst = try expectGradientsMatch(net, golden, prefix: "grad.")
        print("heads parity:", report.joined(separator: "; "), "loss \(loss) vs \(reference), worst gradient \(worst)")
    }
}

// The Swift network against PyTorch: the reference values in ../shared/golden (README there).
// Loads the reference weights, runs the reference batch, and compares activations, logits,
// loss, every parameter gradient and two Adam steps. This test proves the model is the seed's.
import Foundation
import Testing
@testable import Model

/// Float32 PyTorch differs from a float64 rerun by ~6e-7 on logits and ~4e-6 on gradients
/// (golden README); these bounds leave room for a different summation order and fast GELU.
let activationTolerance: Float = 1e-4
let gradientTolerance: Float = 1e-3
let adamUpdateTolerance: Float = 1e-3

/// ../shared/golden/reference-default.safetensors beside the package root, if this checkout has it.
let goldenPath: String? = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let path = root.deletingLastPathComponent().appendingPathComponent("shared/golden/reference-default.safetensors").path
    return FileManager.default.fileExists(atPath: path) ? path : nil
}()

/// max |a - b| / max |b|: the relative error of a whole tensor, independent of its scale.
func relativeError(_ a: some Collection<Float>, _ b: [Float]) -> Float {
    precondition(a.count == b.count, "sizes differ: \(a.count) vs \(b.count)")
    let scale = b.map { abs($0) }.max() ?? 0
    let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
    return scale > 0 ? worst / scale : worst
}

@Suite(.enabled(if: goldenPath != nil, "needs ../shared/golden/reference-default.safetensors (the workspace's shared folder)"))
struct GoldenParityTests {
    let golden: SafeTensorsFile
    let config: ModelConfig

    init() throws {
        golden = try SafeTensorsFile.read(goldenPath!)
        struct GoldenConfig: Decodable {
            var c, embed_dim, n_layers, n_heads, head_dim, n_notes, mlp_ratio, bins_per_note, n_bins: Int
        }
        let g = try JSONDecoder().decode(GoldenConfig.self, from: Data(golden.metadata["config"]!.utf8))
        config = ModelConfig(c: g.c, embedDim: g.embed_dim, nLayers: g.n_layers, nHeads: g.n_heads, headDim: g.head_dim,
                             nNotes: g.n_notes, binsPerNote: g.bins_per_note, nBins: g.n_bins, mlpRatio: g.mlp_ratio)
    }

    func network(parameters prefix: String) throws -> TranscriptionNetwork {
        let net = try TranscriptionNetwork(config: config)
        try WeightsFile.fill(net.parameters, from: golden, prefix: prefix)
        return net
    }

    @Test func parameterCountMatches() {
        #expect(config.parameterCount == Int(golden.metadata["param_count"]!)!)
        #expect(config.parameterCount == 1_840_252)
    }

    @Test func positionsMatch() throws {
        let pe = try golden.floats("const.pe")
        #expect(relativeError(sinusoidalPositions(frames: 43, features: config.embedDim), pe) < 1e-6)
    }

    @Test func forwardBackwardAndAdamMatchPyTorch() throws {
        let net = try network(parameters: "param.")
        let x = try golden.floats("input.x"), y = try golden.floats("input.target")
        let shape = golden.info("input.x")!.shape
        let (batch, frames) = (shape[0], shape[1])

        x.withUnsafeBufferPointer { _ = net.forward($0.baseAddress!, batch: batch, frames: frames, training: true) }
        var report: [String] = []
        for (mine, reference) in [("encoder", "act.encoder"), ("block0", "act.block0"), ("block1", "act.block1"),
                                  ("block2", "act.block2"), ("block3", "act.block3"), ("ln_f", "act.ln_f")] {
            let error = relativeError(net.activation(mine)!, try golden.floats(reference))
            report.append("\(reference) \(error)")
            #expect(error < activationTolerance, "\(reference): relative error \(error)")
        }
        let logitsError = relativeError(net.logits, try golden.floats("output.logits"))
        #expect(logitsError < activationTolerance, "logits: relative error \(logitsError)")

        let loss = y.withUnsafeBufferPointer { net.backward(targets: $0.baseAddress!) }
        let referenceLoss = try golden.floats("output.loss")[0]
        #expect(abs(loss - referenceLoss) / referenceLoss < activationTolerance, "loss \(loss) vs \(referenceLoss)")

        var worstGradient: (Float, String) = (0, "")
        for entry in net.parameters.layout.entries {
            let error = relativeError(net.gradients[entry.name], try golden.floats("grad." + entry.name))
            if error > worstGradient.0 { worstGradient = (error, entry.name) }
            #expect(error < gradientTolerance, "grad \(entry.name): relative error \(error)")
        }
        report.append("logits \(logitsError), loss \(loss) vs \(referenceLoss), worst gradient \(worstGradient)")
        print("golden parity:", report.joined(separator: "; "))
    }

    /// Adam checked on its own (golden README): from the stored parameters and gradients, the
    /// update must match PyTorch's; then the second step from the stored adam1 state and grad2.
    @Test func adamStepsMatchPyTorch() throws {
        let layout = ParameterLayout(config)
        let parameters = ParameterBlock(layout: layout), gradients = ParameterBlock(layout: layout)
        let stored = try SafeTensorsFile.read(goldenPath!)
        try WeightsFile.fill(parameters, from: stored, prefix: "param.")
        try WeightsFile.fill(gradients, from: stored, prefix: "grad.")
        let adam = AdamOptimizer(layout: layout, settings: AdamSettings(learningRate: 5e-4))
        for (step, (before, gradient, after)) in [("param.", "grad.", "adam1."), ("adam1.", "grad2.", "adam2.")].enumerated() {
            try WeightsFile.fill(parameters, from: stored, prefix: before)
            try WeightsFile.fill(gradients, from: stored, prefix: gradient)
            adam.update(parameters, gradients: gradients)
            for entry in layout.entries {
                let start = try stored.floats(before + entry.name), end = try stored.floats(after + entry.name)
                let mine = zip(parameters[entry.name], start).map { $0 - $1 }
                let reference = zip(end, start).map { $0 - $1 }
                let error = relativeError(mine, reference)
                #expect(error < adamUpdateTolerance, "Adam step \(step + 1), \(entry.name): relative error \(error)")
            }
        }
    }

    /// The loss and gradients at the adam1 parameters match too (a second, independent point).
    @Test func secondPointMatches() throws {
        let net = try network(parameters: "adam1.")
        let x = try golden.floats("input.x"), y = try golden.floats("input.target")
        x.withUnsafeBufferPointer { _ = net.forward($0.baseAddress!, batch: 2, frames: 43, training: true) }
        let loss = y.withUnsafeBufferPointer { net.backward(targets: $0.baseAddress!) }
        let reference = try golden.floats("adam1.loss")[0]
        #expect(abs(loss - reference) / reference < activationTolerance, "loss \(loss) vs \(reference)")
        for entry in net.parameters.layout.entries {
            let error = relativeError(net.gradients[entry.name], try golden.floats("grad2." + entry.name))
            #expect(error < gradientTolerance, "grad2 \(entry.name): relative error \(error)")
        }
    }
}

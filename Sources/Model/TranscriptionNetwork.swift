// TranscriptionNetwork: the CNN + transformer of docs/MODEL.md - its parameters, gradients and
// saved activations. The parts, each forward beside its backward, are the extensions
// +Encoder, +Block and +Head; +Schedule runs them in order (and splits the forward between threads).
// Sizes: B windows, T frames, F bins, C = 4c channels, N notes pooled, D width, K notes out.
//
//   x (B, T, F) -> conv1 + ReLU -> conv2 + ReLU -> max-pool over frequency -> (B, T, C*N)
//   -> encoder.proj (B, T, D) + positions (+ context.weight x the window's context summary, when
//   the network has one: +Context) -> n_layers pre-LN blocks -> ln_f
//   -> decoder.fc1 + GELU -> decoder.fc2 -> frame logits (B, T, K)
//   (and, when the network has them, onset.* -> onset logits, velocity.* -> velocity logits, the same way)
import Support

/// The network with its parameters, its gradients (once a backward has run) and its saved
/// activations. One instance belongs to one thread at a time.
public final class TranscriptionNetwork {
    public let config: ModelConfig
    public let parameters: ParameterBlock
    /// dLoss/dparameters of the last `backward`, same layout as `parameters`.
    public let gradients: ParameterBlock

    let weights: NetworkTensors
    let grads: NetworkTensors
    /// The Linear weights the forward multiplies by: the parameters' own, and once the network
    /// is frozen their packed copies.
    var linears: LinearWeights { inference?.linears ?? plainLinears }
    private let plainLinears: LinearWeights
    private(set) var inference: InferenceWeights?
    /// oneDNN's products of a frozen network, one cache per part of a split forward.
    var matmuls: [MatmulCache] = []
    var activations: Activations?
    /// The scratch of `encode` (the encoder alone), apart from the forward's.
    var encoderActivations: Activations?
    /// Residual dropout for forwards with `training: true` (nil or rate 0: none). Inference never drops.
    public var dropout: ResidualDropout?
    /// How the heads' losses add up in `backward` (a frame-only network has only the first term).
    public var lossWeights = LossWeights()
    var positions: [Float] = []
    private var positionFrames = -1

    /// A network with every parameter zero (fill it from a weights file), or a replica that reads
    /// the parameters of another (`sharing`), with activations and gradients of its own.
    public init(config: ModelConfig, sharing shared: ParameterBlock? = nil) throws(ModelError) {
        try config.validate()
        self.config = config
        let layout = ParameterLayout(config)
        if let shared {
            guard shared.layout == layout else {
                throw .invalidConfig("a replica must have the settings of the network it shares parameters with")
            }
            parameters = shared
        } else {
            parameters = ParameterBlock(layout: layout)
        }
        gradients = ParameterBlock(layout: layout)
        weights = NetworkTensors(parameters, config: config)
        grads = NetworkTensors(gradients, config: config)
        plainLinears = LinearWeights(weights)
    }

    /// Declares that the parameters will not change again - a network that only transcribes -
    /// and packs the Linear weights once for oneDNN, which runs their products from then on
    /// (PackedLinear). A frozen network does not train, and changing its parameters afterwards
    /// leaves the packed copies stale.
    public func freeze() {
        if inference == nil { freeze(sharing: InferenceWeights(parameters, config: config)) }
    }

    /// Freezes a replica with the packed weights of the network it shares parameters with.
    func freeze(sharing packed: InferenceWeights) {
        inference = packed
        if matmuls.isEmpty { matmuls = [MatmulCache()] }
    }

    public var isFrozen: Bool { inference != nil }

    /// out (rows, O) = inp (rows, I) W^T + bias, or out += that with `accumulate`: on oneDNN
    /// with the weight packed once when the network is frozen, else on OpenBLAS. `part`: which
    /// part of a split forward calls (each has its own oneDNN state).
    func linear(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: LinearWeight,
                _ bias: UnsafePointer<Float>, rows: Int, inputs: Int, outputs: Int, part: Int, accumulate: Bool = false) {
        if let packed = weight.packed {
            matmuls[part].run(packed, out, inp, rows: rows, accumulate: accumulate)
        } else if accumulate {
            linearAccumulate(out, inp, weight.pointer, bias, rows: rows, inputs: inputs, outputs: outputs)
        } else {
            linearForward(out, inp, weight.pointer, bias, rows: rows, inputs: inputs, outputs: outputs)
        }
    }

    /// A freshly initialised network, as PyTorch initialises one: Linear and Conv2d weights and
    /// biases uniform in +-1/sqrt(fan_in), LayerNorm weight 1 and bias 0. Repeatable from `seed`.
    public convenience init(config: ModelConfig, seed: UInt64) throws(ModelError) {
        try self.init(config: config)
        var generator = SeededGenerator(seed: seed)
        for entry in parameters.layout.entries {
            let values = parameters[entry.name]
            if entry.name.contains("ln") {
                values.update(repeating: entry.name.hasSuffix(".weight") ? 1 : 0)
                continue
            }
            let weightName = entry.name.hasSuffix(".bias") ? String(entry.name.dropLast(5)) + ".weight" : entry.name
            let fanIn = parameters.layout.entry(weightName)!.shape.dropFirst().reduce(1, *)
            let bound = 1 / Float(fanIn).squareRoot()
            for i in values.indices { values[i] = Float.random(in: -bound...bound, using: &generator) }
        }
    }

    /// The frame head's logits of the last forward, (B, T, K); valid until the next forward.
    public var logits: UnsafeBufferPointer<Float> { output(.frame) }

    /// A head's logits of the last forward, (B, T, K), empty if the network has no such head;
    /// valid until the next forward.
    public func output(_ head: NetworkHead) -> UnsafeBufferPointer<Float> {
        guard let acts = activations, let h = config.heads.firstIndex(of: head) else {
            return UnsafeBufferPointer(start: nil, count: 0)
        }
        return UnsafeBufferPointer(start: acts.outputs[h], count: acts.rows * config.nNotes)
    }

    /// Makes the activations fit (batch, frames) - reallocating only for other frames, a larger
    /// batch than they hold, training or more threads - and the positions fit `frames`.
    /// `extraScratch` im2col buffers are kept for split-window threads.
    func prepare(batch: Int, frames: Int, training: Bool, extraScratch: Int = 0) {
        if isFrozen { while matmuls.count < max(1, extraScratch) { matmuls.append(MatmulCache()) } }
        if let acts = activations, acts.capacity >= batch, acts.frames == frames,
           !training || acts.trainingReady, acts.extraCols.count >= extraScratch {
            acts.batch = batch
        } else {
            activations = Activations(config: config, batch: batch, frames: frames, training: training, extraScratch: extraScratch)
        }
        if positionFrames != frames {
            positions = sinusoidalPositions(frames: frames, features: config.embedDim)
            positionFrames = frames
        }
    }

    /// Saved activations of the last forward, for tests that compare against a reference:
    /// "encoder" (before positions; not written by a forward from `.encoded` frames), "block{i}"
    /// (residual after block i), "ln_f" - each (B, T, D).
    public func activation(_ name: String) -> UnsafeBufferPointer<Float>? {
        guard let acts = activations else { return nil }
        let count = acts.rows * config.embedDim
        if name == "encoder" { return UnsafeBufferPointer(start: acts.encoded, count: count) }
        if name == "ln_f" { return UnsafeBufferPointer(start: acts.lnF, count: count) }
        if name.hasPrefix("block"), let i = Int(name.dropFirst(5)), i < config.nLayers {
            return UnsafeBufferPointer(start: acts.residual[2 * i + 2], count: count)
        }
        return nil
    }
}

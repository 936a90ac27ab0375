// TranscriptionNetwork: the CNN + transformer of MODEL.md, forward and backward.
// Sizes: B windows, T frames, F bins, C = 4c channels, N notes pooled, D width, K notes out.
//
//   x (B, T, F) -> conv1 + ReLU -> conv2 + ReLU -> max-pool over frequency -> (B, T, C*N)
//   -> encoder.proj (B, T, D) + positions -> n_layers pre-LN blocks -> ln_f
//   -> decoder.fc1 + GELU -> decoder.fc2 -> logits (B, T, K)
import Support

/// The network with its parameters, its gradients (once a backward has run) and its saved
/// activations. One instance belongs to one thread at a time.
public final class TranscriptionNetwork {
    public let config: ModelConfig
    public let parameters: ParameterBlock
    /// dLoss/dparameters of the last `backward`, same layout as `parameters`.
    public let gradients: ParameterBlock

    let weights: NetworkTensors
    private let grads: NetworkTensors
    var activations: Activations?
    /// Residual dropout for forwards with `training: true` (nil or rate 0: none). Inference never drops.
    public var dropout: ResidualDropout?
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
        weights = NetworkTensors(parameters, layers: config.nLayers)
        grads = NetworkTensors(gradients, layers: config.nLayers)
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

    /// The logits of the last forward, (B, T, K); valid until the next forward.
    public var logits: UnsafeBufferPointer<Float> {
        guard let acts = activations else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: acts.logits, count: acts.rows * config.nNotes)
    }

    /// Runs the network on `input` (B, T, F) and returns the logits (B, T, K), valid until the
    /// next call. `training` keeps the scratch the backward needs.
    @discardableResult
    public func forward(_ input: UnsafePointer<Float>, batch: Int, frames: Int,
                        training: Bool = false) -> UnsafeBufferPointer<Float> {
        forwardRows(input, batch: batch, frames: frames, training: training, parts: 1)
    }

    /// Makes the activations fit (batch, frames) - reallocating only when they change - and the
    /// positions fit `frames`. `extraScratch` im2col buffers are kept for split-window threads.
    func prepare(batch: Int, frames: Int, training: Bool, extraScratch: Int = 0) {
        if let acts = activations, acts.batch == batch, acts.frames == frames,
           !training || acts.trainingReady, acts.extraCols.count >= extraScratch {
        } else {
            activations = Activations(config: config, batch: batch, frames: frames, training: training, extraScratch: extraScratch)
        }
        if positionFrames != frames {
            positions = sinusoidalPositions(frames: frames, features: config.embedDim)
            positionFrames = frames
        }
    }

    /// Back-propagates the mean BCE of the last forward (run with `training: true`) against
    /// `targets` (B, T, K) into `gradients`, which it overwrites. Returns the loss.
    @discardableResult
    public func backward(targets: UnsafePointer<Float>) -> Float {
        guard let acts = activations, acts.trainingReady else {
            preconditionFailure("backward needs a forward with training: true first")
        }
        let cfg = config, w = weights, g = grads
        let batch = acts.batch, frames = acts.frames
        let r = acts.rows, f = cfg.nBins, c = cfg.channels, k = cfg.kernelSize
        let n = cfg.pooledNotes, d = cfg.embedDim, m = cfg.hiddenWidth, a = cfg.attentionWidth
        gradients.zero()

        // Head, from the loss back to ln_f
        let loss = binaryCrossEntropyWithLogits(acts.dLogits, acts.logits, targets, count: r * cfg.nNotes)
        acts.dDecGelu.update(repeating: 0, count: r * d)
        linearBackward(acts.dDecGelu, g.dec2Weight, g.dec2Bias, acts.dLogits, acts.dec1Gelu, w.dec2Weight,
                       rows: r, inputs: d, outputs: cfg.nNotes)
        acts.dDec.update(repeating: 0, count: r * d)
        geluBackward(acts.dDec, acts.dec1, acts.dDecGelu, count: r * d)
        acts.dNorm.update(repeating: 0, count: r * d)
        linearBackward(acts.dNorm, g.dec1Weight, g.dec1Bias, acts.dDec, acts.lnF, w.dec1Weight, rows: r, inputs: d, outputs: d)
        acts.dResidual.update(repeating: 0, count: r * d)
        layerNormBackward(acts.dResidual, g.lnFWeight, g.lnFBias, acts.dNorm, acts.residual[2 * cfg.nLayers],
                          w.lnFWeight, acts.lnFMean, acts.lnFRstd, rows: r, features: d)

        // Blocks in reverse; dResidual carries dLoss/d(residual stream)
        for l in stride(from: cfg.nLayers - 1, through: 0, by: -1) {
            let blk = w.blocks[l], gb = g.blocks[l]
            let input = acts.residual[2 * l], middle = acts.residual[2 * l + 1]
            // output = middle + fc2(gelu(fc1(ln2(middle))))
            // (times the block's MLP mask when the forward dropped: the skip path carries dResidual as it is)
            if acts.dropping { multiplyMask(acts.dBranch, acts.dResidual, acts.dropMasks[2 * l + 1], count: r * d) }
            acts.dHiddenGelu.update(repeating: 0, count: r * m)
            linearBackward(acts.dHiddenGelu, gb.fc2Weight, gb.fc2Bias, acts.dropping ? acts.dBranch : acts.dResidual,
                           acts.fc1Gelu[l], blk.fc2Weight, rows: r, inputs: m, outputs: d)
            acts.dHidden.update(repeating: 0, count: r * m)
            geluBackward(acts.dHidden, acts.fc1[l], acts.dHiddenGelu, count: r * m)
            acts.dNorm.update(repeating: 0, count: r * d)
            linearBackward(acts.dNorm, gb.fc1Weight, gb.fc1Bias, acts.dHidden, acts.ln2[l], blk.fc1Weight,
                           rows: r, inputs: d, outputs: m)
            layerNormBackward(acts.dResidual, gb.ln2Weight, gb.ln2Bias, acts.dNorm, middle, blk.ln2Weight,
                              acts.ln2Mean[l], acts.ln2Rstd[l], rows: r, features: d)
            // middle = input + out(attention(qkv(ln1(input)))) (times the attention mask when dropping)
            if acts.dropping { multiplyMask(acts.dBranch, acts.dResidual, acts.dropMasks[2 * l], count: r * d) }
            acts.dAttY.update(repeating: 0, count: r * a)
            linearBackward(acts.dAttY, gb.outWeight, gb.outBias, acts.dropping ? acts.dBranch : acts.dResidual,
                           acts.attY[l], blk.outWeight, rows: r, inputs: a, outputs: d)
            acts.dQKV.update(repeating: 0, count: r * 3 * a)
            attentionBackward(acts.dQKV, acts.dScores, acts.dAttY, acts.qkv[l], acts.att[l],
                              batch: batch, frames: frames, heads: cfg.nHeads, headDim: cfg.headDim)
            acts.dNorm.update(repeating: 0, count: r * d)
            linearBackward(acts.dNorm, gb.qkvWeight, gb.qkvBias, acts.dQKV, acts.ln1[l], blk.qkvWeight,
                           rows: r, inputs: d, outputs: 3 * a)
            layerNormBackward(acts.dResidual, gb.ln1Weight, gb.ln1Bias, acts.dNorm, input, blk.ln1Weight,
                              acts.ln1Mean[l], acts.ln1Rstd[l], rows: r, features: d)
        }

        // Encoder: the positions are constants, so dLoss/d(encoded) = dResidual
        acts.dPooled.update(repeating: 0, count: r * c * n)
        linearBackward(acts.dPooled, g.projWeight, g.projBias, acts.dResidual, acts.pooled, w.projWeight,
                       rows: r, inputs: c * n, outputs: d)
        frequencyMaxPoolBackward(acts.dA2, acts.dPooled, acts.poolIndex, channels: c, rows: r, bins: f, pool: cfg.binsPerNote)
        reluBackward(acts.dA2, acts.a2, count: c * r * f)
        acts.dA1.update(repeating: 0, count: c * r * f)
        frequencyConvBackward(acts.dA1, g.conv2Weight, g.conv2Bias, acts.cols, acts.dCols, acts.dA2, acts.a1, w.conv2Weight,
                              channelsIn: c, channelsOut: c, rows: r, bins: f, kernel: k)
        reluBackward(acts.dA1, acts.a1, count: c * r * f)
        frequencyConvBackward(nil, g.conv1Weight, g.conv1Bias, acts.cols, acts.dCols, acts.dA1, acts.input, w.conv1Weight,
                              channelsIn: 1, channelsOut: c, rows: r, bins: f, kernel: k)
        return loss
    }

    /// Saved activations of the last forward, for tests that compare against a reference:
    /// "encoder" (before positions), "block{i}" (residual after block i), "ln_f" - each (B, T, D).
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

/// out[R, O] += inp[R, I] W[O, I]^T + bias[O]: a Linear whose output adds onto a residual.
func linearAccumulate(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                      _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
                      rows: Int, inputs: Int, outputs: Int) {
    for r in 0..<rows {
        let row = out + r * outputs
        for o in 0..<outputs { row[o] += bias[o] }
    }
    sgemm(.none, .transpose, m: rows, n: outputs, k: inputs, inp, weight, beta: 1, out)
}

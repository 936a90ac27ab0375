// The heads, forward beside backward: ln_f, then per head (frame, onset, velocity) fc1 + GELU,
// fc2 -> logits, and the losses the backward starts from. Frame by frame, so the forward takes rows.
// Sizes: R = B*T rows, D width, K notes out.

/// What the backward compares the heads' outputs with, each (B, T, K). `onsets`: 1 in the frame a
/// labelled note begins. `velocities`: velocity / 127 in the frame a note with a known velocity
/// begins, 0 everywhere else (only those entries train the velocity head). A head whose targets
/// are nil is not trained by this batch (its gradients stay zero).
public struct HeadTargets {
    public var frames: UnsafePointer<Float>
    public var onsets: UnsafePointer<Float>?
    public var velocities: UnsafePointer<Float>?

    public init(frames: UnsafePointer<Float>, onsets: UnsafePointer<Float>? = nil, velocities: UnsafePointer<Float>? = nil) {
        self.frames = frames
        self.onsets = onsets
        self.velocities = velocities
    }

    /// The targets `count` values further on (a later shard of the batch).
    public func advanced(by count: Int) -> HeadTargets {
        HeadTargets(frames: frames + count, onsets: onsets.map { $0 + count }, velocities: velocities.map { $0 + count })
    }
}

/// How the heads' losses add up: frame BCE + onset x onset BCE + velocity x velocity error.
/// Every term is a mean over all B*T*K entries (the velocity error is summed over the entries it
/// trains, then divided by all of them), so a batch's loss is exactly the size-weighted mean of
/// its shards' - what splitting a batch across threads and processes relies on. `onsetPositive`
/// weights the onset BCE's positive entries (PyTorch's pos_weight): onsets are about 0.3% of
/// the entries, and with 1 the head hedges below the decoder's threshold.
public struct LossWeights: Sendable, Equatable, Codable {
    public var onset: Float = 1
    public var velocity: Float = 1
    public var onsetPositive: Float = 1
    public init(onset: Float = 1, velocity: Float = 1, onsetPositive: Float = 1) {
        self.onset = onset
        self.velocity = velocity
        self.onsetPositive = onsetPositive
    }
}

extension TranscriptionNetwork {
    /// Rows `rows` of the heads, from the last residual stream to each head's logits.
    func headForward(rows: Range<Int>, part: Int = 0) {
        let acts = activations!, w = weights, cfg = config, d = cfg.embedDim, o = rows.lowerBound
        let last = acts.residual[2 * cfg.nLayers]
        layerNormForward(acts.lnF + o * d, acts.lnFMean + o, acts.lnFRstd + o, last + o * d, w.lnFWeight, w.lnFBias,
                         rows: rows.count, features: d)
        for (h, head) in w.heads.enumerated() {
            let lin = linears.heads[h]
            linear(acts.dec1[h] + o * d, acts.lnF + o * d, lin.fc1, head.fc1Bias, rows: rows.count, inputs: d, outputs: d, part: part)
            geluForward(acts.dec1Gelu[h] + o * d, acts.dec1[h] + o * d, count: rows.count * d)
            linear(acts.outputs[h] + o * cfg.nNotes, acts.dec1Gelu[h] + o * d, lin.fc2, head.fc2Bias,
                   rows: rows.count, inputs: d, outputs: cfg.nNotes, part: part)
        }
    }

    /// The weighted loss of the heads against `targets`, and its gradient back to the last
    /// residual stream, into `dResidual` (overwritten), with the heads' parameter gradients.
    func headBackward(targets: HeadTargets) -> Float {
        let acts = activations!, w = weights, g = grads, cfg = config, r = acts.rows, d = cfg.embedDim
        let count = r * cfg.nNotes
        var loss: Float = 0
        acts.dNorm.update(repeating: 0, count: r * d)
        for (h, head) in cfg.heads.enumerated() {
            guard let term = headLossTerm(head, acts.dLogits, acts.outputs[h], count: count, targets: targets, weights: lossWeights)
            else { continue }
            loss += term
            linearBackward(acts.dDecGelu, g.heads[h].fc2Weight, g.heads[h].fc2Bias, acts.dLogits, acts.dec1Gelu[h], w.heads[h].fc2Weight,
                           rows: r, inputs: d, outputs: cfg.nNotes, accumulateInput: false)
            geluBackward(acts.dDec, acts.dec1[h], acts.dDecGelu, count: r * d, accumulate: false)
            linearBackward(acts.dNorm, g.heads[h].fc1Weight, g.heads[h].fc1Bias, acts.dDec, acts.lnF, w.heads[h].fc1Weight,
                           rows: r, inputs: d, outputs: d)
        }
        acts.dResidual.update(repeating: 0, count: r * d)
        layerNormBackward(acts.dResidual, g.lnFWeight, g.lnFBias, acts.dNorm, acts.residual[2 * cfg.nLayers],
                          w.lnFWeight, acts.lnFMean, acts.lnFRstd, rows: r, features: d)
        return loss
    }
}

/// The weighted loss of heads' logits (each (B, T, K), from `logits`) against `targets`, without
/// gradients: what `backward` returns, for a validation pass.
public func headLoss(_ heads: [NetworkHead], logits: (NetworkHead) -> UnsafeBufferPointer<Float>, targets: HeadTargets,
                     weights: LossWeights) -> Float {
    heads.reduce(0) { loss, head in
        let z = logits(head)
        return loss + (headLossTerm(head, nil, z.baseAddress!, count: z.count, targets: targets, weights: weights) ?? 0)
    }
}

/// One head's weighted term of the loss (MODEL.md) for `count` logits, and its gradient into
/// `dlogits` when given; nil when the batch has no targets for the head (it is not trained).
func headLossTerm(_ head: NetworkHead, _ dlogits: UnsafeMutablePointer<Float>?, _ logits: UnsafePointer<Float>, count: Int,
                  targets: HeadTargets, weights: LossWeights) -> Float? {
    let term: Float, weight: Float
    switch head {
    case .frame:
        return binaryCrossEntropyWithLogits(dlogits, logits, targets.frames, count: count)
    case .onset:
        guard let onsets = targets.onsets else { return nil }
        (term, weight) = (binaryCrossEntropyWithLogits(dlogits, logits, onsets, count: count, positiveWeight: weights.onsetPositive),
                          weights.onset)
    case .velocity:
        guard let velocities = targets.velocities else { return nil }
        (term, weight) = (maskedSquaredErrorOfSigmoid(dlogits, logits, velocities, count: count), weights.velocity)
    }
    if let dlogits, weight != 1 { for i in 0..<count { dlogits[i] *= weight } }
    return weight * term
}

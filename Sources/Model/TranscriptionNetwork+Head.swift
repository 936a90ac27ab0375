// The head, forward beside backward: ln_f, decoder.fc1 + GELU, decoder.fc2 -> logits, and the
// binary cross-entropy the backward starts from. Frame by frame, so its forward takes rows.
// Sizes: R = B*T rows, D width, K notes out.

extension TranscriptionNetwork {
    /// Rows `rows` of the head, from the last residual stream to the logits.
    func headForward(rows: Range<Int>) {
        let acts = activations!, w = weights, cfg = config, d = cfg.embedDim, o = rows.lowerBound
        let last = acts.residual[2 * cfg.nLayers]
        layerNormForward(acts.lnF + o * d, acts.lnFMean + o, acts.lnFRstd + o, last + o * d, w.lnFWeight, w.lnFBias,
                         rows: rows.count, features: d)
        linearForward(acts.dec1 + o * d, acts.lnF + o * d, w.dec1Weight, w.dec1Bias, rows: rows.count, inputs: d, outputs: d)
        geluForward(acts.dec1Gelu + o * d, acts.dec1 + o * d, count: rows.count * d)
        linearForward(acts.logits + o * cfg.nNotes, acts.dec1Gelu + o * d, w.dec2Weight, w.dec2Bias, rows: rows.count,
                      inputs: d, outputs: cfg.nNotes)
    }

    /// The mean BCE of the logits against `targets` (R, K), and its gradient back to the last
    /// residual stream, into `dResidual` (overwritten), with the head's parameter gradients.
    func headBackward(targets: UnsafePointer<Float>) -> Float {
        let acts = activations!, w = weights, g = grads, cfg = config, r = acts.rows, d = cfg.embedDim
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
        return loss
    }
}

// The encoder, forward beside backward: conv1 + ReLU, conv2 + ReLU, max-pool over frequency,
// encoder.proj, plus the fixed positions. Frame by frame, so its forward takes a range of rows.
// Sizes: R = B*T rows, F bins, C channels, k taps, N pooled notes, D width.

extension TranscriptionNetwork {
    /// Rows `rows` of the encoder for `input` (R, F), into the first residual stream (with the
    /// positions added). `part` picks the im2col scratch when rows are split between threads.
    func encoderForward(_ input: UnsafePointer<Float>, rows: Range<Int>, part: Int, parts: Int) {
        let acts = activations!, w = weights, cfg = config
        let r = acts.rows, f = cfg.nBins, c = cfg.channels, k = cfg.kernelSize
        let n = cfg.pooledNotes, d = cfg.embedDim, plane = r * f
        let cols = parts == 1 ? acts.cols : acts.extraCols[part]
        (acts.input + rows.lowerBound * f).update(from: input + rows.lowerBound * f, count: rows.count * f)
        frequencyConvForward(acts.a1, cols, input, w.conv1Weight, w.conv1Bias, channelsIn: 1, channelsOut: c,
                             rows: r, bins: f, kernel: k, rowRange: rows)
        for ch in 0..<c { reluForward(acts.a1 + ch * plane + rows.lowerBound * f, count: rows.count * f) }
        frequencyConvForward(acts.a2, cols, acts.a1, w.conv2Weight, w.conv2Bias, channelsIn: c, channelsOut: c,
                             rows: r, bins: f, kernel: k, rowRange: rows)
        for ch in 0..<c { reluForward(acts.a2 + ch * plane + rows.lowerBound * f, count: rows.count * f) }
        frequencyMaxPoolForward(acts.pooled, acts.poolIndex, acts.a2, channels: c, rows: r, bins: f,
                                pool: cfg.binsPerNote, rowRange: rows)
        linearForward(acts.encoded + rows.lowerBound * d, acts.pooled + rows.lowerBound * c * n, w.projWeight,
                      w.projBias, rows: rows.count, inputs: c * n, outputs: d)
        positions.withUnsafeBufferPointer { pe in
            for row in rows {
                let t = row % acts.frames   // positions restart in every window
                for j in 0..<d { acts.residual[0][row * d + j] = acts.encoded[row * d + j] + pe[t * d + j] }
            }
        }
    }

    /// The encoder's gradients from dLoss/d(first residual stream), which is in `dResidual`
    /// (the positions are constants, so it is dLoss/d(encoded) too).
    func encoderBackward() {
        let acts = activations!, w = weights, g = grads, cfg = config
        let r = acts.rows, f = cfg.nBins, c = cfg.channels, k = cfg.kernelSize, n = cfg.pooledNotes, d = cfg.embedDim
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
    }
}

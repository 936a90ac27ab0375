// The context summary's projection, forward beside backward: each window's summary of the
// audio before it (ContextSummary, F values) times context.weight (D, F), one vector added to
// every frame of the window's first residual stream (with the positions, in addPositions).
// Sizes: B windows, T frames, F bins, D width.

extension TranscriptionNetwork {
    /// Computes the windows' context vectors (B, D) from their summaries (B, F) into the
    /// activations, and keeps the summaries when a backward will need them. A network without a context takes none.
    func contextForward(_ summaries: UnsafePointer<Float>?, batch: Int) {
        guard let weight = weights.contextWeight else {
            precondition(summaries == nil, "context summaries given to a network without a context")
            return
        }
        guard let summaries else {
            preconditionFailure("a network with a context summary (context_frames \(config.contextFrames)) needs one per window")
        }
        let acts = activations!, f = config.nBins, d = config.embedDim
        if acts.trainingReady { acts.summaries.update(from: summaries, count: batch * f) }
        linearForward(acts.context, summaries, weight, nil, rows: batch, inputs: f, outputs: d)
    }

    /// context.weight's gradient from dLoss/d(first residual stream), in `dResidual`: each
    /// window's vector reaches all of its frames, so its gradient is their sum.
    func contextBackward() {
        guard let dWeight = grads.contextWeight, let weight = weights.contextWeight else { return }
        let acts = activations!, t = acts.frames, f = config.nBins, d = config.embedDim
        for b in 0..<acts.batch {
            let sum = acts.dContext + b * d
            sum.update(repeating: 0, count: d)
            for row in (b * t)..<((b + 1) * t) {
                let dRow = acts.dResidual + row * d
                for j in 0..<d { sum[j] += dRow[j] }
            }
        }
        linearBackward(nil, dWeight, nil, acts.dContext, acts.summaries, weight, rows: acts.batch, inputs: f, outputs: d)
    }
}

// The encoder, forward beside backward: conv1 + ReLU, conv2 + ReLU, max-pool over frequency,
// encoder.proj; the fixed positions are added after it. Frame by frame, so its forward takes a
// range of rows, and `encode` runs it alone for callers that reuse a frame's embedding.
// Sizes: R = B*T rows, F bins, C channels, k taps, N pooled notes, D width.

extension TranscriptionNetwork {
    /// Rows `rows` of the encoder for `input` (R, F), into `acts.encoded` (R, D), before the
    /// positions. `part` picks the im2col scratch when rows are split between threads. conv1's
    /// input is kept for its backward when `acts` is ready for training, and is built there
    /// whenever harmonics are stacked.
    func encoderForward(_ input: UnsafePointer<Float>, rows: Range<Int>, part: Int, parts: Int, acts: Activations) {
        let w = weights, cfg = config
        let r = acts.rows, f = cfg.nBins, c = cfg.channels, k = cfg.kernelSize
        let n = cfg.pooledNotes, d = cfg.embedDim, plane = r * f
        let cols = parts == 1 ? acts.cols : acts.extraCols[part]
        var convInput = input
        if acts.trainingReady || cfg.inputChannels > 1 {
            stackHarmonics(acts.input, input, rows: rows, plane: plane)
            convInput = UnsafePointer(acts.input)
        }
        // Each convolution's bias is added in one pass with its ReLU, not written before the
        // product: the same numbers, one pass fewer over (C, R, F).
        frequencyConvForward(acts.a1, cols, convInput, w.conv1Weight, nil, channelsIn: cfg.inputChannels,
                             channelsOut: c, rows: r, bins: f, kernel: k, rowRange: rows)
        for ch in 0..<c {
            biasReLUForward(acts.a1 + ch * plane + rows.lowerBound * f, bias: w.conv1Bias[ch], count: rows.count * f)
        }
        frequencyConvForward(acts.a2, cols, acts.a1, w.conv2Weight, nil, channelsIn: c, channelsOut: c,
                             rows: r, bins: f, kernel: k, rowRange: rows)
        if acts.trainingReady {
            // Every intermediate kept as the backward needs it.
            for ch in 0..<c {
                biasReLUForward(acts.a2 + ch * plane + rows.lowerBound * f, bias: w.conv2Bias[ch], count: rows.count * f)
            }
            frequencyMaxPoolForward(acts.pooled, acts.poolIndex, acts.a2, channels: c, rows: r, bins: f,
                                    pool: cfg.binsPerNote, rowRange: rows)
        } else {
            // Inference: conv2's bias and ReLU after the pool, on a quarter of the values.
            frequencyMaxPoolBiasReLUForward(acts.pooled, acts.a2, bias: w.conv2Bias, channels: c, rows: r, bins: f,
                                            pool: cfg.binsPerNote, rowRange: rows)
        }
        linear(acts.encoded + rows.lowerBound * d, acts.pooled + rows.lowerBound * c * n, linears.proj,
               w.projBias, rows: rows.count, inputs: c * n, outputs: d, part: part)
    }

    /// Rows `rows` of conv1's input (Hs, R, F): channel h is `input` (R, F) read `harmonicShifts[h]`
    /// bins higher, 0 (silence in the front end's log scale) where that passes either end.
    func stackHarmonics(_ out: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>, rows: Range<Int>, plane: Int) {
        let f = config.nBins
        for (h, shift) in config.harmonicShifts.enumerated() {
            for row in rows {
                let source = input + row * f, target = out + h * plane + row * f
                let from = max(0, -shift), to = min(f, f - shift)   // target bins whose source b + shift exists
                if from > 0 { target.update(repeating: 0, count: from) }
                if to > from { target.advanced(by: from).update(from: source.advanced(by: from + shift), count: to - from) }
                if to < f { target.advanced(by: max(to, 0)).update(repeating: 0, count: f - max(to, 0)) }
            }
        }
    }

    /// Rows `rows` of the first residual stream: the encoder's output `encoded` (R, D) plus the
    /// fixed positions, which restart in every window, and the window's context vector when the
    /// network has one (contextForward).
    func addPositions(_ encoded: UnsafePointer<Float>, rows: Range<Int>) {
        let acts = activations!, d = config.embedDim
        positions.withUnsafeBufferPointer { pe in
            for row in rows {
                let t = row % acts.frames
                for j in 0..<d { acts.residual[0][row * d + j] = encoded[row * d + j] + pe[t * d + j] }
                if config.hasContext {
                    let context = acts.context + (row / acts.frames) * d
                    for j in 0..<d { acts.residual[0][row * d + j] += context[j] }
                }
            }
        }
    }

    /// The encoder alone, inference only: `frames` CQT frames (frames, F) to their embeddings
    /// (frames, D), before the positions. Each frame's embedding depends on that frame alone, so
    /// a streaming caller encodes a frame once and hands it to every window that covers it
    /// (`forward(.encoded(...))`); the outputs are the whole forward's to rounding (sgemm blocks
    /// the rows differently: 8e-7 of their scale at the default sizes, InferenceShortcutTests).
    public func encode(_ input: UnsafePointer<Float>, frames: Int, into output: UnsafeMutablePointer<Float>) {
        let chunk = TranscriptionNetwork.encodeChunkFrames, f = config.nBins, d = config.embedDim
        if encoderActivations == nil {
            encoderActivations = Activations(config: config, batch: 1, frames: chunk, training: false)
        }
        let acts = encoderActivations!
        var start = 0
        while start < frames {
            let count = min(chunk, frames - start)
            encoderForward(input + start * f, rows: 0..<count, part: 0, parts: 1, acts: acts)
            (output + start * d).update(from: acts.encoded, count: count * d)
            start += count
        }
    }

    /// Frames `encode` works on at a time (its scratch is sized for them).
    static let encodeChunkFrames = 32

    /// The encoder's gradients from dLoss/d(first residual stream), which is in `dResidual`
    /// (the positions are constants, so it is dLoss/d(encoded) too).
    func encoderBackward() {
        let acts = activations!, w = weights, g = grads, cfg = config
        let r = acts.rows, f = cfg.nBins, c = cfg.channels, k = cfg.kernelSize, n = cfg.pooledNotes, d = cfg.embedDim
        linearBackward(acts.dPooled, g.projWeight, g.projBias, acts.dResidual, acts.pooled, w.projWeight,
                       rows: r, inputs: c * n, outputs: d, accumulateInput: false)
        frequencyMaxPoolReLUBackward(acts.dA2, acts.dPooled, acts.poolIndex, acts.pooled, channels: c, rows: r, bins: f,
                                     pool: cfg.binsPerNote)
        frequencyConvBackward(acts.dA1, g.conv2Weight, g.conv2Bias, acts.cols, acts.dCols, acts.dA2, acts.a1, w.conv2Weight,
                              channelsIn: c, channelsOut: c, rows: r, bins: f, kernel: k, inputReLU: acts.a1)
        frequencyConvBackward(nil, g.conv1Weight, g.conv1Bias, acts.cols, acts.dCols, acts.dA1, acts.input, w.conv1Weight,
                              channelsIn: cfg.inputChannels, channelsOut: c, rows: r, bins: f, kernel: k)
    }
}

// TranscriptionNetwork+Forward: the forward pass, on one thread or split between several.
// Every layer but attention works frame by frame, so the rows (frames) can be split between
// threads; attention is split by head. With one part everything runs inline on the caller's
// thread: that is `forward`. Two joins per block when split.
import Foundation
import Support

extension TranscriptionNetwork {
    /// Logits (1, T, K) of one window, computed by `parts` threads; the same numbers as
    /// `forward(batch: 1)` up to summation order inside sgemm (tested). Inference only: the live
    /// path's case, where there is no batch to split between cores.
    public func forwardSplit(_ input: UnsafePointer<Float>, frames: Int, parts: Int) -> UnsafeBufferPointer<Float> {
        forwardRows(input, batch: 1, frames: frames, training: false, parts: max(1, parts))
    }

    /// The forward pass over (B, T) windows with the rows split into `parts` (1: inline). Saves in
    /// the activations everything the backward reads.
    func forwardRows(_ input: UnsafePointer<Float>, batch: Int, frames: Int, training: Bool,
                     parts: Int) -> UnsafeBufferPointer<Float> {
        prepare(batch: batch, frames: frames, training: training, extraScratch: parts > 1 ? parts : 0)
        let acts = activations!, w = weights, cfg = config
        let r = batch * frames, f = cfg.nBins, c = cfg.channels, k = cfg.kernelSize
        let n = cfg.pooledNotes, d = cfg.embedDim, m = cfg.hiddenWidth, a = cfg.attentionWidth
        let rowParts = (0..<parts).map { ($0 * r / parts)..<(($0 + 1) * r / parts) }
        // Residual dropout: training forwards only, masks drawn here for the whole batch.
        acts.dropping = false
        if training, let dropout, dropout.rate > 0 {
            var generator = SeededGenerator(seed: dropout.seed)
            for mask in acts.dropMasks { fillDropoutMask(mask, count: r * d, rate: dropout.rate, using: &generator) }
            acts.dropping = true
        }
        let dropping = acts.dropping
        /// Runs body(part) for every part: inline for one, on `count` threads otherwise.
        func each(_ count: Int, _ body: @Sendable (Int) -> Void) {
            if count == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: count, execute: body) }
        }
        let headParts = (0..<min(parts, cfg.nHeads)).map { ($0 * cfg.nHeads / min(parts, cfg.nHeads))..<(($0 + 1) * cfg.nHeads / min(parts, cfg.nHeads)) }
        // The positions travel as the array itself (a pointer taken out of withUnsafeBufferPointer
        // would outlive the closure that lends it).
        let context = UncheckedSendable((acts, w, input, positions))
        let plane = r * f

        /// Rows: encoder, positions, then the first block's ln1 and qkv.
        @Sendable func rowsBefore(_ block: Int, _ rows: Range<Int>, _ part: Int) {
            let (acts, w, input, pe) = context.value
            if block == 0 {
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
                pe.withUnsafeBufferPointer { pe in
                    for row in rows {
                        let t = row % frames   // positions restart in every window
                        for j in 0..<d { acts.residual[0][row * d + j] = acts.encoded[row * d + j] + pe[t * d + j] }
                    }
                }
            }
            let blk = w.blocks[block], x = acts.residual[2 * block]
            let o = rows.lowerBound
            layerNormForward(acts.ln1[block] + o * d, acts.ln1Mean[block] + o, acts.ln1Rstd[block] + o, x + o * d,
                             blk.ln1Weight, blk.ln1Bias, rows: rows.count, features: d)
            linearForward(acts.qkv[block] + o * 3 * a, acts.ln1[block] + o * d, blk.qkvWeight, blk.qkvBias,
                          rows: rows.count, inputs: d, outputs: 3 * a)
        }

        /// Rows: the rest of block `block` after attention (out-projection, MLP, residuals).
        @Sendable func rowsAfter(_ block: Int, _ rows: Range<Int>) {
            let (acts, w, _, _) = context.value
            let blk = w.blocks[block], o = rows.lowerBound
            let input = acts.residual[2 * block], middle = acts.residual[2 * block + 1], output = acts.residual[2 * block + 2]
            if dropping {
                linearForward(acts.branch + o * d, acts.attY[block] + o * a, blk.outWeight, blk.outBias, rows: rows.count, inputs: a, outputs: d)
                addMasked(middle + o * d, input + o * d, acts.branch + o * d, acts.dropMasks[2 * block] + o * d, count: rows.count * d)
            } else {
                (middle + o * d).update(from: input + o * d, count: rows.count * d)
                linearAccumulate(middle + o * d, acts.attY[block] + o * a, blk.outWeight, blk.outBias, rows: rows.count, inputs: a, outputs: d)
            }
            layerNormForward(acts.ln2[block] + o * d, acts.ln2Mean[block] + o, acts.ln2Rstd[block] + o, middle + o * d,
                             blk.ln2Weight, blk.ln2Bias, rows: rows.count, features: d)
            linearForward(acts.fc1[block] + o * m, acts.ln2[block] + o * d, blk.fc1Weight, blk.fc1Bias, rows: rows.count, inputs: d, outputs: m)
            geluForward(acts.fc1Gelu[block] + o * m, acts.fc1[block] + o * m, count: rows.count * m)
            if dropping {
                linearForward(acts.branch + o * d, acts.fc1Gelu[block] + o * m, blk.fc2Weight, blk.fc2Bias, rows: rows.count, inputs: m, outputs: d)
                addMasked(output + o * d, middle + o * d, acts.branch + o * d, acts.dropMasks[2 * block + 1] + o * d, count: rows.count * d)
            } else {
                (output + o * d).update(from: middle + o * d, count: rows.count * d)
                linearAccumulate(output + o * d, acts.fc1Gelu[block] + o * m, blk.fc2Weight, blk.fc2Bias, rows: rows.count, inputs: m, outputs: d)
            }
        }

        for block in 0..<cfg.nLayers {
            each(parts) { part in
                if block > 0 { rowsAfter(block - 1, rowParts[part]) }
                rowsBefore(block, rowParts[part], part)
            }
            each(headParts.count) { part in
                let (acts, _, _, _) = context.value
                attentionForward(acts.attY[block], acts.att[block], acts.qkv[block], batch: batch, frames: frames,
                                 heads: cfg.nHeads, headDim: cfg.headDim, headRange: headParts[part])
            }
        }
        each(parts) { part in
            let (acts, w, _, _) = context.value
            let rows = rowParts[part], o = rows.lowerBound
            rowsAfter(cfg.nLayers - 1, rows)
            let last = acts.residual[2 * cfg.nLayers]
            layerNormForward(acts.lnF + o * d, acts.lnFMean + o, acts.lnFRstd + o, last + o * d, w.lnFWeight, w.lnFBias,
                             rows: rows.count, features: d)
            linearForward(acts.dec1 + o * d, acts.lnF + o * d, w.dec1Weight, w.dec1Bias, rows: rows.count, inputs: d, outputs: d)
            geluForward(acts.dec1Gelu + o * d, acts.dec1 + o * d, count: rows.count * d)
            linearForward(acts.logits + o * cfg.nNotes, acts.dec1Gelu + o * d, w.dec2Weight, w.dec2Bias, rows: rows.count,
                          inputs: d, outputs: cfg.nNotes)
        }
        return UnsafeBufferPointer(start: acts.logits, count: r * cfg.nNotes)
    }
}

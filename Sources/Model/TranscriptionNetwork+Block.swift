// A pre-LayerNorm transformer block, forward beside backward:
//   middle = input + out(attention(qkv(ln1(input))))      (times a dropout mask in training)
//   output = middle + fc2(gelu(fc1(ln2(middle))))          (likewise)
// The forward comes in three phases so that rows and heads can be split between threads: the
// rows up to qkv, attention (per window and head), then the rows after it.
// Sizes: R = B*T rows, D width, A = H*Hd attention width, M mlp hidden width.

extension TranscriptionNetwork {
    /// Block `l`, rows `rows`: ln1 and qkv.
    func blockForwardBeforeAttention(_ l: Int, rows: Range<Int>, part: Int = 0) {
        let acts = activations!, blk = weights.blocks[l], lin = linears.blocks[l], d = config.embedDim, a = config.attentionWidth
        let x = acts.residual[2 * l], o = rows.lowerBound
        layerNormForward(acts.ln1[l] + o * d, acts.ln1Mean[l] + o, acts.ln1Rstd[l] + o, x + o * d,
                         blk.ln1Weight, blk.ln1Bias, rows: rows.count, features: d)
        linear(acts.qkv[l] + o * 3 * a, acts.ln1[l] + o * d, lin.qkv, blk.qkvBias,
               rows: rows.count, inputs: d, outputs: 3 * a, part: part)
    }

    /// Block `l`, heads `heads` of every window: softmax(q k^T / sqrt(Hd)) v, for the frames
    /// `queries` of each window (nil: all).
    func blockForwardAttention(_ l: Int, heads: Range<Int>, queries: Range<Int>? = nil) {
        let acts = activations!
        attentionForward(acts.attY[l], acts.att[l], acts.qkv[l], batch: acts.batch, frames: acts.frames,
                         heads: config.nHeads, headDim: config.headDim, headRange: heads, queryRows: queries)
    }

    /// Block `l`, rows `rows`: the out-projection and its residual, ln2, the MLP and its residual.
    func blockForwardAfterAttention(_ l: Int, rows: Range<Int>, part: Int = 0) {
        let acts = activations!, blk = weights.blocks[l], lin = linears.blocks[l], cfg = config
        let d = cfg.embedDim, m = cfg.hiddenWidth, a = cfg.attentionWidth, o = rows.lowerBound
        let input = acts.residual[2 * l], middle = acts.residual[2 * l + 1], output = acts.residual[2 * l + 2]
        if acts.dropping {
            linearForward(acts.branch + o * d, acts.attY[l] + o * a, blk.outWeight, blk.outBias, rows: rows.count, inputs: a, outputs: d)
            addMasked(middle + o * d, input + o * d, acts.branch + o * d, acts.dropMasks[2 * l] + o * d, count: rows.count * d)
        } else {
            (middle + o * d).update(from: input + o * d, count: rows.count * d)
            linear(middle + o * d, acts.attY[l] + o * a, lin.out, blk.outBias, rows: rows.count, inputs: a, outputs: d,
                   part: part, accumulate: true)
        }
        layerNormForward(acts.ln2[l] + o * d, acts.ln2Mean[l] + o, acts.ln2Rstd[l] + o, middle + o * d,
                         blk.ln2Weight, blk.ln2Bias, rows: rows.count, features: d)
        linear(acts.fc1[l] + o * m, acts.ln2[l] + o * d, lin.fc1, blk.fc1Bias, rows: rows.count, inputs: d, outputs: m, part: part)
        geluForward(acts.fc1Gelu[l] + o * m, acts.fc1[l] + o * m, count: rows.count * m)
        if acts.dropping {
            linearForward(acts.branch + o * d, acts.fc1Gelu[l] + o * m, blk.fc2Weight, blk.fc2Bias, rows: rows.count, inputs: m, outputs: d)
            addMasked(output + o * d, middle + o * d, acts.branch + o * d, acts.dropMasks[2 * l + 1] + o * d, count: rows.count * d)
        } else {
            (output + o * d).update(from: middle + o * d, count: rows.count * d)
            linear(output + o * d, acts.fc1Gelu[l] + o * m, lin.fc2, blk.fc2Bias, rows: rows.count, inputs: m, outputs: d,
                   part: part, accumulate: true)
        }
    }

    /// Block `l` backward: from dLoss/d(output) in `dResidual` to dLoss/d(input), in place, with
    /// the block's parameter gradients. The skip paths carry dResidual as it is.
    func blockBackward(_ l: Int) {
        let acts = activations!, blk = weights.blocks[l], gb = grads.blocks[l], cfg = config
        let r = acts.rows, d = cfg.embedDim, m = cfg.hiddenWidth, a = cfg.attentionWidth
        let input = acts.residual[2 * l], middle = acts.residual[2 * l + 1]
        // output = middle + fc2(gelu(fc1(ln2(middle)))) (times the MLP mask when the forward dropped)
        if acts.dropping { multiplyMask(acts.dBranch, acts.dResidual, acts.dropMasks[2 * l + 1], count: r * d) }
        linearBackward(acts.dHiddenGelu, gb.fc2Weight, gb.fc2Bias, acts.dropping ? acts.dBranch : acts.dResidual,
                       acts.fc1Gelu[l], blk.fc2Weight, rows: r, inputs: m, outputs: d, accumulateInput: false)
        geluBackward(acts.dHidden, acts.fc1[l], acts.dHiddenGelu, count: r * m, accumulate: false)
        linearBackward(acts.dNorm, gb.fc1Weight, gb.fc1Bias, acts.dHidden, acts.ln2[l], blk.fc1Weight,
                       rows: r, inputs: d, outputs: m, accumulateInput: false)
        layerNormBackward(acts.dResidual, gb.ln2Weight, gb.ln2Bias, acts.dNorm, middle, blk.ln2Weight,
                          acts.ln2Mean[l], acts.ln2Rstd[l], rows: r, features: d)
        // middle = input + out(attention(qkv(ln1(input)))) (times the attention mask when dropping)
        if acts.dropping { multiplyMask(acts.dBranch, acts.dResidual, acts.dropMasks[2 * l], count: r * d) }
        linearBackward(acts.dAttY, gb.outWeight, gb.outBias, acts.dropping ? acts.dBranch : acts.dResidual,
                       acts.attY[l], blk.outWeight, rows: r, inputs: a, outputs: d, accumulateInput: false)
        attentionBackward(acts.dQKV, acts.dScores, acts.dAttY, acts.qkv[l], acts.att[l],
                          batch: acts.batch, frames: acts.frames, heads: cfg.nHeads, headDim: cfg.headDim)
        linearBackward(acts.dNorm, gb.qkvWeight, gb.qkvBias, acts.dQKV, acts.ln1[l], blk.qkvWeight,
                       rows: r, inputs: d, outputs: 3 * a, accumulateInput: false)
        layerNormBackward(acts.dResidual, gb.ln1Weight, gb.ln1Bias, acts.dNorm, input, blk.ln1Weight,
                          acts.ln1Mean[l], acts.ln1Rstd[l], rows: r, features: d)
    }
}

// Every layer's backward against central finite differences of its forward, on random small
// shapes with inputs kept away from kinks (ReLU at 0, ties in the max-pool).
//
// The layers compute in Float32; the probe loss L = sum(out * R) (R random, fixed) is summed in
// Double, so the finite difference (L(x+h) - L(x-h)) / 2h carries ~1e-7 |out| / h of rounding.
// With h = 1e-3 that is ~1e-4 of the gradient's scale; the tolerances below sit above it.
import Foundation
import Testing
@testable import Model

/// max |analytic - numeric| / max |numeric| allowed, per layer.
enum GradientTolerance {
    static let linear = 2e-3
    static let layerNorm = 3e-3
    static let attention = 3e-3
    static let gelu = 2e-3
    static let conv = 2e-3
    static let reluPool = 1e-3
    static let crossEntropy = 2e-3
    /// The whole network's encoder gradients are small (~5e-3, the loss is a mean) against the
    /// Float32 forward's rounding noise in the difference quotient (~1e-4 at h = 1e-3, measured;
    /// a smaller h makes it worse): 1.5% was the worst seen. A wrong gradient is off by O(1).
    /// The golden test checks these same gradients against PyTorch at 2e-6.
    static let network = 3e-2
}

let probeStep: Float = 1e-3

/// A float array with a stable address, so forwards can read it while the checker perturbs it.
final class Tensor {
    var p: UnsafeMutableBufferPointer<Float>
    init(_ count: Int) { p = .allocate(capacity: count); p.initialize(repeating: 0) }
    convenience init(random count: Int, _ g: inout SplitMix64, scale: Float = 1) {
        self.init(count)
        for i in 0..<count { p[i] = Float.random(in: -scale...scale, using: &g) }
    }
    deinit { p.deallocate() }
    var ptr: UnsafeMutablePointer<Float> { p.baseAddress! }
    var count: Int { p.count }
    var array: [Float] { Array(p) }
    /// Fills with a value no gradient has, for outputs a backward overwrites: any element it
    /// skipped then fails the check.
    func fillWithGarbage() { p.update(repeating: 1e3) }
    func zero() { p.update(repeating: 0) }
}

/// Central differences of `loss` with respect to each element of `x`, compared with `analytic`.
func checkGradient(_ label: String, _ x: Tensor, analytic: [Float], tolerance: Double,
                   step: Float = probeStep, loss: () -> Double) {
    var numeric = [Double](repeating: 0, count: x.count)
    for i in 0..<x.count {
        let saved = x.p[i]
        x.p[i] = saved + step
        let up = loss()
        x.p[i] = saved - step
        let down = loss()
        x.p[i] = saved
        numeric[i] = (up - down) / (2 * Double(step))
    }
    let scale = max(numeric.map { abs($0) }.max()!, 1e-6)
    var worst = 0.0, worstAt = 0
    for i in 0..<x.count where abs(Double(analytic[i]) - numeric[i]) > worst {
        worst = abs(Double(analytic[i]) - numeric[i])
        worstAt = i
    }
    #expect(worst / scale < tolerance,
            "\(label): element \(worstAt) analytic \(analytic[worstAt]) numeric \(numeric[worstAt]) (scale \(scale))")
}

/// sum(out * probe) in Double.
func probe(_ out: UnsafePointer<Float>, _ r: Tensor) -> Double {
    var total = 0.0
    for i in 0..<r.count { total += Double(out[i]) * Double(r.p[i]) }
    return total
}

@Suite struct LayerGradientTests {
    @Test func linear() {
        var g = SplitMix64(seed: 1)
        let (rows, inputs, outputs) = (5, 7, 4)
        let x = Tensor(random: rows * inputs, &g), w = Tensor(random: outputs * inputs, &g), b = Tensor(random: outputs, &g)
        let r = Tensor(random: rows * outputs, &g), out = Tensor(rows * outputs)
        let loss = { () -> Double in
            linearForward(out.ptr, x.ptr, w.ptr, b.ptr, rows: rows, inputs: inputs, outputs: outputs)
            return probe(out.ptr, r)
        }
        let dx = Tensor(rows * inputs), dw = Tensor(outputs * inputs), db = Tensor(outputs)
        linearBackward(dx.ptr, dw.ptr, db.ptr, r.ptr, x.ptr, w.ptr, rows: rows, inputs: inputs, outputs: outputs)
        checkGradient("linear dinp", x, analytic: dx.array, tolerance: GradientTolerance.linear, loss: loss)
        checkGradient("linear dweight", w, analytic: dw.array, tolerance: GradientTolerance.linear, loss: loss)
        checkGradient("linear dbias", b, analytic: db.array, tolerance: GradientTolerance.linear, loss: loss)
        // Without accumulateInput, dinp is overwritten; the parameters' gradients still add up.
        let dx2 = Tensor(rows * inputs)
        dx2.fillWithGarbage()
        linearBackward(dx2.ptr, dw.ptr, db.ptr, r.ptr, x.ptr, w.ptr, rows: rows, inputs: inputs, outputs: outputs,
                       accumulateInput: false)
        checkGradient("linear dinp, overwritten", x, analytic: dx2.array, tolerance: GradientTolerance.linear, loss: loss)
        checkGradient("linear dweight, twice", w, analytic: dw.array.map { $0 / 2 }, tolerance: GradientTolerance.linear, loss: loss)
    }

    @Test func layerNorm() {
        var g = SplitMix64(seed: 2)
        let (rows, d) = (3, 19)
        let x = Tensor(random: rows * d, &g, scale: 2), w = Tensor(random: d, &g), b = Tensor(random: d, &g)
        let r = Tensor(random: rows * d, &g), out = Tensor(rows * d), mean = Tensor(rows), rstd = Tensor(rows)
        let loss = { () -> Double in
            layerNormForward(out.ptr, mean.ptr, rstd.ptr, x.ptr, w.ptr, b.ptr, rows: rows, features: d)
            return probe(out.ptr, r)
        }
        _ = loss()
        let dx = Tensor(rows * d), dw = Tensor(d), db = Tensor(d)
        layerNormBackward(dx.ptr, dw.ptr, db.ptr, r.ptr, x.ptr, w.ptr, mean.ptr, rstd.ptr, rows: rows, features: d)
        checkGradient("layernorm dinp", x, analytic: dx.array, tolerance: GradientTolerance.layerNorm, loss: loss)
        checkGradient("layernorm dweight", w, analytic: dw.array, tolerance: GradientTolerance.layerNorm, loss: loss)
        checkGradient("layernorm dbias", b, analytic: db.array, tolerance: GradientTolerance.layerNorm, loss: loss)
    }

    @Test func attention() {
        var g = SplitMix64(seed: 3)
        let (batch, frames, heads, headDim) = (2, 5, 2, 3)
        let width = heads * headDim
        let qkv = Tensor(random: batch * frames * 3 * width, &g)
        let r = Tensor(random: batch * frames * width, &g)
        let out = Tensor(batch * frames * width), att = Tensor(batch * heads * frames * frames)
        let loss = { () -> Double in
            attentionForward(out.ptr, att.ptr, qkv.ptr, batch: batch, frames: frames, heads: heads, headDim: headDim)
            return probe(out.ptr, r)
        }
        _ = loss()
        let dqkv = Tensor(qkv.count), scratch = Tensor(frames * frames)
        dqkv.fillWithGarbage()
        attentionBackward(dqkv.ptr, scratch.ptr, r.ptr, qkv.ptr, att.ptr, batch: batch, frames: frames, heads: heads, headDim: headDim)
        checkGradient("attention dqkv", qkv, analytic: dqkv.array, tolerance: GradientTolerance.attention, loss: loss)
    }

    @Test func gelu() {
        var g = SplitMix64(seed: 4)
        let x = Tensor(random: 37, &g, scale: 4), r = Tensor(random: 37, &g), out = Tensor(37)
        let loss = { () -> Double in geluForward(out.ptr, x.ptr, count: 37); return probe(out.ptr, r) }
        let dx = Tensor(37)
        geluBackward(dx.ptr, x.ptr, r.ptr, count: 37)
        checkGradient("gelu", x, analytic: dx.array, tolerance: GradientTolerance.gelu, loss: loss)
        let overwritten = Tensor(37)
        overwritten.fillWithGarbage()
        geluBackward(overwritten.ptr, x.ptr, r.ptr, count: 37, accumulate: false)
        #expect(overwritten.array == dx.array)
    }

    /// Rows span more than one im2col chunk (convChunkRows) so that chunk edges are covered.
    @Test(arguments: [(1, 3), (3, 2)])
    func frequencyConv(channelsIn: Int, channelsOut: Int) {
        var g = SplitMix64(seed: 5)
        let (rows, bins, kernel) = (convChunkRows + 3, 7, 5)
        let x = Tensor(random: channelsIn * rows * bins, &g), w = Tensor(random: channelsOut * channelsIn * kernel, &g)
        let b = Tensor(random: channelsOut, &g), r = Tensor(random: channelsOut * rows * bins, &g)
        let out = Tensor(channelsOut * rows * bins)
        let cols = Tensor(frequencyConvScratchCount(channelsIn: channelsIn, bins: bins, kernel: kernel))
        let loss = { () -> Double in
            frequencyConvForward(out.ptr, cols.ptr, x.ptr, w.ptr, b.ptr, channelsIn: channelsIn, channelsOut: channelsOut,
                                 rows: rows, bins: bins, kernel: kernel)
            return probe(out.ptr, r)
        }
        _ = loss()
        let dx = Tensor(x.count), dw = Tensor(w.count), db = Tensor(b.count), dcols = Tensor(frequencyConvScratchCount(channelsIn: channelsOut, bins: bins, kernel: kernel))
        dx.fillWithGarbage()
        frequencyConvBackward(dx.ptr, dw.ptr, db.ptr, cols.ptr, dcols.ptr, r.ptr, x.ptr, w.ptr, channelsIn: channelsIn,
                              channelsOut: channelsOut, rows: rows, bins: bins, kernel: kernel)
        checkGradient("conv dinp", x, analytic: dx.array, tolerance: GradientTolerance.conv, loss: loss)
        checkGradient("conv dweight", w, analytic: dw.array, tolerance: GradientTolerance.conv, loss: loss)
        checkGradient("conv dbias", b, analytic: db.array, tolerance: GradientTolerance.conv, loss: loss)
    }

    /// ReLU then max-pool, on inputs at least 0.05 from 0 and from each other (no kinks within h).
    @Test func reluAndMaxPool() {
        let (channels, rows, bins, pool) = (2, 3, 8, 4)
        let count = channels * rows * bins
        var values = (0..<count).map { Float($0) * 0.05 - Float(count) * 0.025 + 0.025 }
        var g = SplitMix64(seed: 6)
        values.shuffle(using: &g)
        let x = Tensor(count)
        for i in 0..<count { x.p[i] = values[i] }
        let r = Tensor(random: rows * channels * (bins / pool), &g)
        let relu = Tensor(count), out = Tensor(r.count)
        let index = UnsafeMutablePointer<Int32>.allocate(capacity: r.count)
        defer { index.deallocate() }
        let loss = { () -> Double in
            relu.p.baseAddress!.update(from: x.ptr, count: count)
            reluForward(relu.ptr, count: count)
            frequencyMaxPoolForward(out.ptr, index, relu.ptr, channels: channels, rows: rows, bins: bins, pool: pool)
            return probe(out.ptr, r)
        }
        _ = loss()
        let dx = Tensor(count)
        dx.fillWithGarbage()
        frequencyMaxPoolReLUBackward(dx.ptr, r.ptr, index, out.ptr, channels: channels, rows: rows, bins: bins, pool: pool)
        checkGradient("relu + maxpool", x, analytic: dx.array, tolerance: GradientTolerance.reluPool, loss: loss)
    }

    /// The pool's forward, 8 notes at a time where it can, against a plain first-maximum search:
    /// 44 notes a row (5 vectors and 4 left over), values from a few levels so that ties are common.
    @Test func maxPoolKeepsTheFirstMaximum() {
        let (channels, rows, bins, pool) = (2, 3, 176, 4)
        var g = SplitMix64(seed: 8)
        let x = (0..<(channels * rows * bins)).map { _ in Float(Int.random(in: -2...3, using: &g)) }
        let n = bins / pool
        var out = [Float](repeating: 0, count: rows * channels * n), index = [Int32](repeating: -1, count: out.count)
        frequencyMaxPoolForward(&out, &index, x, channels: channels, rows: rows, bins: bins, pool: pool)
        for c in 0..<channels {
            for r in 0..<rows {
                for note in 0..<n {
                    let bin = (0..<pool).map { note * pool + $0 }.max { x[(c * rows + r) * bins + $0] < x[(c * rows + r) * bins + $1] }!
                    let first = (0..<pool).map { note * pool + $0 }.first { x[(c * rows + r) * bins + $0] == x[(c * rows + r) * bins + bin] }!
                    let at = r * channels * n + c * n + note
                    #expect(index[at] == Int32(first), "channel \(c) row \(r) note \(note)")
                    #expect(out[at] == x[(c * rows + r) * bins + first])
                }
            }
        }
    }

    @Test func binaryCrossEntropy() {
        var g = SplitMix64(seed: 7)
        let z = Tensor(random: 23, &g, scale: 5), y = Tensor(23)
        for i in 0..<23 { y.p[i] = i % 3 == 0 ? 1 : 0 }
        let dz = Tensor(23)
        _ = binaryCrossEntropyWithLogits(dz.ptr, z.ptr, y.ptr, count: 23)
        checkGradient("bce dlogits", z, analytic: dz.array, tolerance: GradientTolerance.crossEntropy) {
            Double(binaryCrossEntropyWithLogits(nil, z.ptr, y.ptr, count: 23))
        }
    }

    /// The whole network on a tiny configuration: every parameter tensor, a few elements each;
    /// with residual dropout too (the same masks in every forward, as the seed is fixed).
    @Test(arguments: [Float(0), 0.3])
    func wholeNetwork(dropout: Float) throws {
        try checkWholeNetwork(ModelConfig(c: 1, embedDim: 8, nLayers: 2, nHeads: 2, headDim: 4, nNotes: 5, binsPerNote: 2, nBins: 12),
                              dropout: dropout)
    }

    /// conv1 reading harmonics stacked below, at and above the input (shifts -24, 0, 24, 38 bins,
    /// some past either end): its weight's gradient covers every channel.
    @Test func wholeNetworkWithStackedHarmonics() throws {
        try checkWholeNetwork(ModelConfig(c: 1, embedDim: 8, nLayers: 1, nHeads: 2, headDim: 4, nNotes: 5, binsPerNote: 2,
                                          nBins: 48, harmonics: [0.5, 1, 2, 3]), dropout: 0)
    }

    /// A context summary (ModelConfig.contextFrames): context.weight's gradient, one summary per window.
    @Test func wholeNetworkWithAContext() throws {
        try checkWholeNetwork(ModelConfig(c: 1, embedDim: 8, nLayers: 1, nHeads: 2, headDim: 4, nNotes: 5, binsPerNote: 2,
                                          nBins: 12, contextFrames: 4), dropout: 0)
    }

    func checkWholeNetwork(_ config: ModelConfig, dropout: Float) throws {
        let net = try TranscriptionNetwork(config: config, seed: 11)
        net.dropout = dropout > 0 ? ResidualDropout(rate: dropout, seed: 21) : nil
        var g = SplitMix64(seed: 8)
        let (batch, frames) = (2, 3)
        let x = (0..<(batch * frames * config.nBins)).map { _ in Float.random(in: -1...1, using: &g) }
        let y = (0..<(batch * frames * config.nNotes)).map { _ in Float(Int.random(in: 0...1, using: &g)) }
        let s = config.hasContext ? (0..<(batch * config.nBins)).map { _ in Float.random(in: 0...2, using: &g) } : []
        func forward(training: Bool) -> UnsafeBufferPointer<Float> {
            x.withUnsafeBufferPointer { xs in
                s.withUnsafeBufferPointer {
                    net.forward(xs.baseAddress!, batch: batch, frames: frames, training: training, summaries: $0.isEmpty ? nil : $0.baseAddress)
                }
            }
        }
        func loss() -> Double {
            let logits = forward(training: dropout > 0)
            // The mean BCE, in Double (the network's own loss is rounded to Float).
            var total = 0.0
            for (z, t) in zip(logits, y) {
                let z = Double(z)
                total += max(z, 0) - z * Double(t) + log1p(exp(-abs(z)))
            }
            return total / Double(y.count)
        }
        _ = forward(training: true)
        _ = y.withUnsafeBufferPointer { net.backward(targets: $0.baseAddress!) }
        let networkStep = probeStep
        for entry in net.parameters.layout.entries {
            let values = net.parameters[entry.name], analytic = net.gradients[entry.name]
            var worst = 0.0, scale = 1e-4
            for i in stride(from: 0, to: values.count, by: max(1, values.count / 6)) {
                let saved = values[i]
                values[i] = saved + networkStep; let up = loss()
                values[i] = saved - networkStep; let down = loss()
                values[i] = saved
                let numeric = (up - down) / (2 * Double(networkStep))
                worst = max(worst, abs(numeric - Double(analytic[i])))
                scale = max(scale, abs(numeric))
            }
            #expect(worst / scale < GradientTolerance.network, "\(entry.name): worst difference \(worst) at scale \(scale)")
        }
    }
}

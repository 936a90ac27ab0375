// Conv2d with a (1 x k) kernel: a convolution along frequency only, each frame on its own,
// zero padding (k-1)/2 on both sides (PyTorch's Conv2d(Cin, Cout, (1, k), padding=(0, (k-1)/2))).
// Sizes: Cin/Cout channels, R rows (B*T frames), F bins, k taps. Tensors are channel-major over
// all frames, [C, R, F], so that the whole layer is one sgemm over an im2col matrix [Cin*k, R*F].

/// cols[(ci*k + j), r*F + f] = inp[ci, r, f + j - pad] (0 outside the frame);
/// out[Cout, R*F] = weight[Cout, Cin*k] cols + bias (PyTorch's [Cout, Cin, 1, k] weight, flat).
public func frequencyConvForward(_ out: UnsafeMutablePointer<Float>, _ cols: UnsafeMutablePointer<Float>,
                                 _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
                                 channelsIn: Int, channelsOut: Int, rows: Int, bins f: Int, kernel k: Int) {
    let pad = (k - 1) / 2, plane = rows * f
    for ci in 0..<channelsIn {
        for j in 0..<k {
            let shift = j - pad
            let src = inp + ci * plane, dst = cols + (ci * k + j) * plane
            let lo = max(0, -shift), hi = min(f, f - shift)   // f + shift within [0, F)
            for r in 0..<rows {
                let s = src + r * f, d = dst + r * f
                for x in 0..<lo { d[x] = 0 }
                (d + lo).update(from: s + lo + shift, count: max(0, hi - lo))
                for x in max(lo, hi)..<f { d[x] = 0 }
            }
        }
    }
    for co in 0..<channelsOut { (out + co * plane).update(repeating: bias[co], count: plane) }
    sgemm(.none, .none, m: channelsOut, n: plane, k: channelsIn * k, weight, cols, beta: 1, out)
}

/// dweight += dout cols^T;  dbias[co] += sum dout[co, :];  and, when dinp is given,
/// dcols = weight^T dout scattered back (col2im): dinp[ci, r, f + j - pad] += dcols[(ci*k + j), r*F + f].
/// `dcols` is scratch of the size of `cols`.
public func frequencyConvBackward(_ dinp: UnsafeMutablePointer<Float>?, _ dcols: UnsafeMutablePointer<Float>?,
                                  _ dweight: UnsafeMutablePointer<Float>, _ dbias: UnsafeMutablePointer<Float>,
                                  _ dout: UnsafePointer<Float>, _ cols: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                                  channelsIn: Int, channelsOut: Int, rows: Int, bins f: Int, kernel k: Int) {
    let pad = (k - 1) / 2, plane = rows * f
    sgemm(.none, .transpose, m: channelsOut, n: channelsIn * k, k: plane, dout, cols, beta: 1, dweight)
    for co in 0..<channelsOut { dbias[co] += vectorSum(dout + co * plane, plane) }
    guard let dinp, let dcols else { return }
    sgemm(.transpose, .none, m: channelsIn * k, n: plane, k: channelsOut, weight, dout, dcols)
    for ci in 0..<channelsIn {
        for j in 0..<k {
            let shift = j - pad
            let src = dcols + (ci * k + j) * plane, dst = dinp + ci * plane
            let lo = max(0, -shift), hi = min(f, f - shift)
            guard hi > lo else { continue }
            for r in 0..<rows {
                let s = src + r * f, d = dst + r * f + shift
                for x in lo..<hi { d[x] += s[x] }
            }
        }
    }
}

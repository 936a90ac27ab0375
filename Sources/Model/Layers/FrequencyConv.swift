// Conv2d with a (1 x k) kernel: a convolution along frequency only, each frame on its own,
// zero padding (k-1)/2 on both sides (PyTorch's Conv2d(Cin, Cout, (1, k), padding=(0, (k-1)/2))).
// Sizes: Cin/Cout channels, R rows (B*T frames), F bins, k taps. Tensors are channel-major over
// all frames, [C, R, F]. Each chunk of `convChunkRows` frames is one sgemm over an im2col matrix
// [Cin*k, chunk*F] small enough to stay in cache; the backward rebuilds it from the input
// rather than keeping a copy of the whole batch (116 MB at batch 32).

/// Frames per im2col chunk: 60 x 8 x 352 floats = 675 KB for the default conv2, within L2.
public let convChunkRows = 8

/// The scratch `cols` must hold Cin * k * convChunkRows * F floats.
public func frequencyConvScratchCount(channelsIn: Int, bins: Int, kernel: Int) -> Int {
    channelsIn * kernel * convChunkRows * bins
}

/// cols[(ci*k + j), r*F + f] = inp[ci, r0 + r, f + j - pad] (0 outside the frame), for rows r0 ..< r0+n.
@inline(__always)
func im2col(_ cols: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, channelsIn: Int, rows: Int,
            firstRow r0: Int, chunkRows n: Int, bins f: Int, kernel k: Int) {
    let pad = (k - 1) / 2, plane = rows * f, chunkPlane = n * f
    for ci in 0..<channelsIn {
        for j in 0..<k {
            let shift = j - pad
            let src = inp + ci * plane + r0 * f, dst = cols + (ci * k + j) * chunkPlane
            let lo = max(0, -shift), hi = min(f, f - shift)   // f + shift within [0, F)
            for r in 0..<n {
                let s = src + r * f, d = dst + r * f
                for x in 0..<lo { d[x] = 0 }
                if hi > lo { (d + lo).update(from: s + lo + shift, count: hi - lo) }
                for x in max(lo, hi)..<f { d[x] = 0 }
            }
        }
    }
}

/// out[Cout, R*F] = weight[Cout, Cin*k] im2col(inp) + bias, chunk by chunk
/// (PyTorch's [Cout, Cin, 1, k] weight, flat). `cols` is scratch (frequencyConvScratchCount).
/// `rowRange` restricts the work to some rows (frames are independent; two threads may run
/// disjoint ranges, each with its own `cols`).
public func frequencyConvForward(_ out: UnsafeMutablePointer<Float>, _ cols: UnsafeMutablePointer<Float>,
                                 _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
                                 channelsIn: Int, channelsOut: Int, rows: Int, bins f: Int, kernel k: Int,
                                 rowRange: Range<Int>? = nil) {
    let plane = rows * f, range = rowRange ?? 0..<rows
    for co in 0..<channelsOut {
        (out + co * plane + range.lowerBound * f).update(repeating: bias[co], count: range.count * f)
    }
    var r0 = range.lowerBound
    while r0 < range.upperBound {
        let n = min(convChunkRows, range.upperBound - r0)
        im2col(cols, inp, channelsIn: channelsIn, rows: rows, firstRow: r0, chunkRows: n, bins: f, kernel: k)
        sgemm(.none, .none, m: channelsOut, n: n * f, k: channelsIn * k, weight, cols, beta: 1, out + r0 * f, ldc: plane)
        r0 += n
    }
}

/// dweight += dout im2col(inp)^T;  dbias[co] += sum dout[co, :];  and, when dinp is given,
/// dcols = weight^T dout scattered back (col2im): dinp[ci, r, f + j - pad] += dcols[(ci*k + j), r*F + f].
/// `cols` and `dcols` are scratch (frequencyConvScratchCount each).
public func frequencyConvBackward(_ dinp: UnsafeMutablePointer<Float>?, _ dweight: UnsafeMutablePointer<Float>,
                                  _ dbias: UnsafeMutablePointer<Float>,
                                  _ cols: UnsafeMutablePointer<Float>, _ dcols: UnsafeMutablePointer<Float>,
                                  _ dout: UnsafePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                                  channelsIn: Int, channelsOut: Int, rows: Int, bins f: Int, kernel k: Int) {
    let pad = (k - 1) / 2, plane = rows * f
    for co in 0..<channelsOut { dbias[co] += vectorSum(dout + co * plane, plane) }
    var r0 = 0
    while r0 < rows {
        let n = min(convChunkRows, rows - r0), chunkPlane = n * f
        im2col(cols, inp, channelsIn: channelsIn, rows: rows, firstRow: r0, chunkRows: n, bins: f, kernel: k)
        sgemm(.none, .transpose, m: channelsOut, n: channelsIn * k, k: chunkPlane,
              dout + r0 * f, lda: plane, cols, beta: 1, dweight)
        if let dinp {
            sgemm(.transpose, .none, m: channelsIn * k, n: chunkPlane, k: channelsOut, weight, dout + r0 * f, ldb: plane, dcols)
            for ci in 0..<channelsIn {
                for j in 0..<k {
                    let shift = j - pad
                    let src = dcols + (ci * k + j) * chunkPlane, dst = dinp + ci * plane + r0 * f
                    let lo = max(0, -shift), hi = min(f, f - shift)
                    guard hi > lo else { continue }
                    for r in 0..<n {
                        let s = src + r * f, d = dst + r * f + shift
                        for x in lo..<hi { d[x] += s[x] }
                    }
                }
            }
        }
        r0 += n
    }
}

// Conv2d with a (1 x k) kernel: a convolution along frequency only, each frame on its own,
// zero padding (k-1)/2 on both sides (PyTorch's Conv2d(Cin, Cout, (1, k), padding=(0, (k-1)/2))).
// Sizes: Cin/Cout channels, R rows (B*T frames), F bins, k taps. Tensors are channel-major over
// all frames, [C, R, F]. Each chunk of `convChunkRows` frames is one sgemm over an im2col matrix
// [Cin*k, chunk*F] small enough to stay in cache; the backward rebuilds it from the input
// rather than keeping a copy of the whole batch (116 MB at batch 32).

/// Frames per im2col chunk: 60 x 8 x 352 floats = 675 KB for the default conv2, within L2.
public let convChunkRows = 8

/// The im2col scratch of `channelsIn` channels: channels * k * convChunkRows * F floats (the
/// backward's `dcols` is the same for the output channels).
public func frequencyConvScratchCount(channelsIn: Int, bins: Int, kernel: Int) -> Int {
    channelsIn * kernel * convChunkRows * bins
}

/// cols[(ci*k + j), r*F + f] = inp[ci, r0 + r, f + j - pad] (0 outside the frame), for rows r0 ..< r0+n.
/// The chunk's rows are contiguous in `inp`, so each (ci, j) is one copy of the whole chunk
/// shifted by j - pad, after which the |shift| bins at each frame's edge that came from the
/// neighbouring frame are zeroed: 60 copies a chunk at the defaults instead of 480 row by row.
@inline(__always)
func im2col(_ cols: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, channelsIn: Int, rows: Int,
            firstRow r0: Int, chunkRows n: Int, bins f: Int, kernel k: Int) {
    let pad = (k - 1) / 2, plane = rows * f, chunkPlane = n * f
    for ci in 0..<channelsIn {
        let src = inp + ci * plane + r0 * f
        for j in 0..<k {
            let shift = j - pad, dst = cols + (ci * k + j) * chunkPlane
            guard abs(shift) < f else {
                dst.update(repeating: 0, count: chunkPlane)
                continue
            }
            // dst[x] = src[x + shift] where x + shift lies within the chunk, 0 past its ends.
            if shift >= 0 {
                dst.update(from: src + shift, count: chunkPlane - shift)
                (dst + chunkPlane - shift).update(repeating: 0, count: shift)
                // Each frame's last `shift` bins read the next frame's first ones.
                for r in 0..<(n - 1) { (dst + r * f + f - shift).update(repeating: 0, count: shift) }
            } else {
                dst.update(repeating: 0, count: -shift)
                (dst - shift).update(from: src, count: chunkPlane + shift)
                // Each frame's first -shift bins read the previous frame's last ones.
                for r in 1..<max(n, 1) { (dst + r * f).update(repeating: 0, count: -shift) }
            }
        }
    }
}

/// out[Cout, R*F] = weight[Cout, Cin*k] im2col(inp) + bias, chunk by chunk
/// (PyTorch's [Cout, Cin, 1, k] weight, flat). `cols` is scratch (frequencyConvScratchCount).
/// `rowRange` restricts the work to some rows (frames are independent; two threads may run
/// disjoint ranges, each with its own `cols`). A nil bias leaves it to the caller, who adds it
/// in a pass of its own (the inference encoder: the same numbers, one pass fewer).
public func frequencyConvForward(_ out: UnsafeMutablePointer<Float>, _ cols: UnsafeMutablePointer<Float>,
                                 _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                                 channelsIn: Int, channelsOut: Int, rows: Int, bins f: Int, kernel k: Int,
                                 rowRange: Range<Int>? = nil) {
    let plane = rows * f, range = rowRange ?? 0..<rows
    if let bias {
        for co in 0..<channelsOut {
            (out + co * plane + range.lowerBound * f).update(repeating: bias[co], count: range.count * f)
        }
    }
    var r0 = range.lowerBound
    while r0 < range.upperBound {
        let n = min(convChunkRows, range.upperBound - r0)
        im2col(cols, inp, channelsIn: channelsIn, rows: rows, firstRow: r0, chunkRows: n, bins: f, kernel: k)
        sgemm(.none, .none, m: channelsOut, n: n * f, k: channelsIn * k, weight, cols, beta: bias == nil ? 0 : 1,
              out + r0 * f, ldc: plane)
        r0 += n
    }
}

/// x = max(x + bias, 0) over `count` floats: a convolution channel's bias and ReLU in one pass.
public func biasReLUForward(_ x: UnsafeMutablePointer<Float>, bias: Float, count: Int) {
    let b = FloatVector(repeating: bias)
    mapVectors(x, x, count: count) { positivePart($0 + b) }
}

/// dweight += dout im2col(inp)^T;  dbias[co] += sum dout[co, :];  and, when dinp is given,
/// dinp = the transposed convolution of dout (overwritten), which is a forward convolution of
/// dout with the channels swapped and the taps reversed:
///   dinp[ci, r, g] = sum_{co, j} w[co, ci, k-1-j] dout[co, r, g + j - pad].
/// So it is im2col(dout) and one product with k = Cout*k (60 at the defaults) - not Cin*k rows
/// of weight^T dout (a product with k = Cout = 12) scattered back column by column (col2im),
/// which took twice as long. With `inputReLU` (the output of a ReLU that made `inp`), dinp
/// goes back through that ReLU too, chunk by chunk while it is in cache. `cols` holds
/// Cin*k*chunk*F floats, `dcols` Cout*k*chunk*F.
public func frequencyConvBackward(_ dinp: UnsafeMutablePointer<Float>?, _ dweight: UnsafeMutablePointer<Float>,
                                  _ dbias: UnsafeMutablePointer<Float>,
                                  _ cols: UnsafeMutablePointer<Float>, _ dcols: UnsafeMutablePointer<Float>,
                                  _ dout: UnsafePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                                  channelsIn: Int, channelsOut: Int, rows: Int, bins f: Int, kernel k: Int,
                                  inputReLU: UnsafePointer<Float>? = nil) {
    let plane = rows * f
    let taps = channelsIn * k
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * taps * channelsOut) { scratch in
        // flipped[ci, co*k + j] = weight[co, ci, k-1-j]
        let flipped = scratch.baseAddress!
        if dinp != nil {
            for ci in 0..<channelsIn {
                for co in 0..<channelsOut {
                    for j in 0..<k { flipped[ci * channelsOut * k + co * k + j] = weight[(co * channelsIn + ci) * k + k - 1 - j] }
                }
            }
        }
        // The weight's gradient transposed, [Cin*k, Cout], added to dweight at the end: the
        // product im2col(inp) dout^T runs 1.2x as fast as dout im2col(inp)^T on oneDNN at
        // 60 x 12 x 2816 (measured, one thread).
        let dweightT = flipped + taps * channelsOut
        dweightT.update(repeating: 0, count: taps * channelsOut)
        var r0 = 0
        while r0 < rows {
            let n = min(convChunkRows, rows - r0), chunkPlane = n * f
            for co in 0..<channelsOut { dbias[co] += vectorSum(dout + co * plane + r0 * f, chunkPlane) }
            im2col(cols, inp, channelsIn: channelsIn, rows: rows, firstRow: r0, chunkRows: n, bins: f, kernel: k)
            sgemm(.none, .transpose, m: taps, n: channelsOut, k: chunkPlane,
                  cols, dout + r0 * f, ldb: plane, beta: 1, dweightT)
            if let dinp {
                im2col(dcols, dout, channelsIn: channelsOut, rows: rows, firstRow: r0, chunkRows: n, bins: f, kernel: k)
                sgemm(.none, .none, m: channelsIn, n: chunkPlane, k: channelsOut * k, flipped, dcols,
                      dinp + r0 * f, ldc: plane)
                if let inputReLU {
                    for ci in 0..<channelsIn {
                        reluBackward(dinp + ci * plane + r0 * f, inputReLU + ci * plane + r0 * f, count: chunkPlane)
                    }
                }
            }
            r0 += n
        }
        for co in 0..<channelsOut {
            for x in 0..<taps { dweight[co * taps + x] += dweightT[x * channelsOut + co] }
        }
    }
}

// Max-pool over frequency only, kernel and stride p (bins_per_note), then flatten per frame
// channel-major: from [C, R, F] to [R, C*N] with feature index c*N + n, N = F / p.

/// out[r, c*N + n] = max_{j < p} inp[c, r, n*p + j];  index[r, c*N + n] = the f chosen
/// (the first maximum, as PyTorch picks).
public func frequencyMaxPoolForward(_ out: UnsafeMutablePointer<Float>, _ index: UnsafeMutablePointer<Int32>,
                                    _ inp: UnsafePointer<Float>,
                                    channels: Int, rows: Int, bins f: Int, pool p: Int, rowRange: Range<Int>? = nil) {
    let n = f / p
    for c in 0..<channels {
        for r in rowRange ?? 0..<rows {
            let src = inp + (c * rows + r) * f
            let dst = out + r * channels * n + c * n, idx = index + r * channels * n + c * n
            for note in 0..<n {
                var best = src[note * p], bestAt = note * p
                for j in 1..<p where src[note * p + j] > best {
                    best = src[note * p + j]
                    bestAt = note * p + j
                }
                dst[note] = best
                idx[note] = Int32(bestAt)
            }
        }
    }
}

/// dinp = 0 except dinp[c, r, index] = dout[r, c*N + n]. Overwrites dinp.
public func frequencyMaxPoolBackward(_ dinp: UnsafeMutablePointer<Float>,
                                     _ dout: UnsafePointer<Float>, _ index: UnsafePointer<Int32>,
                                     channels: Int, rows: Int, bins f: Int, pool p: Int) {
    let n = f / p
    dinp.update(repeating: 0, count: channels * rows * f)
    for c in 0..<channels {
        for r in 0..<rows {
            let dst = dinp + (c * rows + r) * f
            let src = dout + r * channels * n + c * n, idx = index + r * channels * n + c * n
            for note in 0..<n { dst[Int(idx[note])] += src[note] }
        }
    }
}

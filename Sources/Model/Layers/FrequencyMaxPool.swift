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
            var note = 0
            if p == 4 {
                // 8 notes at a time: their 32 bins split into the first, second, third and
                // fourth bin of each note, then the first maximum kept lane by lane.
                let noteStarts = LaneBits(0, 4, 8, 12, 16, 20, 24, 28)
                while note + 8 <= n {
                    let x = src + note * 4
                    let low = UnsafeRawPointer(x).loadUnaligned(as: SIMD16<Float>.self)
                    let high = UnsafeRawPointer(x + 16).loadUnaligned(as: SIMD16<Float>.self)
                    let even = SIMD16(lowHalf: low.evenHalf, highHalf: high.evenHalf)   // bins 0 and 2 of each note
                    let odd = SIMD16(lowHalf: low.oddHalf, highHalf: high.oddHalf)      // bins 1 and 3
                    var best = even.evenHalf, bestAt = LaneBits(repeating: 0)
                    keepFirstMaximum(&best, &bestAt, odd.evenHalf, bin: 1)
                    keepFirstMaximum(&best, &bestAt, even.oddHalf, bin: 2)
                    keepFirstMaximum(&best, &bestAt, odd.oddHalf, bin: 3)
                    store(best, dst + note)
                    UnsafeMutableRawPointer(idx + note).storeBytes(of: bestAt &+ noteStarts &+ Int32(note * 4), as: LaneBits.self)
                    note += 8
                }
            }
            for note in note..<n {
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

/// Lane by lane, `candidate` and its bin replace `best` and `bestAt` where it is greater (ties keep
/// the earlier bin, as PyTorch does).
@inline(__always)
private func keepFirstMaximum(_ best: inout FloatVector, _ bestAt: inout LaneBits, _ candidate: FloatVector, bin: Int32) {
    let higher = lanes(best, below: candidate)
    best = select(higher, candidate, best)
    bestAt = (bestAt & ~higher) | (LaneBits(repeating: bin) & higher)
}

/// Inference: out[r, c*N + n] = max(max_{j < p} inp[c, r, n*p + j] + bias[c], 0) - the pool of a
/// convolution whose bias and ReLU were left out, applied after it to N values instead of F.
/// The same numbers as adding the bias, ReLU and pooling, since rounding x + b and ReLU are
/// monotone; no indices (nothing goes back). Four bins a note (the default) runs 8 notes at a
/// time; other pools note by note.
public func frequencyMaxPoolBiasReLUForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                                            bias: UnsafePointer<Float>, channels: Int, rows: Int, bins f: Int,
                                            pool p: Int, rowRange: Range<Int>) {
    let n = f / p
    for c in 0..<channels {
        let b = bias[c]
        for r in rowRange {
            let src = inp + (c * rows + r) * f, dst = out + r * channels * n + c * n
            var note = 0
            if p == 4 {
                // 32 bins, 8 notes: the maximum of each pair of bins, then of each pair of pairs.
                while note + 8 <= n {
                    let x = src + note * 4
                    let pairs = SIMD16(lowHalf: maxOfPairs(UnsafeRawPointer(x).loadUnaligned(as: SIMD16<Float>.self)),
                                       highHalf: maxOfPairs(UnsafeRawPointer(x + 16).loadUnaligned(as: SIMD16<Float>.self)))
                    let notes = maxOfPairs(pairs)
                    store(positivePart(notes + FloatVector(repeating: b)), dst + note)
                    note += 8
                }
            }
            while note < n {
                var best = src[note * p]
                for j in 1..<p where src[note * p + j] > best { best = src[note * p + j] }
                dst[note] = max(best + b, 0)
                note += 1
            }
        }
    }
}

/// Lane i: max(x[2i], x[2i+1]), the 16 lanes down to 8.
@inline(__always)
private func maxOfPairs(_ x: SIMD16<Float>) -> FloatVector {
    select(lanes(x.evenHalf, below: x.oddHalf), x.oddHalf, x.evenHalf)
}

/// The backward of a ReLU and then this pool, from the pool's output `out` (its forward's): dinp = 0
/// except dinp[c, r, index] = dout[r, c*N + n] where out[r, c*N + n] > 0 - the ReLU's output at
/// the chosen bin is the pool's. Overwrites dinp, a row of F bins at a time while it is in cache.
public func frequencyMaxPoolReLUBackward(_ dinp: UnsafeMutablePointer<Float>,
                                         _ dout: UnsafePointer<Float>, _ index: UnsafePointer<Int32>,
                                         _ out: UnsafePointer<Float>,
                                         channels: Int, rows: Int, bins f: Int, pool p: Int) {
    let n = f / p
    for c in 0..<channels {
        for r in 0..<rows {
            let dst = dinp + (c * rows + r) * f
            let at = r * channels * n + c * n
            let src = dout + at, idx = index + at, pooled = out + at
            dst.update(repeating: 0, count: f)
            for note in 0..<n where pooled[note] > 0 { dst[Int(idx[note])] = src[note] }
        }
    }
}

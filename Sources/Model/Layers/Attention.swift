// Multi-head self-attention over the T frames of a window, no mask (the core between the
// attn.qkv and attn.out Linear layers).
// Sizes: B windows, T frames, H heads, Hd head_dim; qkv rows are [q | k | v], each [H, Hd].
// The products with Hd columns run on OpenBLAS, whose small-matrix kernels beat oneDNN's there
// (0.6-0.7x on oneDNN at T=43, Hd=32); the T x T scores on oneDNN (1.25x). See GEMMLibrary.

/// For each window b and head h, with q, k, v the head's [T, Hd] slices of qkv[B*T, 3*H*Hd]:
/// att = softmax(q k^T / sqrt(Hd)) [B, H, T, T] (saved for the backward);  out[B*T, H*Hd] = att v.
/// `headRange` restricts the work to some heads (heads are independent); `queryRows` to some
/// frames of every window (each attends to all T; the other rows of `att` and `out` are left
/// as they were - inference that reads only those frames).
public func attentionForward(_ out: UnsafeMutablePointer<Float>, _ att: UnsafeMutablePointer<Float>,
                             _ qkv: UnsafePointer<Float>,
                             batch: Int, frames t: Int, heads: Int, headDim: Int, headRange: Range<Int>? = nil,
                             queryRows: Range<Int>? = nil) {
    let width = heads * headDim, stride = 3 * width
    let scale = 1 / Float(headDim).squareRoot()
    let queries = queryRows ?? 0..<t, first = queries.lowerBound
    guard !queries.isEmpty else { return }
    for b in 0..<batch {
        for h in headRange ?? 0..<heads {
            let q = qkv + b * t * stride + h * headDim
            let k = q + width, v = q + 2 * width
            let a = att + (b * heads + h) * t * t
            sgemm(.none, .transpose, m: queries.count, n: t, k: headDim, alpha: scale, q + first * stride, lda: stride,
                  k, ldb: stride, a + first * t)
            for i in queries { softmaxRow(a + i * t, count: t) }
            sgemm(.none, .none, m: queries.count, n: headDim, k: t, a + first * t, v, ldb: stride,
                  out + (b * t + first) * width + h * headDim, ldc: width, library: .openBLAS)
        }
    }
}

/// dqkv = d(q, k, v) given dout [B*T, H*Hd], overwritten (each element is one product's). `scratch`
/// holds T*T floats.
///   datt = dout v^T;  dv = att^T dout;  ds = att * (datt - rowsum(att * datt));
///   dq = ds k / sqrt(Hd);  dk = ds^T q / sqrt(Hd)
public func attentionBackward(_ dqkv: UnsafeMutablePointer<Float>, _ scratch: UnsafeMutablePointer<Float>,
                              _ dout: UnsafePointer<Float>, _ qkv: UnsafePointer<Float>, _ att: UnsafePointer<Float>,
                              batch: Int, frames t: Int, heads: Int, headDim: Int) {
    let width = heads * headDim, stride = 3 * width
    let scale = 1 / Float(headDim).squareRoot()
    for b in 0..<batch {
        for h in 0..<heads {
            let offset = b * t * stride + h * headDim
            let q = qkv + offset, k = q + width, v = q + 2 * width
            let dq = dqkv + offset, dk = dq + width, dv = dq + 2 * width
            let a = att + (b * heads + h) * t * t
            let dy = dout + b * t * width + h * headDim
            sgemm(.none, .transpose, m: t, n: t, k: headDim, dy, lda: width, v, ldb: stride, scratch)
            sgemm(.transpose, .none, m: t, n: headDim, k: t, a, dy, ldb: width, dv, ldc: stride, library: .openBLAS)
            for i in 0..<t {
                let ai = a + i * t, di = scratch + i * t
                var dot: Float = 0
                for j in 0..<t { dot += ai[j] * di[j] }
                for j in 0..<t { di[j] = ai[j] * (di[j] - dot) }
            }
            sgemm(.none, .none, m: t, n: headDim, k: t, alpha: scale, scratch, k, ldb: stride, dq, ldc: stride, library: .openBLAS)
            sgemm(.transpose, .none, m: t, n: headDim, k: t, alpha: scale, scratch, q, ldb: stride, dk, ldc: stride, library: .openBLAS)
        }
    }
}

/// In place: x = exp(x - max x) / sum exp(x - max x).
@inlinable
func softmaxRow(_ x: UnsafeMutablePointer<Float>, count: Int) {
    let maximum = vectorMax(x, count)
    for j in 0..<count { x[j] -= maximum }
    expArray(x, x, count: count)
    let inverse = 1 / vectorSum(x, count)
    for j in 0..<count { x[j] *= inverse }
}

/// The largest of `count` > 0 floats (not NaN), 8 lanes at a time: `max` on Float keeps its
/// scalar NaN rules and does not vectorise, and this loop was 3% of `file`.
@inlinable
func vectorMax(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
    var lanesMax = FloatVector(repeating: -.infinity)
    var i = 0
    while i + FloatVector.scalarCount <= count {
        let v = load(x + i)
        lanesMax = select(lanes(lanesMax, below: v), v, lanesMax)
        i += FloatVector.scalarCount
    }
    var maximum = -Float.infinity
    for j in 0..<FloatVector.scalarCount where lanesMax[j] > maximum { maximum = lanesMax[j] }
    while i < count {
        if x[i] > maximum { maximum = x[i] }
        i += 1
    }
    return maximum
}

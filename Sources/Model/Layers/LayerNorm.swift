// LayerNorm over the last dimension: out = (x - mean) * rstd * weight + bias, eps 1e-5.
// Sizes: R rows, D features. The forward saves mean[R] and rstd[R] for the backward.

public let layerNormEpsilon: Float = 1e-5

/// mean = (1/D) sum x;  rstd = 1 / sqrt((1/D) sum (x - mean)^2 + eps);  out = (x - mean) rstd w + b
public func layerNormForward(_ out: UnsafeMutablePointer<Float>, _ mean: UnsafeMutablePointer<Float>,
                             _ rstd: UnsafeMutablePointer<Float>,
                             _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
                             rows: Int, features d: Int) {
    for r in 0..<rows {
        let x = inp + r * d
        let m = vectorSum(x, d) / Float(d)
        var varianceSum: FloatVector = .zero
        var tail: Float = 0
        var i = 0
        while i + 8 <= d {
            let c = UnsafeRawPointer(x + i).loadUnaligned(as: FloatVector.self) - m
            varianceSum += c * c
            i += 8
        }
        while i < d { let c = x[i] - m; tail += c * c; i += 1 }
        let s = 1 / ((varianceSum.sum() + tail) / Float(d) + layerNormEpsilon).squareRoot()
        let o = out + r * d
        for j in 0..<d { o[j] = (x[j] - m) * s * weight[j] + bias[j] }
        mean[r] = m
        rstd[r] = s
    }
}

/// With xhat = (x - mean) rstd and g = dout * w:
/// dinp += rstd (g - mean(g) - xhat mean(g xhat));  dweight += dout xhat;  dbias += dout.
public func layerNormBackward(_ dinp: UnsafeMutablePointer<Float>, _ dweight: UnsafeMutablePointer<Float>,
                              _ dbias: UnsafeMutablePointer<Float>,
                              _ dout: UnsafePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                              _ mean: UnsafePointer<Float>, _ rstd: UnsafePointer<Float>,
                              rows: Int, features d: Int) {
    for r in 0..<rows {
        let x = inp + r * d, dy = dout + r * d, dx = dinp + r * d
        let m = mean[r], s = rstd[r]
        var gMean: Float = 0, gxMean: Float = 0
        for j in 0..<d {
            let xhat = (x[j] - m) * s
            let g = dy[j] * weight[j]
            gMean += g
            gxMean += g * xhat
            dbias[j] += dy[j]
            dweight[j] += dy[j] * xhat
        }
        gMean /= Float(d)
        gxMean /= Float(d)
        for j in 0..<d {
            let xhat = (x[j] - m) * s
            dx[j] += s * (dy[j] * weight[j] - gMean - xhat * gxMean)
        }
    }
}

/// Sum of `count` floats with a vector accumulator (a plain loop does not vectorise a reduction).
@inlinable
func vectorSum(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
    var acc: FloatVector = .zero
    var i = 0
    while i + 8 <= count { acc += UnsafeRawPointer(x + i).loadUnaligned(as: FloatVector.self); i += 8 }
    var total = acc.sum()
    while i < count { total += x[i]; i += 1 }
    return total
}

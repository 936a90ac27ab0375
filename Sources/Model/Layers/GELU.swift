// GELU, exact (erf) form: out = x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)).
//
// Computed with fastErf: |error| <= 0.5 |x| * 4e-7 (plus one rounding) against the exact function (FastMathTests).
// Sizes: `count` elements of any tensor.

/// out = 0.5 x (1 + erf(x / sqrt 2))
public func geluForward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, count: Int) {
    mapVectors(out, inp, count: count, gelu)
}

/// dinp += dout * (Phi(x) + x phi(x)),  phi(x) = e^{-x^2/2} / sqrt(2 pi); without `accumulate`,
/// dinp = that (no pass to zero it first).
public func geluBackward(_ dinp: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>,
                         _ dout: UnsafePointer<Float>, count: Int, accumulate: Bool = true) {
    if accumulate {
        mapVectors(dinp, dinp, inp, dout, count: count, accumulateGELUGradient)
    } else {
        mapVectors(dinp, inp, dout, count: count, geluGradient)
    }
}

// The vector functions the loops above run. Named functions, not closures: a closure literal
// passed to both of mapVectors' call sites was compiled out of line and called per vector.

@inline(__always)
func gelu(_ x: FloatVector) -> FloatVector {
    0.5 * x * (1 + fastErf(x * 0.707_106_781_186_547_6))
}

/// dx + dy * GELU'(x)
@inline(__always)
func accumulateGELUGradient(_ dx: FloatVector, _ x: FloatVector, _ dy: FloatVector) -> FloatVector {
    dx + geluGradient(x, dy)
}

/// dy * GELU'(x) = dy * (Phi(x) + x phi(x))
@inline(__always)
func geluGradient(_ x: FloatVector, _ dy: FloatVector) -> FloatVector {
    let cdf = 0.5 * (1 + fastErf(x * 0.707_106_781_186_547_6))
    let pdf = fastExp(-0.5 * x * x) * 0.398_942_280_401_432_7
    return dy * (cdf + x * pdf)
}

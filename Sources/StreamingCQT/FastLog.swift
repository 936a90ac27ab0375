// FastLog: ln(x) over a whole frame of magnitudes, vectorised.
//
// Written by hand because libm's logf is a scalar call (~15 ns, a fifth of a frame's cost here)
// and Swift has no vector math on Linux. Error: below 2e-7 * max(1, |ln x|) for normal positive
// floats (the e * ln 2 term rounds like any float; FilterAndLogTests checks it against libm).

/// ln(x) for x > 0: x = 2^e * m with m in [sqrt(1/2), sqrt 2), ln x = e ln 2 + 2 atanh(s),
/// s = (m - 1) / (m + 1), |s| <= 0.1716, atanh by its odd series to s^11 (error < 1e-9 relative).
@inline(__always)
func fastLog(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let bits = unsafeBitCast(x, to: SIMD8<Int32>.self)
    // Exponent relative to the mantissa range [sqrt(1/2), sqrt 2): subtract the bits of sqrt(1/2).
    let offset = bits &- 0x3F35_04F3
    let exponent = offset &>> 23
    let mantissaBits = (offset & 0x007F_FFFF) &+ 0x3F35_04F3
    let m = unsafeBitCast(mantissaBits, to: SIMD8<Float>.self)
    let s = (m - 1) / (m + 1)
    let s2 = s * s
    var p = SIMD8<Float>(repeating: 1.0 / 11)
    p = p * s2 + 1.0 / 9
    p = p * s2 + 1.0 / 7
    p = p * s2 + 1.0 / 5
    p = p * s2 + 1.0 / 3
    p = p * s2 + 1
    // Int32 to Float without Swift's scalarised conversion: 1.5 * 2^23 + e, read as a float, minus 1.5 * 2^23.
    let e = unsafeBitCast(exponent &+ 0x4B40_0000, to: SIMD8<Float>.self) - 12_582_912
    return e * 0.693_147_180_559_945_3 + 2 * s * p
}

/// values[i] = ln(1 + values[i] / epsilon), in place.
func logInPlace(_ values: UnsafeMutablePointer<Float>, count: Int, epsilon: Float) {
    let scale = 1 / epsilon
    var i = 0
    while i + 8 <= count {
        let v = UnsafeRawPointer(values + i).loadUnaligned(as: SIMD8<Float>.self) * scale + 1
        UnsafeMutableRawPointer(values + i).storeBytes(of: fastLog(v), as: SIMD8<Float>.self)
        i += 8
    }
    while i < count {
        values[i] = log1p(values[i] * scale)
        i += 1
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

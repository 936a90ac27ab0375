// FastMath: vectorised exp, erf, GELU and sigmoid over whole tensors.
//
// Written by hand because libm's expf/erff are scalar calls (20-35 ns each here) and the GELUs
// of one window alone need ~140k of them; Swift has no vector math library on Linux.
// Error bounds are stated per function and checked against libm in FastMathTests.

/// Vector width of the kernels: two SSE registers on baseline x86-64, one AVX register with
/// `-target-cpu native`.
public typealias FloatVector = SIMD8<Float>

/// e^x with relative error below 2e-7 for x in [-87, 88]; x below -87 gives 0, above 88 gives e^88.
///
/// Range reduction x = n ln2 + r with |r| <= ln2/2 (Cody-Waite, ln2 split in two), then a
/// degree-7 Taylor polynomial of e^r (truncation error 0.35^8/8! = 5e-9), scaled by 2^n
/// through the exponent bits.
@inlinable @inline(__always)
public func fastExp(_ x: FloatVector) -> FloatVector {
    var x = x
    x.replace(with: 88, where: x .> 88)
    let tooSmall = x .< -87
    x.replace(with: -87, where: tooSmall)
    // n = round(x / ln2) without a float-to-int conversion (Swift's SIMD one is scalar code):
    // adding 1.5 * 2^23 rounds to an integer held in the low mantissa bits.
    let magic = FloatVector(repeating: 12_582_912)
    let shifted = x * 1.442_695_040_888_963_4 + magic
    let n = shifted - magic
    let r = x - n * 0.693_145_751_953_125 - n * 1.428_606_765_330_187e-06
    var p: FloatVector = FloatVector(repeating: 1.0 / 5040)
    p = p * r + 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    // 2^n through the exponent field: (n + 127) << 23, n read back from the mantissa bits.
    let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
    let scale = unsafeBitCast((integer &+ 127) &<< 23, to: FloatVector.self)
    var result = p * scale
    result.replace(with: 0, where: tooSmall)
    return result
}

/// erf(x) with absolute error below 6e-7 (Abramowitz & Stegun 7.1.26, max error 1.5e-7, plus
/// float rounding of 1 - tail near x = 0; measured 5.3e-7 in FastMathTests): erf|x| = 1 - t (a1 + t (a2 + t (a3 + t (a4 + t a5)))) e^{-x^2}, t = 1/(1 + p|x|).
@inlinable @inline(__always)
public func fastErf(_ x: FloatVector) -> FloatVector {
    let ax = x.replacing(with: -x, where: x .< 0)
    let t = FloatVector(repeating: 1) / (FloatVector(repeating: 1) + 0.327_591_1 * ax)
    var poly: FloatVector = FloatVector(repeating: 1.061_405_429)
    poly = poly * t - 1.453_152_027
    poly = poly * t + 1.421_413_741
    poly = poly * t - 0.284_496_736
    poly = poly * t + 0.254_829_592
    let tail: FloatVector = poly * t * fastExp(-ax * ax)
    var y = FloatVector(repeating: 1) - tail
    y.replace(with: -y, where: x .< 0)
    return y
}

/// Applies `body` to `count` floats in vectors of 8, the tail padded (padding lanes are discarded).
/// One call site, so that `body` is inlined whole: with a second for the tail the compiler kept
/// the closure and fastExp out of line, and GELU took 19% of `file`'s time (11% after).
@inlinable @inline(__always)
func forEachVector(_ count: Int, _ body: (Int, Int) -> Void) {
    var i = 0
    while i < count {
        body(i, min(8, count - i))
        i += 8
    }
}

@inlinable @inline(__always)
func load(_ p: UnsafePointer<Float>, _ i: Int, _ n: Int) -> FloatVector {
    if n == 8 { return UnsafeRawPointer(p + i).loadUnaligned(as: FloatVector.self) }
    var v = FloatVector()
    for j in 0..<n { v[j] = p[i + j] }
    return v
}

@inlinable @inline(__always)
func store(_ v: FloatVector, _ p: UnsafeMutablePointer<Float>, _ i: Int, _ n: Int) {
    if n == 8 { UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: FloatVector.self); return }
    for j in 0..<n { p[i + j] = v[j] }
}

/// out[i] = e^{x[i]} over `count` elements.
public func expArray(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
    forEachVector(count) { i, n in store(fastExp(load(x, i, n)), out, i, n) }
}

/// out[i] = sigmoid(x[i]) = 1 / (1 + e^{-x[i]}), absolute error below 1e-7.
public func sigmoidArray(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
    forEachVector(count) { i, n in
        store(1 / (1 + fastExp(-load(x, i, n))), out, i, n)
    }
}

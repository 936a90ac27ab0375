// FastMath: vectorised exp, erf, GELU and sigmoid over whole tensors.
//
// Written by hand because libm's expf/erff are scalar calls (20-35 ns each here) and the GELUs
// of one window alone need ~140k of them; Swift has no vector math library on Linux.
// Error bounds are stated per function and checked against libm in FastMathTests.

/// Vector width of the kernels: one AVX register in the Haswell build Package.swift makes on
/// CPUs with AVX2, two SSE registers in the portable one.
public typealias FloatVector = SIMD8<Float>
/// The same lanes as integers, for masks and exponent bits.
public typealias LaneBits = SIMD8<Int32>

/// a * b + c. Fused - one rounding, one instruction - when the build is for CPUs with FMA
/// (Package.swift defines FUSED_MULTIPLY_ADD with the Haswell target): the polynomials of exp and
/// erf are chains of these, and GELU ran 1.5x faster fused (measured alone). Without FMA
/// instructions `addingProduct` is a library call per lane, so there it is a multiply and an add.
@inlinable @inline(__always)
func multiplyAdd(_ a: FloatVector, _ b: FloatVector, _ c: Float) -> FloatVector {
    #if FUSED_MULTIPLY_ADD
    FloatVector(repeating: c).addingProduct(a, b)
    #else
    a * b + c
    #endif
}

// Lane choices are made with arithmetic and bit masks only. The standard library's
// `replace(with:where:)`, `pointwiseMin` and `pointwiseMax` are generic, and inlined into these
// kernels the compiler lowered them lane by lane with branches, or kept them as calls: GELU was
// a fifth of `file`'s time so. Subtraction, shifts and masks are single vector instructions.

/// All ones in the lanes where a < b, zero elsewhere (a, b finite or infinite, not NaN): the
/// sign bit of a - b spread over the lane. The sign of a float difference is exact - rounding
/// never flips it, and it is +0 only when a == b.
@inlinable @inline(__always)
func lanes(_ a: FloatVector, below b: FloatVector) -> LaneBits {
    unsafeBitCast(a - b, to: LaneBits.self) &>> 31
}

/// `yes` in the lanes where `mask` is all ones, `no` where it is zero.
@inlinable @inline(__always)
func select(_ mask: LaneBits, _ yes: FloatVector, _ no: FloatVector) -> FloatVector {
    let y = unsafeBitCast(yes, to: LaneBits.self), n = unsafeBitCast(no, to: LaneBits.self)
    return unsafeBitCast((y & mask) | (n & ~mask), to: FloatVector.self)
}

/// max(x, 0), lane by lane (-0 gives +0).
@inlinable @inline(__always)
func positivePart(_ x: FloatVector) -> FloatVector {
    let bits = unsafeBitCast(x, to: LaneBits.self)
    return unsafeBitCast(bits & ~(bits &>> 31), to: FloatVector.self)
}

/// e^x with relative error below 2e-7 for x in [-87, 88]; x below -87 gives 0, above 88 gives e^88.
///
/// Range reduction x = n ln2 + r with |r| <= ln2/2 (Cody-Waite, ln2 split in two), then a
/// degree-7 Taylor polynomial of e^r (truncation error 0.35^8/8! = 5e-9), scaled by 2^n
/// through the exponent bits.
@inlinable @inline(__always)
public func fastExp(_ x: FloatVector) -> FloatVector {
    let low = FloatVector(repeating: -87), high = FloatVector(repeating: 88)
    let tooSmall = lanes(x, below: low)
    let x = select(lanes(high, below: x), high, select(tooSmall, low, x))
    // n = round(x / ln2) without a float-to-int conversion (Swift's SIMD one is scalar code):
    // adding 1.5 * 2^23 rounds to an integer held in the low mantissa bits.
    let magic = FloatVector(repeating: 12_582_912)
    let shifted = x * 1.442_695_040_888_963_4 + magic
    let n = shifted - magic
    let r = x - n * 0.693_145_751_953_125 - n * 1.428_606_765_330_187e-06
    var p: FloatVector = FloatVector(repeating: 1.0 / 5040)
    p = multiplyAdd(p, r, 1.0 / 720)
    p = multiplyAdd(p, r, 1.0 / 120)
    p = multiplyAdd(p, r, 1.0 / 24)
    p = multiplyAdd(p, r, 1.0 / 6)
    p = multiplyAdd(p, r, 0.5)
    p = multiplyAdd(p, r, 1)
    p = multiplyAdd(p, r, 1)
    // 2^n through the exponent field: (n + 127) << 23, n read back from the mantissa bits.
    let integer = unsafeBitCast(shifted, to: LaneBits.self) &- unsafeBitCast(magic, to: LaneBits.self)
    let scale = unsafeBitCast((integer &+ 127) &<< 23, to: FloatVector.self)
    return select(tooSmall, FloatVector(), p * scale)
}

/// erf(x) with absolute error below 4e-7 (3.6e-7 measured over [-6, 6], FastMathTests): a
/// rational function x P(x^2) / Q(x^2) on |x| <= 3.9 and 1 beyond (erf 3.9 = 1 - 3.5e-8), fitted
/// for this project by scripts/fits/erf_rational.py. Eleven multiply-adds and one division; the
/// Abramowitz-Stegun form it replaced (7.1.26, 5.3e-7) needed a division and an exp, and GELU
/// ran at 0.98 ns an element against 1.43 (AVX2, measured alone).
@inlinable @inline(__always)
public func fastErf(_ x: FloatVector) -> FloatVector {
    // |x| clamped to the edge and, at the end, the sign of x put back through the sign bit.
    let bits = unsafeBitCast(x, to: LaneBits.self)
    let sign = bits & LaneBits(repeating: Int32.min)
    let edge = FloatVector(repeating: 3.9)
    var ax = unsafeBitCast(bits & LaneBits(repeating: Int32.max), to: FloatVector.self)
    ax = select(lanes(edge, below: ax), edge, ax)
    let t = ax * ax
    var p = FloatVector(repeating: 2.0118871901786406e-08)
    p = multiplyAdd(p, t, -1.9969420463894494e-06)
    p = multiplyAdd(p, t, 0.00014747613749932498)
    p = multiplyAdd(p, t, 0.003896306036040187)
    p = multiplyAdd(p, t, 0.05114896222949028)
    p = multiplyAdd(p, t, 0.2042253315448761)
    p = multiplyAdd(p, t, 1.1283787488937378)
    var q = FloatVector(repeating: 0.0010066117392852902)
    q = multiplyAdd(q, t, 0.014730535447597504)
    q = multiplyAdd(q, t, 0.1167856976389885)
    q = multiplyAdd(q, t, 0.5143190026283264)
    q = multiplyAdd(q, t, 1)
    let y = ax * p / q
    return unsafeBitCast(unsafeBitCast(y, to: LaneBits.self) ^ sign, to: FloatVector.self)
}

// The loops over whole tensors. Each kernel hands over a function of whole vectors; the loop
// runs it on every full vector and once more on the zero-padded tail, of which only the real
// lanes are stored. An earlier loop handed its body the vector's length, so that one call site
// served the tail too: the length check inside the body halved GELU's speed (4.8 against
// 2.4 ns an element, measured alone), which a function of vectors avoids.

/// out[i] = f(a[i]) over `count` floats (out may be a).
@inlinable @inline(__always)
func mapVectors(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, count: Int,
                _ f: (FloatVector) -> FloatVector) {
    let full = count - count % FloatVector.scalarCount
    var i = 0
    while i < full {
        store(f(load(a + i)), out + i)
        i += FloatVector.scalarCount
    }
    if i < count { storeTail(f(loadTail(a + i, count - i)), out + i, count - i) }
}

/// out[i] = f(a[i], b[i]) over `count` floats (out may be a or b).
@inlinable @inline(__always)
func mapVectors(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int,
                _ f: (FloatVector, FloatVector) -> FloatVector) {
    let full = count - count % FloatVector.scalarCount
    var i = 0
    while i < full {
        store(f(load(a + i), load(b + i)), out + i)
        i += FloatVector.scalarCount
    }
    if i < count {
        let n = count - i
        storeTail(f(loadTail(a + i, n), loadTail(b + i, n)), out + i, n)
    }
}

/// out[i] = f(a[i], b[i], c[i]) over `count` floats (out may be any of them).
@inlinable @inline(__always)
func mapVectors(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                _ c: UnsafePointer<Float>, count: Int, _ f: (FloatVector, FloatVector, FloatVector) -> FloatVector) {
    let full = count - count % FloatVector.scalarCount
    var i = 0
    while i < full {
        store(f(load(a + i), load(b + i), load(c + i)), out + i)
        i += FloatVector.scalarCount
    }
    if i < count {
        let n = count - i
        storeTail(f(loadTail(a + i, n), loadTail(b + i, n), loadTail(c + i, n)), out + i, n)
    }
}

@inlinable @inline(__always)
func load(_ p: UnsafePointer<Float>) -> FloatVector { UnsafeRawPointer(p).loadUnaligned(as: FloatVector.self) }

@inlinable @inline(__always)
func store(_ v: FloatVector, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: FloatVector.self)
}

/// The first n < 8 floats at p, the other lanes 0.
@inlinable
func loadTail(_ p: UnsafePointer<Float>, _ n: Int) -> FloatVector {
    var v = FloatVector()
    for j in 0..<n { v[j] = p[j] }
    return v
}

/// Stores the first n < 8 lanes of v at p.
@inlinable
func storeTail(_ v: FloatVector, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
    for j in 0..<n { p[j] = v[j] }
}

/// out[i] = e^{x[i]} over `count` elements.
public func expArray(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
    mapVectors(out, x, count: count, fastExp)
}

/// out[i] = sigmoid(x[i]) = 1 / (1 + e^{-x[i]}), absolute error below 1e-7.
public func sigmoidArray(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
    mapVectors(out, x, count: count, sigmoid)
}

@inlinable @inline(__always)
func sigmoid(_ x: FloatVector) -> FloatVector { 1 / (1 + fastExp(-x)) }

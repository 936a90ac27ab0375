// The vectorised exp, erf, GELU and sigmoid against libm in Double, within their stated bounds.
import Foundation
import Testing
@testable import Model

/// Samples `count` points evenly over `range`, plus the range's ends.
func grid(_ range: ClosedRange<Double>, _ count: Int) -> [Float] {
    (0...count).map { Float(range.lowerBound + (range.upperBound - range.lowerBound) * Double($0) / Double(count)) }
}

/// Applies a FloatVector kernel to every element of `x`.
func applyVector(_ x: [Float], _ f: (FloatVector) -> FloatVector) -> [Float] {
    var out = [Float](repeating: 0, count: x.count)
    var i = 0
    while i < x.count {
        var v = FloatVector()
        for j in 0..<8 where i + j < x.count { v[j] = x[i + j] }
        let r = f(v)
        for j in 0..<8 where i + j < x.count { out[i + j] = r[j] }
        i += 8
    }
    return out
}

@Suite struct FastMathTests {
    /// Stated bound: relative error below 2e-7 on [-87, 88].
    @Test func expIsWithinItsBound() {
        let x = grid(-87...88, 200_000)
        let y = applyVector(x, fastExp)
        let worst = zip(x, y).map { abs(Double($1) - exp(Double($0))) / exp(Double($0)) }.max()!
        print("fastExp worst relative error \(worst)")
        #expect(worst < 2e-7)
        #expect(applyVector([-100, -1000], fastExp) == [0, 0])
    }

    /// Stated bound: absolute error below 4e-7.
    @Test func erfIsWithinItsBound() {
        let x = grid(-6...6, 600_000)
        let y = applyVector(x, fastErf)
        let worst = zip(x, y).map { abs(Double($1) - erf(Double($0))) }.max()!
        print("fastErf worst absolute error \(worst)")
        #expect(worst < 4e-7)
    }

    /// Stated bound: |GELU error| <= 0.5 |x| * 4e-7 + one float rounding of the result.
    @Test func geluMatchesTheExactErfForm() {
        let x = grid(-10...10, 100_000)
        var y = [Float](repeating: 0, count: x.count)
        geluForward(&y, x, count: x.count)
        var worstExcess = -Double.infinity
        for (xi, yi) in zip(x, y) {
            let exact = 0.5 * Double(xi) * (1 + erf(Double(xi) / 2.0.squareRoot()))
            let bound = 0.5 * abs(Double(xi)) * 4e-7 + abs(exact) * 1.2e-7
            worstExcess = max(worstExcess, abs(Double(yi) - exact) - bound)
        }
        #expect(worstExcess <= 0, "GELU exceeds its bound by \(worstExcess)")
    }

    @Test func geluDerivativeMatchesTheExactForm() {
        let x = grid(-8...8, 50_000)
        var d = [Float](repeating: 0, count: x.count)
        let ones = [Float](repeating: 1, count: x.count)
        geluBackward(&d, x, ones, count: x.count)
        let worst = zip(x, d).map { xi, di -> Double in
            let x = Double(xi)
            let exact = 0.5 * (1 + erf(x / 2.0.squareRoot())) + x * exp(-x * x / 2) / (2 * Double.pi).squareRoot()
            return abs(Double(di) - exact)
        }.max()!
        print("GELU derivative worst absolute error \(worst)")
        #expect(worst < 1e-6)
    }

    @Test func sigmoidIsWithinItsBound() {
        let x = grid(-40...40, 100_000)
        var y = [Float](repeating: 0, count: x.count)
        sigmoidArray(&y, x, count: x.count)
        let worst = zip(x, y).map { abs(Double($1) - 1 / (1 + exp(-Double($0)))) }.max()!
        print("sigmoid worst absolute error \(worst)")
        #expect(worst < 1e-7)
    }

    /// Every length, so the loop's zero-padded last vector is covered: only real lanes are written.
    @Test func reluAndItsGradientAtEveryLength() {
        for count in 1...19 {
            let x = (0..<count).map { Float($0 % 3 == 0 ? -1 : 1) * Float($0) / 4 }   // negative, -0 and positive
            var y = x + [42]                                    // a sentinel after the tensor
            reluForward(&y, count: count)
            #expect(Array(y.prefix(count)) == x.map { max($0, 0) })
            #expect(y[count] == 42)
            var g = [Float](repeating: 3, count: count) + [42]
            reluBackward(&g, y, count: count)
            #expect(Array(g.prefix(count)) == y.prefix(count).map { $0 > 0 ? 3 : 0 })
            #expect(g[count] == 42)
        }
    }

    /// Below -87 exactly 0, above 88 e^88, infinities included.
    @Test func expOutsideItsRange() {
        let e88 = applyVector([88], fastExp)[0]
        #expect(abs(Double(e88) - exp(88.0)) / exp(88.0) < 2e-7)
        #expect(applyVector([-.infinity, -87.001, 88.5, .infinity], fastExp) == [0, 0, e88, e88])
        #expect(applyVector([-87], fastExp)[0] > 0)
    }
}

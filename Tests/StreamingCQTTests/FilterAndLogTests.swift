// The pieces under the CQT with stated bounds: the half-band decimation filter and the fast log.
import Foundation
import Testing
@testable import StreamingCQT

@Suite struct FilterAndLogTests {
    /// |H(f)| of the half-band filter, f in cycles per input sample.
    func response(_ filter: HalfBandFilter, _ f: Double) -> Double {
        var h = 0.5
        for (n, tap) in filter.oddTaps.enumerated() {
            h += 2 * Double(tap) * cos(2 * Double.pi * f * Double(2 * n + 1))
        }
        return abs(h)
    }

    /// Passband to 0.2 of the input rate within 0.01 dB, stopband from 0.3 below -73 dB.
    @Test func halfBandFilterMeetsItsSpecification() {
        let filter = HalfBandFilter()
        let passband = stride(from: 0.0, through: 0.2, by: 0.001).map { 20 * log10(response(filter, $0)) }
        let stopband = stride(from: 0.3, through: 0.5, by: 0.001).map { 20 * log10(response(filter, $0)) }
        print("half-band: passband ripple \(passband.map(abs).max()!) dB, stopband peak \(stopband.max()!) dB")
        #expect(passband.map(abs).max()! < 0.01)
        #expect(stopband.max()! < -73)
        #expect(abs(response(filter, 0) - 1) < 1e-6)
    }

    @Test func fastLogIsWithinItsBound() {
        var worst = 0.0
        var x: Float = 1e-30
        while x < 1e30 {
            var v = SIMD8<Float>()
            for i in 0..<8 { v[i] = x * (1 + Float(i) * 0.123) }
            let y = fastLog(v)
            for i in 0..<8 {
                let exact = log(Double(v[i]))
                worst = max(worst, abs(Double(y[i]) - exact) / max(1, abs(exact)))
            }
            x *= 1.37
        }
        print("fastLog worst error relative to max(1, |ln x|): \(worst)")
        #expect(worst < 2e-7)
    }
}

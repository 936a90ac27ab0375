// HalfBandFilter: the zero-phase low-pass used to halve the sample rate between octaves.
//
// Designed here (a Kaiser-windowed sinc, 10 lines) rather than taken from a resampler library
// because the CQT needs exact, known alignment (zero phase, a fixed integer delay) and the same
// arithmetic on every path; libsamplerate's streaming state and latency are not that.

/// y[j] = sum_{i=-H..H} h[i] x[2j - i] with h[0] = 1/2 and h[i] = 0 for even i != 0.
/// Passband to 0.2 of the input rate, stopband from 0.3; with `halfLength` 23 and beta 7.4 the
/// passband ripple is 0.002 dB and the stopband below -73 dB (FilterAndLogTests measures it).
public struct HalfBandFilter: Sendable {
    /// H: the filter reads H samples on each side of its centre.
    public let halfLength: Int
    /// h[1], h[3], ..., h[H] (h is symmetric and zero at the other even taps).
    public let oddTaps: [Float]

    public init(halfLength: Int = 23, kaiserBeta: Double = 7.4) {
        precondition(halfLength % 2 == 1, "a half-band filter's half length is odd")
        self.halfLength = halfLength
        func besselI0(_ x: Double) -> Double {
            var sum = 1.0, term = 1.0, k = 1.0
            while term > 1e-12 * sum {
                term *= (x / (2 * k)) * (x / (2 * k))
                sum += term
                k += 1
            }
            return sum
        }
        var taps: [Double] = []
        for i in stride(from: 1, through: halfLength, by: 2) {
            let ratio = Double(i) / Double(halfLength + 1)
            let window = besselI0(kaiserBeta * (1 - ratio * ratio).squareRoot()) / besselI0(kaiserBeta)
            let x = Double.pi * Double(i) / 2
            taps.append(0.5 * sin(x) / x * window)
        }
        // Unit gain at DC: 1/2 + 2 * sum(odd taps) = 1.
        let correction = 0.5 / (2 * taps.reduce(0, +))
        oddTaps = taps.map { Float($0 * correction) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Tests of the FFTW binding: a real FFT agrees with a direct DFT and finds a sine's bin.
import Foundation
import Testing
import Model
@testable import StreamingCQT
import Support

/// Float32 FFT vs Double DFT: error grows like log2(N) * eps * max|X|; 1e-5 of the peak is
/// ample for N <= 4096 and still catches a wrong bin, sign or scale.
let fftRelativeTolerance = 1e-5

/// Direct DFT in Double: X[k] = sum_n x[n] exp(-2 pi i k n / N), the obviously correct reference.
func directDFT(_ x: [Float]) -> [(Double, Double)] {
    let n = x.count
    return (0...(n / 2)).map { k in
        var re = 0.0, im = 0.0
        for t in 0..<n {
            let angle = -2 * Double.pi * Double(k * t % n) / Double(n)
            re += Double(x[t]) * cos(angle)
            im += Double(x[t]) * sin(angle)
        }
        return (re, im)
    }
}

@Suite struct RealFFTTests {
    @Test(arguments: [1024, 1000, 4096])
    func sinePeaksInItsBin(size: Int) {
        let fft = RealFFT(size: size)
        let bin = 37
        for t in 0..<size { fft.input[t] = sin(2 * Float.pi * Float(bin * t) / Float(size)) }
        fft.execute()
        let magnitudes = (0..<fft.outputCount).map { fft.magnitude($0) }
        let peak = magnitudes.indices.max { magnitudes[$0] < magnitudes[$1] }!
        #expect(peak == bin)
        // A unit sine of an integer number of periods puts N/2 into its bin and nothing elsewhere.
        #expect(abs(magnitudes[bin] - Float(size) / 2) < Float(size) * 1e-5)
        let leakage = magnitudes.enumerated().filter { $0.offset != bin }.map(\.element).max()!
        #expect(leakage < Float(size) * 1e-5, "largest other bin \(leakage)")
    }

    @Test(arguments: [64, 1000, 2048])
    func matchesDirectDFT(size: Int) {
        var generator = SplitMix64(seed: UInt64(size))
        let signal = (0..<size).map { _ in Float.random(in: -1...1, using: &generator) }
        let fft = RealFFT(size: size, planning: .measure)
        for t in 0..<size { fft.input[t] = signal[t] }
        fft.execute()
        let reference = directDFT(signal)
        let scale = reference.map { ($0.0 * $0.0 + $0.1 * $0.1).squareRoot() }.max()!
        var worst = 0.0
        for k in 0..<fft.outputCount {
            let c = fft.output[k]
            worst = max(worst, abs(Double(c.0) - reference[k].0), abs(Double(c.1) - reference[k].1))
        }
        #expect(worst / scale < fftRelativeTolerance, "max error \(worst) of peak \(scale)")
    }
}

/// The seeded generator of the Model module, under the name these tests use.
typealias SplitMix64 = SeededGenerator

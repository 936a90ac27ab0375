// The fast transform against a direct one: every filter applied at the full sample rate by a
// plain sum, no FFT, no decimation, no sparsity - slow and obviously correct.
import Foundation
import Testing
@testable import StreamingCQT

/// |sum_n x[n] w(n - c) e^{-2 pi i f (n - c) / sr}| / sum w, with w the Hann window of the bin's
/// length centred at c; ln(1 + . / epsilon). `centre(t, bin)` gives c in samples (Double).
func directCQT(_ x: [Float], settings: CQTSettings, frames: Range<Int>, bins: [Int],
               centre: (Int, Int) -> Double) -> [[Double]] {
    let sr = Double(settings.sampleRate)
    return frames.map { t in
        bins.map { b in
            let f = settings.frequency(ofBin: b), length = settings.filterLength(ofBin: b, rate: sr)
            let c = centre(t, b)
            var re = 0.0, im = 0.0, norm = 0.0
            for n in Int(ceil(c - length / 2))...Int(floor(c + length / 2)) {
                let offset = Double(n) - c
                guard abs(offset) < length / 2 else { continue }
                let w = 0.5 + 0.5 * cos(2 * Double.pi * offset / length)
                norm += w
                guard n >= 0 && n < x.count else { continue }
                re += Double(x[n]) * w * cos(2 * Double.pi * f * offset / sr)
                im -= Double(x[n]) * w * sin(2 * Double.pi * f * offset / sr)
            }
            return log1p((re * re + im * im).squareRoot() / norm / settings.compressionEpsilon)
        }
    }
}

@Suite struct DirectCQTTests {
    /// Every 3rd bin (all registers), frames across the signal.
    let bins = Array(stride(from: 0, to: 352, by: 3))
    let frames = 40..<48

    @Test(arguments: CQTAlignment.allCases)
    func matchesTheDirectTransform(alignment: CQTAlignment) throws {
        let bank = bank(alignment), settings = bank.settings
        let fast = try BatchCQT.transform(mixedSignal, bank: bank, planning: .estimate)
        let direct = directCQT(mixedSignal, settings: settings, frames: frames, bins: bins) { t, b in
            if alignment == .centred { return Double(t * settings.hopLength) }
            // Causal: the filter ends where its octave's block ends (the decimation delay).
            let g = bank.groups.first { $0.bins.contains(b) }!
            let end = Double((t * settings.hopLength >> g.level + g.causalOffset) << g.level)
            return end - settings.filterLength(ofBin: b, rate: Double(settings.sampleRate)) / 2
        }
        var worstCorrelation = 1.0, worstDifference = 0.0
        for (row, t) in frames.enumerated() {
            let mine = bins.map { Double(fast[t * 352 + $0]) }
            worstCorrelation = min(worstCorrelation, correlation(mine, direct[row]))
            // Where the signal is well above the floor, the log magnitudes agree closely.
            for (i, value) in direct[row].enumerated() where value > log1p(1e-2 / settings.compressionEpsilon) {
                worstDifference = max(worstDifference, abs(mine[i] - value))
            }
        }
        print("\(alignment): worst per-frame correlation \(worstCorrelation), worst log difference above -40 dB \(worstDifference)")
        #expect(worstCorrelation >= 0.99)
        #expect(worstDifference < 0.1, "log magnitudes differ by \(worstDifference) (\(100 * (exp(worstDifference) - 1))%)")
    }
}

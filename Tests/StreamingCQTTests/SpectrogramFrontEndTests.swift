// The log-STFT and log-mel front ends (the CQT's comparisons in docs/EXPERIMENTS.md): the DFT
// of a Hann window and mel triangles over it as their definitions say, the same numbers batch
// and streaming, tones where they belong, settings that survive the weights file.
import Foundation
import Testing
@testable import StreamingCQT

let stftBank = try! CQTKernelBank(settings: CQTSettings(scale: .stft))
let melBank = try! CQTKernelBank(settings: CQTSettings(scale: .mel))

/// |sum_n x[n] w[n] e^{-2 pi i f n / sr}| / sum w over the Hann window of `length` samples
/// ending at sample `end` (exclusive): the plain DFT magnitude, no FFT, no kernels.
func directDFTMagnitude(_ x: [Float], hz: Double, end: Int, length: Int, rate: Double) -> Double {
    var re = 0.0, im = 0.0, norm = 0.0
    let centre = Double(end) - Double(length) / 2
    for n in (end - length)..<end {
        let offset = Double(n) - centre
        guard abs(offset) < Double(length) / 2 else { continue }
        let w = 0.5 + 0.5 * cos(2 * Double.pi * offset / Double(length))
        norm += w
        guard n >= 0 && n < x.count else { continue }
        re += Double(x[n]) * w * cos(2 * Double.pi * hz * offset / rate)
        im -= Double(x[n]) * w * sin(2 * Double.pi * hz * offset / rate)
    }
    return (re * re + im * im).squareRoot() / norm
}

@Suite struct SpectrogramFrontEndTests {
    let frames = 40..<44

    /// log-STFT bin b is the DFT bin firstSTFTBin + b of the last 2048 samples before the frame's
    /// instant: with 22050 Hz, bin 0 at 21.5 Hz (A0's 27.5 Hz lies between bins 2 and 3).
    @Test func stftIsTheHannWindowedDFT() throws {
        let settings = stftBank.settings
        #expect(settings.firstSTFTBin == 2)
        let fast = try BatchCQT.transform(mixedSignal, bank: stftBank, planning: .estimate)
        var worst = 0.0
        for t in frames {
            for b in stride(from: 0, to: 352, by: 5) {
                let hz = Double(settings.firstSTFTBin + b) * 22050 / 2048
                let direct = log1p(directDFTMagnitude(mixedSignal, hz: hz, end: t * 512, length: 2048, rate: 22050) / 1e-4)
                // Where the signal is well above the floor (as DirectCQTTests).
                if direct > log1p(1e-2 / 1e-4) { worst = max(worst, abs(Double(fast[t * 352 + b]) - direct)) }
            }
        }
        #expect(worst < 0.02, "log magnitudes above -40 dB differ by up to \(worst)")
    }

    /// A log-mel band is the sum of its triangle's weights times the DFT magnitudes: a triangle
    /// (HTK mel centres from 27.5 Hz to 8 kHz, each side at least one DFT bin) rising from the
    /// previous band's centre to 1 at its own and falling to the next one's.
    @Test func melIsTrianglesOverTheDFT() throws {
        let fast = try BatchCQT.transform(mixedSignal, bank: melBank, planning: .estimate)
        func mel(_ hz: Double) -> Double { 2595 * log10(1 + hz / 700) }
        func centre(_ b: Int) -> Double {
            let low = mel(27.5), step = (mel(8000) - low) / 351
            return 700 * (pow(10, (low + Double(b) * step) / 2595) - 1)
        }
        let spacing = 22050.0 / 2048
        var worst = 0.0
        for t in frames {
            var magnitude: [Int: Double] = [:]
            for b in stride(from: 0, to: 352, by: 7) {
                let c = centre(b), below = max(c - centre(b - 1), spacing), above = max(centre(b + 1) - c, spacing)
                var sum = 0.0
                for j in Int((c - below) / spacing)...Int((c + above) / spacing) + 1 {
                    let hz = Double(j) * spacing
                    let weight = hz < c ? 1 - (c - hz) / below : 1 - (hz - c) / above
                    guard weight > 0 else { continue }
                    if magnitude[j] == nil {
                        magnitude[j] = directDFTMagnitude(mixedSignal, hz: hz, end: t * 512, length: 2048, rate: 22050)
                    }
                    sum += weight * magnitude[j]!
                }
                if sum > 1e-2 { worst = max(worst, abs(Double(fast[t * 352 + b]) - log1p(sum / 1e-4))) }
            }
        }
        #expect(worst < 0.02, "log magnitudes above -40 dB differ by up to \(worst)")
        // No band is empty: even the low ones, narrower than a DFT bin, read at least one bin.
        #expect(melBank.melBands.count == 352 && melBank.melBands.allSatisfy { $0.weights.contains { $0 > 0 } })
    }

    @Test(arguments: [FrequencyScale.stft, .mel])
    func batchEqualsStreamingInRandomChunks(scale: FrequencyScale) throws {
        let bank = scale == .stft ? stftBank : melBank
        let batch = try BatchCQT.transform(mixedSignal, bank: bank, planning: .estimate)
        var generator = SplitMix64(seed: 5)
        let engine = StreamingCQT(bank: bank, planning: .estimate)
        var streamed: [Float] = []
        var offset = 0
        while offset < mixedSignal.count {
            let end = min(offset + Int.random(in: 1...3000, using: &generator), mixedSignal.count)
            try engine.push(Array(mixedSignal[offset..<end])) { _, f in streamed.append(contentsOf: f) }
            offset = end
        }
        try engine.finish { _, f in streamed.append(contentsOf: f) }
        #expect(streamed == batch)
    }

    /// A tone peaks in a bin (band) within one DFT bin of its pitch, in every register.
    @Test(arguments: [FrequencyScale.stft, .mel], [33, 45, 69, 93])
    func tonePeaksAtItsPitch(scale: FrequencyScale, midi: Int) throws {
        let bank = scale == .stft ? stftBank : melBank
        let frames = try BatchCQT.transform(tone(midi: Double(midi), seconds: 1), bank: bank, planning: .estimate)
        let values = frame(frames, 30, bins: 352)
        let peak = values.indices.max { values[$0] < values[$1] }!
        let pitch = 440 * pow(2, Double(midi - 69) / 12), found = bank.settings.frequency(ofBin: peak)
        #expect(abs(found - pitch) <= bank.settings.dftSpacing, "peak at \(found) Hz for a tone at \(pitch) Hz")
        #expect(bank.bin(ofNote: midi).map { abs(bank.settings.frequency(ofBin: $0) - pitch) <= bank.settings.dftSpacing } == true)
    }

    @Test func settingsRoundTripAndBadOnesSayWhatToChange() throws {
        for settings in [CQTSettings(scale: .stft, windowLength: 1024), CQTSettings(scale: .mel, melTop: 6000)] {
            #expect(try CQTSettings(metadata: settings.metadata) == settings)
        }
        // A file written before front ends had a kind is a CQT one.
        var old = CQTSettings().metadata
        old["front_end"] = nil
        #expect(try CQTSettings(metadata: old) == CQTSettings())
        old["front_end"] = "wavelet"
        #expect { try CQTSettings(metadata: old) } throws: { "\($0)".contains("cqt, stft, mel") }
        #expect { try CQTKernelBank(settings: CQTSettings(gamma: 2, scale: .stft)) } throws: { "\($0)".contains("one window for all bins") }
        #expect { try CQTKernelBank(settings: CQTSettings(scale: .mel, melTop: 12000)) } throws: { "\($0)".contains("lower mel_top") }
        #expect { try CQTKernelBank(settings: CQTSettings(scale: .stft, windowLength: 512)) } throws: {
            "\($0)".contains("Nyquist") && "\($0)".contains("longer window")
        }
    }
}

// The constant-Q transform: one set of numbers in batch and streaming, tones where they belong,
// silence at the floor, agreement with a direct (slow, obviously correct) CQT, clear errors.
import Foundation
import Testing
@testable import StreamingCQT

/// Banks are deterministic and slow-ish to design; each alignment's is made once per process.
let centredBank = try! CQTKernelBank(settings: CQTSettings(alignment: .centred))
let causalBank = try! CQTKernelBank(settings: CQTSettings(alignment: .causal))
func bank(_ alignment: CQTAlignment) -> CQTKernelBank { alignment == .centred ? centredBank : causalBank }

/// A test signal with tones across the range, a click and noise, 2.5 s.
let mixedSignal: [Float] = {
    var generator = SplitMix64(seed: 99)
    var x = mix([tone(midi: 28, seconds: 2.5, amplitude: 0.2), tone(midi: 57, seconds: 2.5, amplitude: 0.2),
                 tone(midi: 88.3, seconds: 2.5, amplitude: 0.1)])
    for i in x.indices { x[i] += Float.random(in: -0.01...0.01, using: &generator) }
    x[20000] += 0.9
    return x
}()

@Suite struct StreamingCQTTests {
    /// Invariant 1 of ARCHITECTURE.md: the frames the trainer computes and the frames the live path
    /// streams are the same numbers. Required: relative error <= 1e-5; by construction it is 0.
    @Test(arguments: CQTAlignment.allCases)
    func batchEqualsStreamingInRandomChunks(alignment: CQTAlignment) throws {
        let bank = bank(alignment)
        let batch = try BatchCQT.transform(mixedSignal, bank: bank, planning: .estimate)
        var generator = SplitMix64(seed: alignment == .centred ? 1 : 2)
        let engine = StreamingCQT(bank: bank, planning: .estimate)
        var streamed: [Float] = []
        var expectedIndex = 0
        let collect = { (t: Int, f: UnsafeBufferPointer<Float>) in
            #expect(t == expectedIndex)
            expectedIndex += 1
            streamed.append(contentsOf: f)
        }
        var offset = 0
        while offset < mixedSignal.count {
            let size = [1, 7, 512, 3000, Int.random(in: 1...6000, using: &generator)][Int.random(in: 0..<5, using: &generator)]
            let end = min(offset + size, mixedSignal.count)
            try engine.push(Array(mixedSignal[offset..<end]), onFrame: collect)
            offset = end
        }
        try engine.finish(onFrame: collect)
        #expect(streamed.count == batch.count)
        let worst = zip(streamed, batch).map { abs($0 - $1) / max(abs($1), 1e-6) }.max()!
        #expect(worst <= 1e-5, "largest relative difference \(worst)")
    }

    /// Frames arrive as soon as their samples have: causal frame t in the push that brings sample
    /// t*hop, centred frame t in the push that brings sample t*hop + lookahead.
    @Test(arguments: CQTAlignment.allCases)
    func framesArriveAsSoonAsTheirSamples(alignment: CQTAlignment) throws {
        let bank = bank(alignment)
        let engine = StreamingCQT(bank: bank, planning: .estimate)
        let hop = bank.settings.hopLength, chunk = 37
        var pushed = 0, frames = 0
        while pushed < bank.lookahead + 30 * hop {
            try engine.push([Float](repeating: 0.1, count: chunk)) { t, _ in
                let needed = max(t * hop + bank.lookahead, 1)
                #expect(pushed < needed && needed <= pushed + chunk, "frame \(t) needs \(needed) samples, came after \(pushed + chunk)")
                frames += 1
            }
            pushed += chunk
        }
        #expect(frames >= 30)
        #expect(alignment == .causal ? bank.lookahead == 0 : bank.lookahead > 0)
    }

    /// A pure tone at MIDI m peaks in note m; the notes a semitone away stay at least 20 dB
    /// below (measured: about 30 dB), in every register.
    @Test(arguments: [24, 33, 45, 57, 69, 81, 93, 105])
    func pureTonePeaksInItsNote(midi: Int) throws {
        let frames = try BatchCQT.transform(tone(midi: Double(midi), seconds: 4), bank: centredBank, planning: .estimate)
        let notes = noteValues(frame(frames, 86, bins: 352), binsPerNote: 4)
        let peak = notes.indices.max { notes[$0] < notes[$1] }!
        #expect(peak + 21 == midi)
        let neighbour = max(notes[peak - 1], notes[min(peak + 1, 87)])
        let ratio = 20 * log10(expm1(notes[peak]) / expm1(neighbour))
        #expect(ratio > 20, "neighbours only \(ratio) dB below")
        // Amplitude 0.5 gives about 0.5 / 2 in the note's best bin (L1-normalised filters).
        let magnitude = expm1(notes[peak]) * 1e-4
        #expect(abs(magnitude - 0.25) < 0.06, "peak magnitude \(magnitude)")
    }

    @Test func chordPeaksAtEachOfItsNotes() throws {
        let chord = mix([60, 64, 67, 72].map { tone(midi: Double($0), seconds: 3, amplitude: 0.2) })
        let frames = try BatchCQT.transform(chord, bank: centredBank, planning: .estimate)
        let notes = noteValues(frame(frames, 64, bins: 352), binsPerNote: 4)
        let top4 = notes.indices.sorted { notes[$0] > notes[$1] }.prefix(4).map { $0 + 21 }
        #expect(Set(top4) == [60, 64, 67, 72])
    }

    @Test(arguments: CQTAlignment.allCases)
    func silenceGivesTheFloor(alignment: CQTAlignment) throws {
        let frames = try BatchCQT.transform([Float](repeating: 0, count: 22050), bank: bank(alignment), planning: .estimate)
        #expect(frames.count == (22050 / 512 + 1) * 352)
        #expect(frames.allSatisfy { $0 == CQTSettings().floor })
    }

    @Test func reportsLookaheadAndLatencyPerRegister() {
        // Centred: a frame waits for half of the longest (A0) filter, ~1.3 s, plus decimation.
        #expect(centredBank.lookaheadMilliseconds > 1000 && centredBank.lookaheadMilliseconds < 2000)
        #expect(causalBank.lookahead == 0)
        // Causal: a note's latency is about half its filter: long low, short high.
        let a0 = causalBank.latencyMilliseconds(ofBin: causalBank.bin(ofNote: 21)!)
        let a4 = causalBank.latencyMilliseconds(ofBin: causalBank.bin(ofNote: 69)!)
        let c6 = causalBank.latencyMilliseconds(ofBin: causalBank.bin(ofNote: 84)!)
        #expect(a0 > 1000 && a4 < 120 && c6 < a4, "A0 \(a0) ms, A4 \(a4) ms, C6 \(c6) ms")
    }

    @Test func badSettingsSayWhatToChange() {
        #expect { try CQTKernelBank(settings: CQTSettings(sampleRate: 8000)) } throws: {
            "\($0)".contains("Nyquist") && "\($0)".contains("reduce the number of notes")
        }
        #expect { try CQTKernelBank(settings: CQTSettings(hopLength: 500)) } throws: {
            "\($0)".contains("hop_length 500 must be a multiple of 256") && "\($0)".contains("use a hop such as 256")
        }
        #expect { try CQTKernelBank(settings: CQTSettings(notes: 0)) } throws: { "\($0)".contains("zero bins") }
        #expect { try CQTKernelBank(settings: CQTSettings(binsPerNote: 0)) } throws: { "\($0)".contains("bins_per_note") }
    }

    @Test func settingsRoundTripThroughMetadata() throws {
        let settings = CQTSettings(binsPerNote: 2, gamma: 3.5, alignment: .causal, compressionEpsilon: 1e-3)
        #expect(try CQTSettings(metadata: settings.metadata) == settings)
        var broken = settings.metadata
        broken["cqt_alignment"] = "sideways"
        #expect { try CQTSettings(metadata: broken) } throws: { "\($0)".contains("centred, causal") }
    }

    @Test func pushingAfterFinishIsAnError() throws {
        let engine = StreamingCQT(bank: causalBank, planning: .estimate)
        try engine.finish { _, _ in }
        #expect(throws: CQTError.finished) { try engine.push([0]) { _, _ in } }
        engine.reset()
        var count = 0
        try engine.push([Float](repeating: 0, count: 1024)) { _, _ in count += 1 }
        #expect(count == 3)
    }
}


// What the bundled weights hear, through the engine `file` runs: a key struck again is a new note,
// and a hard strike is louder in the MIDI than a soft one. Audio synthesised here (a struck
// string, ToneSynthesis.strikes), never heard in training.
import Foundation
import Pipeline
import Support
import Testing

/// Models/default.safetensors, from this file's place in the package.
let bundledWeightsPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Models/default.safetensors").path

/// The notes `file` prints, with its default settings, for the audio `make(rate)` synthesises at
/// the weights' sample rate.
func transcribeWithBundledWeights(_ make: (Int) -> [Float]) throws -> [TranscribedNote] {
    let engine = try TranscriptionEngine(weights: try Weights.load(bundledWeightsPath), settings: .file)
    let notes = NoteCollector()
    engine.add(notes)
    let samples = make(engine.description.data.frontEnd.sampleRate), block = 4096
    try samples.withUnsafeBufferPointer { all in
        for start in stride(from: 0, to: all.count, by: block) {
            try engine.push(UnsafeBufferPointer(rebasing: all[start..<min(all.count, start + block)]))
        }
    }
    try engine.finish()
    return notes.notes.sorted { $0.onset < $1.onset }
}

@Suite struct BundledWeightsTests {
    /// A4 struck four times at 8 strikes a second (125 ms apart, the string still ringing at each
    /// new strike): four notes, each within 50 ms of its strike. A decoder of frames alone hears one.
    @Test func aKeyStruckFourTimesAtEightPerSecondIsFourNotes() throws {
        let times = [0.5, 0.625, 0.75, 0.875]
        let heard = try transcribeWithBundledWeights {
            ToneSynthesis.strikes(pitch: 69, at: times.map { ($0, 0.6) }, seconds: 2.5, rate: $0)
        }.filter { $0.pitch == 69 }
        #expect(heard.count == 4, "A4 notes at \(heard.map { String(format: "%.3f", $0.onset) })")
        for (note, time) in zip(heard, times) {
            #expect(abs(note.onset - time) <= 0.05, "a strike at \(time) s was heard at \(note.onset) s")
        }
    }

    /// C4 struck softly, then hard: two notes, the hard one's MIDI velocity clearly above the soft one's (61 and 81 when
    /// written; a margin of 10 leaves room for another CPU's rounding, none for equal velocities).
    @Test func softAndLoudStrikesGetDifferentVelocities() throws {
        let heard = try transcribeWithBundledWeights {
            ToneSynthesis.strikes(pitch: 60, at: [(0.5, 0.12), (2.0, 0.9)], seconds: 3.5, rate: $0)
        }.filter { $0.pitch == 60 }
        try #require(heard.count == 2, "C4 notes at \(heard.map { String(format: "%.3f", $0.onset) })")
        let (soft, loud) = (heard[0].velocity, heard[1].velocity)
        print("soft strike: velocity \(soft); loud strike: velocity \(loud)")
        #expect(loud - soft >= 10, "soft strike velocity \(soft), loud \(loud)")
    }
}

// The MIDI reader on damaged files: it returns what it could read or says the file is not MIDI;
// it never traps (each case here is one the fuzzer, Fuzz/MIDIFuzz, found or could).
import Foundation
import Pipeline
import Testing
import Trainer
import TestSupport
@testable import Transcription

@Suite struct MIDIFileTests {
    static let header: [UInt8] = Array("MThd".utf8) + [0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xE0]

    static func track(_ body: [UInt8], length: Int? = nil) -> [UInt8] {
        let n = length ?? body.count
        return Array("MTrk".utf8) + [UInt8(n >> 24 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + body
    }

    @Test func writtenNotesReadBackToTheTick() throws {
        let notes = [TranscribedNote(pitch: 60, onset: 0.5, offset: 1.25, confidence: 0.9, name: "C4"),
                     TranscribedNote(pitch: 64, onset: 0.75, offset: 2, confidence: 0.5, name: "E4")]
        let back = try LabelMIDI.notes(in: MIDIFile.data(notes))
        #expect(back.map(\.pitch) == [60, 64])
        #expect(back.map(\.onset) == [0.5, 0.75] && back.map(\.offset) == [1.25, 2])
    }

    /// A note's velocity is what the file says: the velocity head's where the weights have one,
    /// the confidence scaled to 127 where they do not (weights from before the heads).
    @Test func softAndLoudNotesKeepTheirVelocities() throws {
        let notes = [TranscribedNote(pitch: 60, onset: 0, offset: 0.5, confidence: 0.9, name: "C4", velocity: 30),
                     TranscribedNote(pitch: 60, onset: 0.5, offset: 1, confidence: 0.9, name: "C4", velocity: 110),
                     TranscribedNote(pitch: 64, onset: 0, offset: 1, confidence: 0.5, name: "E4")]
        let back = try LabelMIDI.notes(in: MIDIFile.data(notes))
        #expect(back.map(\.velocity) == [30, 63, 110])
        // And through a file written as a session writes it.
        let path = scratchFolder("midi-velocity").appendingPathComponent("notes.mid").path
        let file = try MIDIFileWriter(path: path)
        for note in notes {
            file.noteOn(pitch: note.pitch, name: note.name, time: note.onset, confidence: note.confidence, velocity: note.velocity)
            file.noteOff(note)
        }
        try file.flush()
        #expect(try LabelMIDI.notes(in: Data(contentsOf: URL(fileURLWithPath: path))).map(\.velocity) == [30, 63, 110])
    }

    /// A damaged file is read up to where it breaks: no trap, and exactly the notes that were
    /// whole before the damage (a note-on whose note-off was lost is no note).
    @Test(arguments: [
        // A tempo event whose 3 data bytes run past the end of the file (the fuzzer's first find):
        // the note before it is whole.
        (header + track([0x00, 0x90, 60, 100, 0x10, 0x80, 60, 0, 0x00, 0xFF, 0x51, 0x03, 0x07], length: 40), [60]),
        // A meta event cut after its type byte, and one whose length runs past the track.
        (header + track([0x00, 0xFF]), []), (header + track([0x00, 0xFF, 0x01, 0x7F, 0x41]), []),
        // A delta time that never ends, and a note cut after its status byte.
        (header + track([0xFF, 0xFF, 0xFF, 0xFF, 0xFF]), []), (header + track([0x00, 0x90]), []),
        // Data bytes with no status before them, and a track length far past the file.
        (header + track([0x00, 0x40, 0x40]), []), (header + track([0x00, 0x90, 60, 100], length: 1 << 30), []),
        // A whole note, then the track cut inside the next delta time.
        (header + track([0x00, 0x90, 64, 90, 0x20, 0x80, 64, 0, 0x81]), [64]),
    ] as [([UInt8], [Int])])
    func damagedFilesAreReadUpToTheDamage(bytes: [UInt8], notes: [Int]) throws {
        #expect(try LabelMIDI.notes(in: Data(bytes)).map(\.pitch) == notes)
    }

    @Test func notMIDIOrZeroDivisionIsAClearError() {
        #expect(throws: LabelMIDI.ReadError.self) { _ = try LabelMIDI.notes(in: Data("RIFF....WAVEfmt ".utf8)) }
        var zero = Self.header
        zero[12] = 0; zero[13] = 0
        #expect { _ = try LabelMIDI.notes(in: Data(zero + Self.track([0x00, 0xFF, 0x2F, 0x00]))) } throws: {
            "\($0)".contains("0 ticks per quarter note")
        }
    }
}

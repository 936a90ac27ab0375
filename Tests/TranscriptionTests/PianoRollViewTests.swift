// The piano roll: a line per step of time, the sounding keys marked in their columns.
import Pipeline
import Testing
import TestSupport
@testable import Transcription

@Suite struct PianoRollViewTests {
    @Test func marksTheSoundingKeysInTheirColumns() {
        var lines: [String] = []
        let roll = PianoRollView(lineSeconds: 0.1, colour: false, write: { lines.append($0) })
        roll.noteOn(pitch: 60, name: "C4", time: 0, confidence: 0.9, velocity: 100)
        roll.noteOn(pitch: 64, name: "E4", time: 0, confidence: 0.9, velocity: 100)
        roll.advance(to: 0.0)
        roll.noteOff(TranscribedNote(pitch: 64, onset: 0, offset: 0.1, confidence: 0.9, name: "E4"))
        roll.advance(to: 0.05)   // within the same line: no new line
        roll.advance(to: 0.1)       // E4 sounded during this line's time: still drawn
        roll.advance(to: 0.2)
        #expect(lines.count == 4)   // the header and three lines
        let keys = { (line: String) in Array(line.dropFirst(9)) }
        // Column k is MIDI 21 + k: C4 = 39, E4 = 43.
        #expect(keys(lines[1])[39] == "#" && keys(lines[1])[43] == "#")
        #expect(keys(lines[2])[43] == "#")
        #expect(keys(lines[3])[39] == "#" && keys(lines[3])[43] != "#")
        #expect(keys(lines[1]).filter { $0 == "#" }.count == 2)
        #expect(Array(lines[0].dropFirst(9))[39] == "4")   // the octave mark over C4
    }

    @Test func aShortNoteBetweenLinesStillShows() {
        var lines: [String] = []
        let roll = PianoRollView(lineSeconds: 0.1, colour: false, write: { lines.append($0) })
        roll.advance(to: 0)
        roll.noteOn(pitch: 72, name: "C5", time: 0.02, confidence: 0.8, velocity: 100)
        roll.noteOff(TranscribedNote(pitch: 72, onset: 0.02, offset: 0.06, confidence: 0.8, name: "C5"))
        roll.advance(to: 0.1)
        #expect(Array(lines[2].dropFirst(9))[51] == "#")
    }
}

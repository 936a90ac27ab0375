// Tests of note naming: MIDI numbers and names agree both ways.
import Testing
@testable import Pipeline

@Suite struct NoteNameTests {
    @Test func knownNames() {
        #expect(NoteName.name(ofMIDI: 60) == "C4")
        #expect(NoteName.name(ofMIDI: 69) == "A4")
        #expect(NoteName.name(ofMIDI: 21) == "A0")
        #expect(NoteName.name(ofMIDI: 108) == "C8")
        #expect(NoteName.name(ofMIDI: 61) == "C#4")
        #expect(NoteName.name(ofPitchClass: 11) == "B")
    }

    @Test func parsingInvertsNaming() {
        for midi in 0...127 { #expect(NoteName.midi(named: NoteName.name(ofMIDI: midi)) == midi) }
        #expect(NoteName.midi(named: "Db4") == 61)
        #expect(NoteName.midi(named: "H4") == nil)
        #expect(NoteName.midi(named: "C") == nil)
    }

    @Test func a4Is440() {
        #expect(abs(NoteName.frequency(ofMIDI: 69) - 440) < 1e-9)
        #expect(abs(NoteName.frequency(ofMIDI: 81) - 880) < 1e-9)
    }
}

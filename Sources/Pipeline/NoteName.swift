// NoteName: MIDI pitch numbers and the note names a musician reads (C4 = MIDI 60, A4 = 440 Hz).

/// Scientific pitch notation with sharps: MIDI 60 is `C4`, 61 `C#4`, 21 (A0) the piano's lowest.
public enum NoteName {
    static let pitchClasses = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]

    /// The name of MIDI pitch `midi` (0 ... 127), e.g. 69 -> "A4".
    public static func name(ofMIDI midi: Int) -> String {
        let octave = midi / 12 - 1
        return pitchClasses[((midi % 12) + 12) % 12] + String(octave)
    }

    /// The name of pitch class `pitchClass` (0 = C ... 11 = B), for 12-class models.
    public static func name(ofPitchClass pitchClass: Int) -> String {
        pitchClasses[((pitchClass % 12) + 12) % 12]
    }

    /// Parses "C4", "c#4", "Db3", "A0", "Bb-1" into a MIDI number; nil when it is not a note name.
    public static func midi(named text: String) -> Int? {
        var rest = Substring(text.filter { !$0.isWhitespace })
        guard let letter = rest.first?.uppercased(), let base = ["C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11][letter] else {
            return nil
        }
        rest = rest.dropFirst()
        var pitch = base
        while let accidental = rest.first, accidental == "#" || accidental == "b" {
            pitch += accidental == "#" ? 1 : -1
            rest = rest.dropFirst()
        }
        guard let octave = Int(rest), (-1...9).contains(octave) else { return nil }
        let midi = (octave + 1) * 12 + pitch
        return (0...127).contains(midi) ? midi : nil
    }

    /// Equal-tempered frequency of MIDI pitch `midi` with A4 = 440 Hz: 440 * 2^((m - 69) / 12).
    public static func frequency(ofMIDI midi: Double) -> Double {
        440 * pow2((midi - 69) / 12)
    }

    private static func pow2(_ x: Double) -> Double { exp2(x) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

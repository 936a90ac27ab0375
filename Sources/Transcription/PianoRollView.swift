// PianoRollView: a scrolling piano roll on the terminal - one line every few frames, a column per
// key from A0 to C8, sounding notes drawn in colour (by confidence) when the terminal has colour.
import Foundation
import Pipeline

public final class PianoRollView: NoteSink {
    public let lowestNote: Int, keys: Int
    /// Seconds of audio per line.
    public let lineSeconds: Double
    private let colour: Bool
    private let write: (String) -> Void
    private var sounding: [Int: Float] = [:]
    /// Notes that sounded at any time since the last line (so short notes still show).
    private var seen: [Int: Float] = [:]
    private var nextLine = 0.0

    /// `colour`: ANSI 256-colour blocks; by default when standard output is a terminal that
    /// is not "dumb" and NO_COLOR is unset.
    public init(lowestNote: Int = 21, keys: Int = 88, lineSeconds: Double = 0.1, colour: Bool? = nil,
                write: @escaping (String) -> Void = { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }) {
        self.lowestNote = lowestNote
        self.keys = keys
        self.lineSeconds = lineSeconds
        let environment = ProcessInfo.processInfo.environment
        self.colour = colour ?? (isatty(1) != 0 && environment["TERM"] != "dumb" && environment["NO_COLOR"] == nil)
        self.write = write
        write("         " + header())
    }

    /// Octave marks: the digit of each C's octave above its column, dots elsewhere.
    func header() -> String {
        String((0..<keys).map { k -> Character in
            let midi = lowestNote + k
            return midi % 12 == 0 ? Character(String(midi / 12 - 1)) : (midi % 12 == 5 ? "'" : " ")
        })
    }

    public func noteOn(pitch: Int, name: String, time: Double, confidence: Float, velocity: Int) {
        sounding[pitch] = confidence
        seen[pitch] = max(seen[pitch] ?? 0, confidence)
    }

    public func noteOff(_ note: TranscribedNote) { sounding[note.pitch] = nil }

    public func advance(to time: Double) {
        guard time >= nextLine else { return }
        nextLine = time + lineSeconds
        var line = TerminalView.timestamp(time) + " "
        for k in 0..<keys {
            let pitch = lowestNote + k
            if let confidence = seen[pitch] ?? sounding[pitch] {
                if colour {
                    // 256-colour ramp from dim blue (unsure) to bright yellow (sure).
                    let shade = [33, 39, 45, 51, 50, 49, 48, 82, 118, 154, 190, 226][min(11, Int(confidence * 11.99))]
                    line += "\u{1B}[38;5;\(shade)m\u{2588}\u{1B}[0m"
                } else {
                    line += "#"
                }
            } else {
                line += (pitch % 12 == 0) ? "|" : (colour ? "\u{1B}[2m.\u{1B}[0m" : ".")
            }
        }
        write(line)
        seen = sounding
    }

    public func flush() throws {}
}

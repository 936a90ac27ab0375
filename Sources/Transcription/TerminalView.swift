// TerminalView: the notes sounding now, printed as they change: `00:12.34  C4 E4 G4`.
import Foundation
import Pipeline

public final class TerminalView: NoteSink {
    private var active: [Int: String] = [:]
    private var changed = false
    private let write: (String) -> Void
    /// Wall-clock times at which each note-on was printed, for latency measurement.
    public private(set) var printedOnsets: [(pitch: Int, audioTime: Double, wallTime: UInt64)] = []

    /// `write` prints a line; by default to standard output, unbuffered so it shows at once.
    public init(write: @escaping (String) -> Void = { line in
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }) { self.write = write }

    public func noteOn(pitch: Int, name: String, time: Double, confidence: Float, velocity: Int) {
        active[pitch] = name
        changed = true
        printedOnsets.append((pitch, time, DispatchTime.now().uptimeNanoseconds))
    }

    public func noteOff(_ note: TranscribedNote) {
        if active.removeValue(forKey: note.pitch) != nil { changed = true }
    }

    public func advance(to time: Double) {
        guard changed else { return }
        changed = false
        let names = active.sorted { $0.key < $1.key }.map(\.value)
        write(Self.timestamp(time) + "  " + (names.isEmpty ? "-" : names.joined(separator: " ")))
    }

    public func flush() throws {}

    /// mm:ss.cc
    public static func timestamp(_ seconds: Double) -> String {
        let centiseconds = Int((seconds * 100).rounded())
        return String(format: "%02d:%02d.%02d", centiseconds / 6000, centiseconds / 100 % 60, centiseconds % 100)
    }
}

// EventFileReader: reads back the note events `--csv` writes (onset, offset, pitch, name,
// confidence), so a transcription can be scored against labels (`evaluate --notes`).
import Foundation

public struct EventFileError: Error, CustomStringConvertible {
    public var description: String
}

public enum EventFileReader {
    /// The notes of a `--csv` file: onset and offset in seconds, MIDI pitch.
    public static func notes(csv path: String) throws -> [(pitch: Int, onset: Double, offset: Double)] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw EventFileError(description: "cannot read '\(path)' as text; give the CSV a transcribe command wrote with --csv")
        }
        var notes: [(pitch: Int, onset: Double, offset: Double)] = []
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            if index == 0 {
                guard fields.first == "onset" else {
                    throw EventFileError(description: "'\(path)' does not start with the header onset,offset,pitch,name,confidence(,velocity)")
                }
                continue
            }
            if line.allSatisfy(\.isWhitespace) { continue }
            guard fields.count >= 3, let onset = Double(fields[0]), let offset = Double(fields[1]), let pitch = Int(fields[2]),
                  onset.isFinite, offset >= onset else {
                throw EventFileError(description: "\(path):\(index + 1): expected onset,offset,pitch,... with offset >= onset, got '\(line)'")
            }
            notes.append((pitch, onset, offset))
        }
        return notes
    }
}

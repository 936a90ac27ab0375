// EventFileWriter: note events as CSV or JSON lines (onset s, offset s, MIDI pitch, name,
// confidence), one line per finished note, flushed as it goes so an interrupted run keeps them.
import Foundation

public final class EventFileWriter: NoteSink {
    public enum Format: Sendable { case csv, jsonl }
    private let handle: FileHandle
    private let format: Format
    public let path: String

    /// Creates (or truncates) `path`; throws a clear error when it cannot be written.
    public init(path: String, format: Format) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw OutputError(path: path, reason: String(cString: strerror(errno)))
        }
        self.handle = handle
        self.format = format
        self.path = path
        if format == .csv { try write("onset,offset,pitch,name,confidence\n") }
    }

    private func write(_ text: String) throws {
        do { try handle.write(contentsOf: Data(text.utf8)) } catch { throw OutputError(path: path, reason: error.localizedDescription) }
    }

    public func noteOn(pitch: Int, name: String, time: Double, confidence: Float) {}
    public func advance(to time: Double) {}

    public func noteOff(_ note: TranscribedNote) {
        let line: String
        switch format {
        case .csv:
            line = String(format: "%.3f,%.3f,%d,%@,%.3f\n", note.onset, note.offset, note.pitch, note.name, note.confidence)
        case .jsonl:
            line = String(format: "{\"onset\": %.3f, \"offset\": %.3f, \"pitch\": %d, \"name\": \"%@\", \"confidence\": %.3f}\n",
                          note.onset, note.offset, note.pitch, note.name, note.confidence)
        }
        try? write(line)
    }

    public func flush() throws {
        do { try handle.synchronize() } catch { throw OutputError(path: path, reason: error.localizedDescription) }
    }
}

public struct OutputError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String {
        "cannot write '\(path)': \(reason). Check that the folder exists and is writable and that the disk has room."
    }
}

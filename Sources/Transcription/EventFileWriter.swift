// EventFileWriter: note events as CSV or JSON lines (onset s, offset s, MIDI pitch, name,
// confidence, velocity), one line per finished note, flushed as it goes so an interrupted run keeps them.
import Foundation
import Pipeline

public final class EventFileWriter: NoteSink {
    public enum Format: Sendable { case csv, jsonl }
    private let handle: FileHandle
    private let format: Format
    public let path: String
    /// The first failed write (a full disk): reported by the next flush, which every run ends with.
    private var failure: OutputError?

    /// Creates (or truncates) `path`; throws a clear error when it cannot be written. Opened with
    /// open(2), not FileManager.createFile, which replaces the path with a new file - and so would
    /// clobber a symlink or a device such as /dev/stdout.
    public init(path: String, format: Format) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw OutputError(path: path, reason: String(cString: strerror(errno))) }
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        self.format = format
        self.path = path
        if format == .csv { try write("onset,offset,pitch,name,confidence,velocity\n") }
    }

    private func write(_ text: String) throws {
        do { try handle.write(contentsOf: Data(text.utf8)) } catch { throw OutputError(path: path, reason: error.localizedDescription) }
    }

    public func noteOn(pitch: Int, name: String, time: Double, confidence: Float, velocity: Int) {}
    public func advance(to time: Double) {}

    public func noteOff(_ note: TranscribedNote) {
        let line: String
        switch format {
        case .csv:
            line = String(format: "%.3f,%.3f,%d,%@,%.3f,%d\n", note.onset, note.offset, note.pitch, note.name, note.confidence,
                          note.velocity)
        case .jsonl:
            line = String(decoding: (try? Self.encoder.encode(JSONLine(note))) ?? Data(), as: UTF8.self) + "\n"
        }
        guard failure == nil else { return }
        do { try write(line) } catch { failure = error as? OutputError ?? OutputError(path: path, reason: "\(error)") }
    }

    /// One note of a JSON-lines file: times to the millisecond, confidence to three places.
    struct JSONLine: Codable {
        var onset: Double, offset: Double, pitch: Int, name: String, confidence: Double, velocity: Int
        init(_ note: TranscribedNote) {
            func rounded(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
            (onset, offset, pitch, name, confidence) = (rounded(note.onset), rounded(note.offset), note.pitch, note.name,
                                                        rounded(Double(note.confidence)))
            velocity = note.velocity
        }
    }
    static let encoder = { () -> JSONEncoder in
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    public func flush() throws {
        if let failure { throw failure }
        do { try handle.synchronize() } catch { throw OutputError(path: path, reason: error.localizedDescription) }
    }
}

public struct OutputError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String {
        "cannot write '\(path)': \(reason.hasSuffix(".") ? String(reason.dropLast()) : reason). Check that the folder exists and is writable and that the disk has room."
    }
}

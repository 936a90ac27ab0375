// NoteSink: where the engine's notes go (the terminal, files, a MIDI port, a scorer), and the
// note as they see it.

/// A note as the outputs see it: MIDI pitch (or pitch class), times in seconds of audio.
public struct TranscribedNote: Sendable, Equatable {
    public var pitch: Int
    public var onset: Double
    public var offset: Double
    public var confidence: Float
    /// "C4", or "C" for a pitch class.
    public var name: String
    /// MIDI velocity, 1 ... 127: what the velocity head heard at the onset, or, for weights
    /// without one, the confidence scaled to 127.
    public var velocity: Int

    public init(pitch: Int, onset: Double, offset: Double, confidence: Float, name: String, velocity: Int? = nil) {
        self.pitch = pitch
        self.onset = onset
        self.offset = offset
        self.confidence = confidence
        self.name = name
        self.velocity = velocity ?? Self.velocity(confidence: confidence)
    }

    /// The velocity of a note from weights without a velocity head: its confidence x 127.
    public static func velocity(confidence: Float) -> Int { min(127, max(1, Int(confidence * 127))) }
}

/// Where note events go.
public protocol NoteSink: AnyObject {
    /// A note began (confirmed); `time` is the audio time of its onset, `velocity` 1 ... 127.
    func noteOn(pitch: Int, name: String, time: Double, confidence: Float, velocity: Int)
    /// A note ended.
    func noteOff(_ note: TranscribedNote)
    /// The audio time has advanced to `time` (once per frame).
    func advance(to time: Double)
    /// Writes out what is buffered (called periodically and at the end).
    func flush() throws
}

/// Collects every finished note, in the order they end (for `evaluate` and tests).
public final class NoteCollector: NoteSink {
    public private(set) var notes: [TranscribedNote] = []
    public init() {}
    public func clear() { notes.removeAll() }
    public func noteOn(pitch: Int, name: String, time: Double, confidence: Float, velocity: Int) {}
    public func noteOff(_ note: TranscribedNote) { notes.append(note) }
    public func advance(to time: Double) {}
    public func flush() throws {}
}

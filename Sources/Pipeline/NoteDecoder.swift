// NoteDecoder: per-frame note probabilities into note events, frame by frame - the decoder of
// the transcription engine, which every command runs, so all of them see the same notes.

/// Thresholds with hysteresis and a minimum length.
public struct NoteDecoderSettings: Codable, Sendable, Equatable {
    /// A note starts when its probability reaches this...
    public var onThreshold: Float = 0.5
    /// ...and continues until it falls below this.
    public var offThreshold: Float = 0.35
    /// A note must last this many frames to count (1 frame = 23 ms at the defaults).
    public var minimumFrames: Int = 2
    public init(onThreshold: Float = 0.5, offThreshold: Float = 0.35, minimumFrames: Int = 2) {
        self.onThreshold = onThreshold
        self.offThreshold = offThreshold
        self.minimumFrames = minimumFrames
    }
}

/// A decoded note: target index, [onset, offset) in frames, mean probability while it sounded.
public struct DecodedNote: Sendable, Equatable {
    public var index: Int
    public var onset: Int
    public var offset: Int
    public var confidence: Float
    public init(index: Int, onset: Int, offset: Int, confidence: Float) {
        self.index = index
        self.onset = onset
        self.offset = offset
        self.confidence = confidence
    }
}

public enum NoteEvent: Sendable, Equatable {
    /// The note is confirmed (minimumFrames reached); `onset` is the frame it began.
    case on(index: Int, onset: Int, confidence: Float)
    /// The note ended; the whole note, with its mean confidence.
    case off(DecodedNote)
}

/// Streaming decoder: push one frame of probabilities at a time. A note begins at the first frame
/// at or above `onThreshold`, continues while at or above `offThreshold`, and is reported (`on`)
/// once it has lasted `minimumFrames`; shorter blips are dropped. Allocates nothing per frame.
public final class NoteDecoder {
    public let notes: Int
    public let settings: NoteDecoderSettings
    private var start: [Int]       // -1 when silent
    private var confirmed: [Bool]
    private var sum: [Float]
    private var frames = 0

    public init(notes: Int, settings: NoteDecoderSettings = NoteDecoderSettings()) {
        self.notes = notes
        self.settings = settings
        start = Array(repeating: -1, count: notes)
        confirmed = Array(repeating: false, count: notes)
        sum = Array(repeating: 0, count: notes)
    }

    /// Frames pushed so far; the next frame's index.
    public var frameIndex: Int { frames }

    /// Whether note `index` is currently sounding (confirmed).
    public func isActive(_ index: Int) -> Bool { confirmed[index] }

    public func push(_ probabilities: UnsafeBufferPointer<Float>, onEvent: (NoteEvent) -> Void) {
        let t = frames
        for k in 0..<notes {
            let p = probabilities[k]
            if start[k] < 0 {
                if p >= settings.onThreshold { start[k] = t; sum[k] = p; confirm(k, t, onEvent) }
            } else if p >= settings.offThreshold {
                sum[k] += p
                confirm(k, t, onEvent)
            } else {
                end(k, at: t, onEvent)
            }
        }
        frames += 1
    }

    /// Forgets every note and starts again at frame 0 (a new recording).
    public func reset() {
        for k in 0..<notes { start[k] = -1; confirmed[k] = false; sum[k] = 0 }
        frames = 0
    }

    /// Ends every sounding note at the current frame (end of input).
    public func finish(onEvent: (NoteEvent) -> Void) {
        for k in 0..<notes where start[k] >= 0 { end(k, at: frames, onEvent) }
    }

    private func confirm(_ k: Int, _ t: Int, _ onEvent: (NoteEvent) -> Void) {
        if !confirmed[k] && t - start[k] + 1 >= settings.minimumFrames {
            confirmed[k] = true
            onEvent(.on(index: k, onset: start[k], confidence: sum[k] / Float(t - start[k] + 1)))
        }
    }

    private func end(_ k: Int, at t: Int, _ onEvent: (NoteEvent) -> Void) {
        if confirmed[k] {
            onEvent(.off(DecodedNote(index: k, onset: start[k], offset: t, confidence: sum[k] / Float(t - start[k]))))
        }
        start[k] = -1
        confirmed[k] = false
        sum[k] = 0
    }

    /// Every note of `probabilities` [frames, notes], in order of their end.
    public static func decode(_ probabilities: [Float], notes: Int,
                              settings: NoteDecoderSettings = NoteDecoderSettings()) -> [DecodedNote] {
        let decoder = NoteDecoder(notes: notes, settings: settings)
        var decoded: [DecodedNote] = []
        let collect = { (event: NoteEvent) in if case let .off(note) = event { decoded.append(note) } }
        probabilities.withUnsafeBufferPointer { all in
            for t in 0..<(all.count / notes) {
                decoder.push(UnsafeBufferPointer(rebasing: all[(t * notes)..<((t + 1) * notes)]), onEvent: collect)
            }
        }
        decoder.finish(onEvent: collect)
        return decoded
    }
}

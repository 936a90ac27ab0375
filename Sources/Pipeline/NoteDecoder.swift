// NoteDecoder: per-frame probabilities into note events, frame by frame - the decoder of the
// transcription engine, which every command runs, so all of them see the same notes. With an
// onset head, notes begin at onsets (a key struck again is a new note); without one, where the
// frame probability rises.
import Model

/// The thresholds, named as basic-pitch's users know them.
public struct NoteDecoderSettings: Codable, Sendable, Equatable {
    /// A note begins when its onset probability reaches this (frame-only weights: its frame
    /// probability)...
    public var onsetThreshold: Float = 0.5
    /// ...and sounds while its frame probability stays at or above this.
    public var frameThreshold: Float = 0.35
    /// A note must last this many frames to count (1 frame = 23 ms at the defaults).
    public var minimumFrames: Int = 2
    /// With an onset head: a silent note's frame probability at which it begins though the onset
    /// head heard no onset (an attack it missed). Unused without an onset head.
    public var frameOnsetThreshold: Float = 0.7
    /// With an onset head: the onset probability at which a sounding note is struck again (ends,
    /// and a new one begins), when above `onsetThreshold`. Most onsets the head reports inside a
    /// sounding note are not new strikes: see NoteDecoder. Unused without an onset head.
    public var restrikeThreshold: Float = 0.7
    /// With an onset head: a sounding note whose frame probability falls below `frameThreshold`
    /// for at most this many frames, with no onset there, goes on sounding (a dip, not an end):
    /// see NoteDecoder. Frame-only weights decode as they always did.
    public var bridgeFrames: Int = 1
    public init(onsetThreshold: Float = 0.5, frameThreshold: Float = 0.35, minimumFrames: Int = 2,
                frameOnsetThreshold: Float = 0.7, restrikeThreshold: Float = 0.7, bridgeFrames: Int = 1) {
        self.onsetThreshold = onsetThreshold
        self.frameThreshold = frameThreshold
        self.minimumFrames = minimumFrames
        self.frameOnsetThreshold = frameOnsetThreshold
        self.restrikeThreshold = restrikeThreshold
        self.bridgeFrames = bridgeFrames
    }

    /// Checks the thresholds; the message says what to change.
    public func validate() throws(EngineError) {
        for (name, value) in [("onset", onsetThreshold), ("frame", frameThreshold), ("frame onset", frameOnsetThreshold),
                              ("re-strike", restrikeThreshold)]
        where !(value > 0 && value <= 1) {
            throw EngineError("the \(name) threshold must be above 0 and at most 1 (it is \(value)): it is a probability")
        }
        guard frameThreshold <= onsetThreshold else {
            throw EngineError("the frame threshold (\(frameThreshold)) must not be above the onset threshold (\(onsetThreshold)): "
                + "a note begins at the onset threshold and holds down to the frame threshold")
        }
        guard frameThreshold <= frameOnsetThreshold else {
            throw EngineError("the frame onset threshold (\(frameOnsetThreshold)) must not be below the frame threshold (\(frameThreshold)): "
                + "a note that begins on its frame probability holds down to the frame threshold")
        }
        guard minimumFrames >= 1 else { throw EngineError("a note must last at least one frame (the minimum is \(minimumFrames))") }
        guard bridgeFrames >= 0 else { throw EngineError("the frames a note may dip for cannot be negative (it is \(bridgeFrames))") }
    }
}

/// A decoded note: target index, [onset, offset) in frames, mean frame probability while it
/// sounded, and how hard it was struck (1 ... 127) when the network has a velocity head.
public struct DecodedNote: Sendable, Equatable {
    public var index: Int
    public var onset: Int
    public var offset: Int
    public var confidence: Float
    public var velocity: Int?
    public init(index: Int, onset: Int, offset: Int, confidence: Float, velocity: Int? = nil) {
        self.index = index
        self.onset = onset
        self.offset = offset
        self.confidence = confidence
        self.velocity = velocity
    }
}

public enum NoteEvent: Sendable, Equatable {
    /// The note is confirmed (minimumFrames reached); `onset` is the frame it began.
    case on(index: Int, onset: Int, confidence: Float, velocity: Int?)
    /// The note ended; the whole note, with its mean confidence.
    case off(DecodedNote)
}

/// Streaming decoder: push one frame at a time - K frame probabilities, then K onset
/// probabilities if the network has an onset head, then K velocities (velocity / 127) if it has
/// a velocity head.
///
/// With onsets: an onset is a frame where the onset probability reaches `onsetThreshold` from
/// below it. A silent key's onset starts a note, and so does its frame probability reaching
/// `frameOnsetThreshold` (an attack the onset head missed). Measured on the 49 validation
/// recordings of batch A with stage 6's fourth epoch (docs/TRAINING.md, the heads): onsets
/// alone, note F1 0.849 (precision 0.915, recall 0.792); with this fallback at 0.5, 0.851; at
/// 0.7, 0.863; at 0.85, 0.851. A note the fallback starts begins at the first frame of the rise
/// that reached it (the frame head climbs from `frameThreshold` to there over a frame or more,
/// and the note was sounding all along). A sounding key's onset at `restrikeThreshold` or above,
/// once its note has lasted `minimumFrames`, ends the note there and starts another (a repeated
/// note); an earlier one is the same attack seen late. Inside a sounding note the head reports
/// many onsets that are no new strike (measured on the held-out sets: the largest kind of extra
/// note, half of them cut from a note sounding on): on the same 49 recordings with the bundled
/// weights, a re-strike at 0.5 (any onset) / 0.6 / 0.7 / 0.8 / 0.9 gives note F1 0.873 / 0.879 /
/// 0.883 / 0.885 / 0.885; 0.7 is the lowest of the plateau, which keeps the most fast repeats.
/// A dip of the frame probability below `frameThreshold` for at most `bridgeFrames` frames with
/// no onset in it does not end the note (an onset in a dip is a new strike): bridging 0 / 1 / 2
/// frames, 0.883 / 0.890 / 0.890 on the same recordings, with offsets 0.789 / 0.799 / 0.794.
/// A note sounds while its frame probability is at or above
/// `frameThreshold` (the onset frame itself may be below it: the frame head lags an attack by a
/// frame or so). Without onsets: a note begins at the first frame at or above `onsetThreshold`
/// and sounds while at or above `frameThreshold`. Either way a note is reported (`on`) once it
/// has lasted `minimumFrames`; shorter blips are dropped. Allocates nothing per frame.
public final class NoteDecoder {
    public let notes: Int
    public let settings: NoteDecoderSettings
    public let hasOnsets: Bool
    public let hasVelocities: Bool
    private var start: [Int]       // -1 when silent
    private var confirmed: [Bool]
    private var sum: [Float]
    private var velocity: [Int]
    private var onsetWasHigh: [Bool]
    /// While a key is silent: the first frame of its current run at or above the frame threshold
    /// (-1 when below), and the sum of its probabilities since.
    private var risingSince: [Int]
    private var risingSum: [Float]
    /// While a confirmed note dips below the frame threshold: the dip's first frame (-1 when it
    /// does not), and the sum of its probabilities since.
    private var quietSince: [Int]
    private var quietSum: [Float]
    private var frames = 0

    public init(notes: Int, settings: NoteDecoderSettings = NoteDecoderSettings(), onsets: Bool = false, velocities: Bool = false) {
        self.notes = notes
        self.settings = settings
        hasOnsets = onsets
        hasVelocities = velocities
        start = Array(repeating: -1, count: notes)
        confirmed = Array(repeating: false, count: notes)
        sum = Array(repeating: 0, count: notes)
        velocity = Array(repeating: 0, count: notes)
        onsetWasHigh = Array(repeating: false, count: notes)
        risingSince = Array(repeating: -1, count: notes)
        risingSum = Array(repeating: 0, count: notes)
        quietSince = Array(repeating: -1, count: notes)
        quietSum = Array(repeating: 0, count: notes)
    }

    /// The decoder for a network's heads (frame, then onset and velocity if it has them).
    public convenience init(notes: Int, heads: [NetworkHead], settings: NoteDecoderSettings = NoteDecoderSettings()) {
        self.init(notes: notes, settings: settings, onsets: heads.contains(.onset), velocities: heads.contains(.velocity))
    }

    /// Values a pushed frame holds: K per head.
    public var rowWidth: Int { notes * (1 + (hasOnsets ? 1 : 0) + (hasVelocities ? 1 : 0)) }

    /// Frames pushed so far; the next frame's index.
    public var frameIndex: Int { frames }

    /// Whether note `index` is currently sounding (confirmed).
    public func isActive(_ index: Int) -> Bool { confirmed[index] }

    public func push(_ row: UnsafeBufferPointer<Float>, onEvent: (NoteEvent) -> Void) {
        let t = frames, k = notes
        let onsetBase = k, velocityBase = hasOnsets ? 2 * k : k
        for n in 0..<k {
            let p = row[n]
            var onset = false, from = t, sumFrom = p
            if start[n] < 0 && p >= settings.frameThreshold {
                if risingSince[n] < 0 { risingSince[n] = t; risingSum[n] = 0 }
                risingSum[n] += p
            } else {
                risingSince[n] = -1
            }
            if hasOnsets {
                let high = row[onsetBase + n] >= settings.onsetThreshold
                onset = high && !onsetWasHigh[n]
                onsetWasHigh[n] = high
                // A sounding key struck again needs the surer onset; until then the probability
                // counts as not yet high, so a rise past the re-strike threshold still counts.
                // In a dip any onset is a new strike.
                if onset && start[n] >= 0 && quietSince[n] < 0 && p >= settings.frameThreshold
                    && row[onsetBase + n] < settings.restrikeThreshold {
                    onset = false
                    onsetWasHigh[n] = false
                }
                // An onset within a note's first frames is its own attack seen late, not a new strike.
                if start[n] >= 0 && t - start[n] < settings.minimumFrames { onset = false }
                // An attack the onset head missed still starts a note where the frame rises: at
                // the first frame of the rise, when the note sounded already (the frame head
                // takes a frame or more to climb from the frame threshold to this one) - unless
                // the key is a harmonic of a note sounding since an earlier frame.
                if !onset && start[n] < 0 && p >= settings.frameOnsetThreshold && !isHarmonicOfSoundingNote(n, t) {
                    onset = true
                    (from, sumFrom) = (risingSince[n], risingSum[n])
                }
            } else {
                onset = start[n] < 0 && p >= settings.onsetThreshold
            }
            if onset {
                if start[n] >= 0 { end(n, at: quietSince[n] >= 0 ? quietSince[n] : t, onEvent) }
                risingSince[n] = -1
                start[n] = from
                sum[n] = sumFrom
                velocity[n] = hasVelocities ? Self.midiVelocity(row[velocityBase + n]) : 0
                confirm(n, t, onEvent)
            } else if start[n] >= 0 {
                if p >= settings.frameThreshold {
                    if quietSince[n] >= 0 { sum[n] += quietSum[n]; quietSince[n] = -1 }   // a dip, bridged
                    sum[n] += p
                    confirm(n, t, onEvent)
                } else if hasOnsets && confirmed[n] && t - (quietSince[n] >= 0 ? quietSince[n] : t) < settings.bridgeFrames {
                    if quietSince[n] < 0 { quietSince[n] = t; quietSum[n] = 0 }
                    quietSum[n] += p
                } else {
                    end(n, at: quietSince[n] >= 0 ? quietSince[n] : t, onEvent)
                }
            }
        }
        frames += 1
    }

    /// Semitones from a note up to its 2nd, 3rd and 4th harmonics. The frame head hears a sounding
    /// note's harmonics: the frame fallback started a third of the extra notes on the held-out
    /// sets at one of them. On batch A's 49 validation recordings, no fallback at a key whose
    /// octave below sounds: note F1 0.890 -> 0.893; at these three: 0.894. A key struck at a
    /// harmonic still starts at its onset, and notes begun in the same frame are not harmonics.
    static let harmonicIntervals = [12, 19, 24]

    /// Whether key `n` (semitone steps apart) lies at a harmonic of a note that began before frame `t`.
    private func isHarmonicOfSoundingNote(_ n: Int, _ t: Int) -> Bool {
        Self.harmonicIntervals.contains { n >= $0 && start[n - $0] >= 0 && start[n - $0] < t }
    }

    /// velocity / 127 to a MIDI velocity, 1 ... 127.
    static func midiVelocity(_ value: Float) -> Int { min(127, max(1, Int((value * 127).rounded()))) }

    /// Forgets every note and starts again at frame 0 (a new recording).
    public func reset() {
        for n in 0..<notes {
            start[n] = -1; confirmed[n] = false; sum[n] = 0; velocity[n] = 0; onsetWasHigh[n] = false
            risingSince[n] = -1; risingSum[n] = 0; quietSince[n] = -1; quietSum[n] = 0
        }
        frames = 0
    }

    /// Ends every sounding note at the current frame (end of input).
    public func finish(onEvent: (NoteEvent) -> Void) {
        for n in 0..<notes where start[n] >= 0 { end(n, at: quietSince[n] >= 0 ? quietSince[n] : frames, onEvent) }
    }

    private func confirm(_ n: Int, _ t: Int, _ onEvent: (NoteEvent) -> Void) {
        if !confirmed[n] && t - start[n] + 1 >= settings.minimumFrames {
            confirmed[n] = true
            onEvent(.on(index: n, onset: start[n], confidence: sum[n] / Float(t - start[n] + 1),
                        velocity: hasVelocities ? velocity[n] : nil))
        }
    }

    private func end(_ n: Int, at t: Int, _ onEvent: (NoteEvent) -> Void) {
        if confirmed[n] {
            onEvent(.off(DecodedNote(index: n, onset: start[n], offset: t, confidence: sum[n] / Float(t - start[n]),
                                     velocity: hasVelocities ? velocity[n] : nil)))
        }
        start[n] = -1
        confirmed[n] = false
        sum[n] = 0
        quietSince[n] = -1
    }

    /// Every note of `rows` [frames, rowWidth], in order of their end.
    public func decodeAll(_ rows: [Float]) -> [DecodedNote] {
        reset()
        var decoded: [DecodedNote] = []
        let collect = { (event: NoteEvent) in if case let .off(note) = event { decoded.append(note) } }
        let width = rowWidth
        rows.withUnsafeBufferPointer { all in
            for t in 0..<(all.count / width) {
                push(UnsafeBufferPointer(rebasing: all[(t * width)..<((t + 1) * width)]), onEvent: collect)
            }
        }
        finish(onEvent: collect)
        return decoded
    }

    /// Every note of frame probabilities [frames, notes] (no onsets), in order of their end.
    public static func decode(_ probabilities: [Float], notes: Int,
                              settings: NoteDecoderSettings = NoteDecoderSettings()) -> [DecodedNote] {
        NoteDecoder(notes: notes, settings: settings).decodeAll(probabilities)
    }
}

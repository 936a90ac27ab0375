// TranscriptionEngine: samples in, note events out - the streaming CQT, a one-second window every
// `stride` frames through the network, and the note decoder. Configured from the weights'
// metadata, so it runs whatever weights it is given.
import Foundation
import Model
import StreamingCQT

/// A note as the outputs see it: MIDI pitch (or pitch class), times in seconds of audio.
public struct TranscribedNote: Sendable, Equatable {
    public var pitch: Int
    public var onset: Double
    public var offset: Double
    public var confidence: Float
    /// "C4", or "C" for a pitch class.
    public var name: String

    public init(pitch: Int, onset: Double, offset: Double, confidence: Float, name: String) {
        self.pitch = pitch
        self.onset = onset
        self.offset = offset
        self.confidence = confidence
        self.name = name
    }
}

/// Where note events go: the terminal, files, a MIDI port.
public protocol NoteSink: AnyObject {
    /// A note began (confirmed); `time` is the audio time of its onset.
    func noteOn(pitch: Int, name: String, time: Double, confidence: Float)
    /// A note ended.
    func noteOff(_ note: TranscribedNote)
    /// The audio time has advanced to `time` (once per frame).
    func advance(to time: Double)
    /// Writes out what is buffered (called periodically and at the end).
    func flush() throws
}

public struct EngineSettings: Sendable {
    /// Frames between network windows (6 = every 139 ms at the defaults).
    public var stride = 6
    /// Frames of audio after a frame that its window must hold before the frame is decoded.
    /// The network sees the whole window at once, and a frame at the window's very end has no
    /// audio after it to tell an onset from a transient; each frame of look-ahead adds 23 ms of
    /// latency and buys accuracy (README: "Latency and accuracy").
    /// nil: each frame is the mean of every window that covers it, decoded once the last of them
    /// has run (a window less a stride after it, about a second): the most accurate, for `file`.
    public var lookahead: Int? = 0
    public var decoder = NoteDecoderSettings()
    /// `live` and `replay`: a window every 139 ms, frames decoded 93 ms after they sound.
    public static let live = EngineSettings(stride: 6, lookahead: liveLookahead)
    public static let liveLookahead = 4
    /// `file` (and `evaluate`, which scores what `file` prints): latency does not matter, so
    /// each frame is the mean of the four windows over it, a window every 11 frames (README:
    /// "Latency and accuracy" measured it against one window with 21 frames after the frame).
    public static let file = EngineSettings(stride: 11, lookahead: nil)

    public init(stride: Int = 6, lookahead: Int? = 0, decoder: NoteDecoderSettings = NoteDecoderSettings()) {
        self.stride = stride
        self.lookahead = lookahead
        self.decoder = decoder
    }
}

public final class TranscriptionEngine {
    public let cqt: StreamingCQT
    public let network: ParallelNetwork
    public let settings: EngineSettings
    public let windowFrames: Int
    public let onlyNoteNames: Bool
    let lowestNote: Int
    let bins: Int, notes: Int
    /// The last `windowFrames` CQT frames, oldest first (a ring indexed by frame number).
    private let history: UnsafeMutableBufferPointer<Float>
    private let window: UnsafeMutableBufferPointer<Float>
    private let probabilities: UnsafeMutableBufferPointer<Float>
    private let silence: UnsafeMutableBufferPointer<Float>
    /// Averaging (lookahead nil): the sums of the windows over the frames not yet decoded, and
    /// how many windows each has (rings indexed by frame number).
    private let sums: UnsafeMutableBufferPointer<Float>
    private let counts: UnsafeMutableBufferPointer<Float>
    /// The newest frame of the last window run.
    private var lastWindowEnd = -1
    private let decoder: NoteDecoder
    /// CQT frames seen, and frames handed to the decoder.
    public private(set) var framesSeen = 0
    public private(set) var framesDecoded = 0
    /// Windows not run because inference fell behind, and frames given up as silence for it.
    public private(set) var windowsSkipped = 0
    public private(set) var framesDropped = 0
    public private(set) var windowsRun = 0
    public private(set) var notesEmitted = 0
    private var sinks: [NoteSink] = []

    /// Builds the front end and the decoder from the weights' metadata.
    public init(network: ParallelNetwork, metadata: [String: String], settings: EngineSettings = EngineSettings()) throws {
        let cqtSettings = try CQTSettings(metadata: metadata)
        guard cqtSettings.binCount == network.config.nBins else {
            throw CQTError.invalidSettings("the weights' CQT has \(cqtSettings.binCount) bins but the network takes \(network.config.nBins)")
        }
        guard settings.stride >= 1 else { throw CQTError.invalidSettings("the stride must be at least one frame") }
        guard (settings.lookahead ?? 0) >= 0 else { throw CQTError.invalidSettings("the look-ahead cannot be negative") }
        cqt = StreamingCQT(bank: try CQTKernelBank(settings: cqtSettings))
        self.network = network
        self.settings = settings
        windowFrames = Int(metadata["window_frames"] ?? "") ?? 43
        guard settings.stride + (settings.lookahead ?? 0) <= windowFrames else {
            let what = settings.lookahead.map { "the stride (\(settings.stride)) plus the look-ahead (\($0))" } ?? "the stride (\(settings.stride))"
            throw CQTError.invalidSettings("\(what) must be at most "
                + "a window (\(windowFrames) frames), or frames would fall between windows")
        }
        onlyNoteNames = metadata["only_note_names"] == "true"
        lowestNote = cqtSettings.lowestNote
        bins = cqtSettings.binCount
        notes = network.config.nNotes
        history = .allocate(capacity: windowFrames * bins)
        history.initialize(repeating: cqtSettings.floor)
        window = .allocate(capacity: windowFrames * bins)
        window.initialize(repeating: 0)
        probabilities = .allocate(capacity: windowFrames * notes)
        probabilities.initialize(repeating: 0)
        silence = .allocate(capacity: notes)
        silence.initialize(repeating: 0)
        sums = .allocate(capacity: windowFrames * notes)
        sums.initialize(repeating: 0)
        counts = .allocate(capacity: windowFrames)
        counts.initialize(repeating: 0)
        decoder = NoteDecoder(notes: notes, settings: settings.decoder)
    }

    deinit {
        history.deallocate(); window.deallocate(); probabilities.deallocate(); silence.deallocate()
        sums.deallocate(); counts.deallocate()
    }

    public func add(_ sink: NoteSink) { sinks.append(sink) }

    public var sampleRate: Int { cqt.settings.sampleRate }
    public var frameSeconds: Double { Double(cqt.settings.hopLength) / Double(cqt.settings.sampleRate) }

    /// Pushes samples; runs the network every `stride` frames. With `catchUp`, windows that fall
    /// due during this push are not run but the last one (the caller is behind real time); their
    /// frames are decoded from it, or given up as silence when older than a window.
    public func push(_ samples: UnsafeBufferPointer<Float>, catchUp: Bool = false) throws {
        var due = 0
        try cqt.push(samples) { t, frame in
            (history.baseAddress! + (t % windowFrames) * bins).update(from: frame.baseAddress!, count: bins)
            framesSeen = t + 1
            if framesSeen % settings.stride == 0 {
                if catchUp { due += 1 } else { runWindow() }
            }
        }
        if due > 0 {
            windowsSkipped += due - 1
            runWindow()
        }
    }

    /// End of input: the remaining frames (the CQT's look-ahead) are computed, the last partial
    /// stride decoded, every sounding note ended, every sink flushed.
    public func finish() throws {
        try cqt.finish { t, frame in
            (history.baseAddress! + (t % windowFrames) * bins).update(from: frame.baseAddress!, count: bins)
            framesSeen = t + 1
            if framesSeen % settings.stride == 0 { runWindow() }
        }
        if settings.lookahead == nil {
            if lastWindowEnd < framesSeen - 1 { runWindow() }
            decodeAveraged(through: framesSeen - 1)
        } else if framesDecoded < framesSeen {
            runWindow(lookahead: 0)
        }
        decoder.finish { emit($0) }
        for sink in sinks { try sink.flush() }
    }

    /// Runs the network on the newest window and decodes the frames it is the first to cover
    /// with `lookahead` frames after them: each frame is decoded from the first window computed
    /// at least `lookahead` frames after it (at the end of the input, the last window decodes all).
    /// Without a look-ahead (settings' nil), the window is added to its frames' means instead.
    private func runWindow(lookahead: Int? = nil) {
        let t = windowFrames, newest = framesSeen - 1
        let first = newest - t + 1
        for i in 0..<t {
            let frame = first + i
            let destination = window.baseAddress! + i * bins
            if frame < 0 { destination.update(repeating: cqt.settings.floor, count: bins) }
            else { destination.update(from: history.baseAddress! + (frame % t) * bins, count: bins) }
        }
        let logits = network.forward(window.baseAddress!, batch: 1, frames: t)
        sigmoidArray(probabilities.baseAddress!, logits.baseAddress!, count: t * notes)
        windowsRun += 1
        lastWindowEnd = newest
        guard let ahead = (lookahead ?? settings.lookahead).map({ min($0, windowFrames - 1) }) else {
            return accumulate(first: first, newest: newest)
        }
        while framesDecoded <= newest - ahead {
            let frame = framesDecoded
            if frame < first {
                framesDropped += 1
                decode(UnsafeBufferPointer(silence))
            } else {
                decode(UnsafeBufferPointer(rebasing: probabilities[((frame - first) * notes)..<((frame - first + 1) * notes)]))
            }
        }
    }

    /// Averaging: adds the window just run (frames first...newest) to the sums of its frames not
    /// yet decoded, then decodes the frames no later window will cover. Frames older than the
    /// window (windows skipped to catch up) are decoded first, from what they have.
    private func accumulate(first: Int, newest: Int) {
        decodeAveraged(through: first - 1)
        for frame in max(first, framesDecoded)...newest {
            let slot = frame % windowFrames
            counts[slot] += 1
            let sum = sums.baseAddress! + slot * notes, row = probabilities.baseAddress! + (frame - first) * notes
            for k in 0..<notes { sum[k] += row[k] }
        }
        decodeAveraged(through: newest + settings.stride - windowFrames)
    }

    /// Decodes the frames through `last` from their sums (a frame no window covered, skipped to
    /// catch up, is given up as silence) and clears their slots for the frames to come.
    private func decodeAveraged(through last: Int) {
        while framesDecoded <= last {
            let slot = framesDecoded % windowFrames
            let sum = UnsafeMutableBufferPointer(rebasing: sums[(slot * notes)..<((slot + 1) * notes)])
            if counts[slot] == 0 {
                framesDropped += 1
                decode(UnsafeBufferPointer(silence))
            } else {
                for k in 0..<notes { sum[k] /= counts[slot] }
                decode(UnsafeBufferPointer(sum))
            }
            sum.update(repeating: 0)
            counts[slot] = 0
        }
    }

    private func decode(_ row: UnsafeBufferPointer<Float>) {
        decoder.push(row) { emit($0) }
        framesDecoded += 1
        let time = Double(framesDecoded - 1) * frameSeconds
        for sink in sinks { sink.advance(to: time) }
    }

    private func pitch(_ index: Int) -> Int { onlyNoteNames ? index : lowestNote + index }
    private func name(_ pitch: Int) -> String { onlyNoteNames ? NoteName.name(ofPitchClass: pitch) : NoteName.name(ofMIDI: pitch) }

    private func emit(_ event: NoteEvent) {
        switch event {
        case let .on(index, onset, confidence):
            let p = pitch(index)
            for sink in sinks { sink.noteOn(pitch: p, name: name(p), time: Double(onset) * frameSeconds, confidence: confidence) }
        case let .off(note):
            let p = pitch(note.index)
            notesEmitted += 1
            let transcribed = TranscribedNote(pitch: p, onset: Double(note.onset) * frameSeconds,
                                              offset: Double(note.offset) * frameSeconds, confidence: note.confidence, name: name(p))
            for sink in sinks { sink.noteOff(transcribed) }
        }
    }
}

// TranscriptionEngine: samples (or CQT frames) in, note events out - the streaming CQT, each
// frame through the network's encoder once, a window of those embeddings every `stride` frames
// through the rest of the network (with the summary of the frames before it, when the network
// reads one), the rule that turns windows into per-frame probabilities, and
// the note decoder. The one engine `live`, `replay`, `file`, `evaluate` and
// `predict` run, configured from the weights' description.
import Foundation
import Model
import StreamingCQT

public struct EngineError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The weight of a window's frame in the mean over the windows that cover it, by its position.
public enum OverlapWeighting: String, Sendable, Equatable, CaseIterable {
    /// Every window alike.
    case flat
    /// Rising linearly from the window's ends to its middle (1 at either end, 22 in the middle
    /// of 43 frames): a frame counts most from the window with the most audio on both sides of
    /// it. With two windows a frame (`--stride 22`) it keeps most of the notes flat weights lose
    /// there; with four (stride 11) flat weights are better (docs/PERFORMANCE.md).
    case triangular

    /// The weight of each of a window's `frames` positions.
    public func weights(frames: Int) -> [Float] {
        (0..<frames).map { i in
            switch self {
            case .flat: 1
            case .triangular: Float(min(i + 1, frames - i))
            }
        }
    }
}

public struct EngineSettings: Sendable, Equatable {
    /// Frames between network windows (6 = every 139 ms at the defaults).
    public var stride = 6
    /// Frames of audio after a frame that its window must hold before the frame is decoded.
    /// The network sees the whole window at once, and a frame at the window's very end has no
    /// audio after it to tell an onset from a transient; each frame of look-ahead adds 23 ms of
    /// latency and buys accuracy (docs/RESULTS.md, "Latency and accuracy").
    /// nil: each frame is the mean of every window that covers it, decoded once the last of them
    /// has run (a window less a stride after it, about a second): the most accurate, for `file`.
    public var lookahead: Int? = 0
    public var decoder = NoteDecoderSettings()
    /// Windows run through the network together, as one batch. Live inference runs each window
    /// the moment it falls due (1); `file`, `evaluate` and `predict` have the audio ahead of them
    /// and batch, which makes every matrix product larger and faster. The notes do not change.
    public var windowBatch = 1
    /// Averaging: how much each window's frame counts in the frame's mean, by where in the window
    /// it lies.
    public var overlap = OverlapWeighting.flat
    /// `live` and `replay`: a window every 70 ms, frames decoded 70 ms after they sound. Chosen
    /// from the latency and accuracy table (docs/RESULTS.md): a note at A4 printed a median
    /// 126 ms after it sounds, note F1 0.789 on the held-out FluidR3 set; `--stride 6
    /// --lookahead 4` reads 0.831 at 173 ms.
    public static let live = EngineSettings(stride: 3, lookahead: liveLookahead)
    public static let liveLookahead = 3
    /// `file` (and `evaluate`, which scores what `file` prints): latency does not matter, so
    /// each frame is the mean of the four windows over it, a window every 11 frames
    /// (docs/RESULTS.md measures it against one window with 21 frames after the frame).
    public static let file = EngineSettings(stride: 11, lookahead: nil, windowBatch: fileWindowBatch)
    /// A replica's round of windows (ParallelNetwork.inferenceWindows, 8): their activations
    /// stay in a core's L2 cache. 8 measured faster than 4, 6, 16 or 32 (docs/PERFORMANCE.md),
    /// with the same notes.
    public static let fileWindowBatch = ParallelNetwork.inferenceWindows

    public init(stride: Int = 6, lookahead: Int? = 0, decoder: NoteDecoderSettings = NoteDecoderSettings(),
                windowBatch: Int = 1, overlap: OverlapWeighting = .flat) {
        self.stride = stride
        self.lookahead = lookahead
        self.decoder = decoder
        self.windowBatch = windowBatch
        self.overlap = overlap
    }

    /// Checks the settings (the decoder's too) against a window of `windowFrames` frames; the
    /// message says what to change.
    public func validate(windowFrames: Int) throws(EngineError) {
        try decoder.validate()
        guard stride >= 1 else { throw EngineError("the stride must be at least one frame (it is \(stride))") }
        guard (lookahead ?? 0) >= 0 else { throw EngineError("the look-ahead cannot be negative (it is \(lookahead ?? 0))") }
        guard windowBatch >= 1 else { throw EngineError("the window batch must be at least 1 (it is \(windowBatch))") }
        guard stride + (lookahead ?? 0) <= windowFrames else {
            let what = lookahead.map { "the stride (\(stride)) plus the look-ahead (\($0))" } ?? "the stride (\(stride))"
            throw EngineError("\(what) must be at most a window (\(windowFrames) frames), or frames would fall between windows")
        }
    }
}

public final class TranscriptionEngine {
    public let cqt: StreamingCQT
    public let network: ParallelNetwork
    public let settings: EngineSettings
    public let description: WeightsDescription
    public let windowFrames: Int
    public var space: NoteSpace { description.data.space }
    /// K notes; a decoded row holds every head's K values (frame, then onset and velocity).
    /// D: the width of a frame's embedding.
    let bins: Int, notes: Int, width: Int, embedding: Int
    /// The last `windowFrames` CQT frames, and their embeddings once encoded (rings indexed by
    /// frame number). A frame's embedding depends on that frame alone, so it is computed once
    /// and copied into every window over it (7 in `live`, 4 in `file`), not recomputed in each.
    private let history: UnsafeMutableBufferPointer<Float>
    private let encoded: UnsafeMutableBufferPointer<Float>
    /// Frames before this one have been encoded (or skipped: no window needed them).
    private var framesEncoded = 0
    /// The frames to encode, in order, and their embeddings (`windowFrames` rows each).
    private let staging: UnsafeMutableBufferPointer<Float>
    private let stagingOut: UnsafeMutableBufferPointer<Float>
    /// The embedding of a silent frame (the CQT floor): what frames before the first are.
    private let silentEmbedding: UnsafeMutableBufferPointer<Float>
    /// For a network with a context: the summary of every frame older than the window (a frame
    /// joins it as it leaves the history), and each pending window's copy of it (F each).
    private var context: ContextSummary?
    private let summaries: UnsafeMutableBufferPointer<Float>
    /// The windows' embeddings due and not yet run (up to `windowBatch`), and their
    /// probabilities once run.
    private let windows: UnsafeMutableBufferPointer<Float>
    private let probabilities: UnsafeMutableBufferPointer<Float>
    private var pending: [(newest: Int, lookahead: Int?)] = []
    private let silence: UnsafeMutableBufferPointer<Float>
    /// Averaging (lookahead nil): the sums of the windows over the frames not yet decoded, and
    /// how many windows each has (rings indexed by frame number).
    private let sums: UnsafeMutableBufferPointer<Float>
    private let counts: UnsafeMutableBufferPointer<Float>
    /// The weight of each window position in those sums (`EngineSettings.overlap`).
    private let positionWeights: [Float]
    /// The newest frame of the last window scheduled.
    private var lastWindowEnd = -1
    private let decoder: NoteDecoder
    /// Whether CQT frames were pushed directly (`push(frames:)`), not audio.
    private var fedFrames = false
    /// CQT frames seen, and frames handed to the decoder.
    public private(set) var framesSeen = 0
    public private(set) var framesDecoded = 0
    /// Windows not run because inference fell behind, and frames given up as silence for it.
    public private(set) var windowsSkipped = 0
    public private(set) var framesDropped = 0
    public private(set) var windowsRun = 0
    public private(set) var notesEmitted = 0
    private var sinks: [NoteSink] = []
    /// Sees every decoded frame's note probabilities (the frame head's K), in order (`evaluate`, `predict`).
    public var frameObserver: ((UnsafeBufferPointer<Float>) -> Void)?
    /// Sees every decoded frame's onset probabilities (the onset head's K), when the weights have
    /// an onset head (`evaluate` scores the head's own detections).
    public var onsetObserver: ((UnsafeBufferPointer<Float>) -> Void)?

    /// Builds the front end and the decoder from the weights' description, and freezes the
    /// network (ParallelNetwork.freeze): an engine only transcribes, so its parameters must not
    /// change while it runs.
    public init(network: ParallelNetwork, description: WeightsDescription, settings: EngineSettings = EngineSettings()) throws {
        guard network.config == description.network else {
            throw EngineError("the network's settings are not those its weights describe")
        }
        windowFrames = description.data.windowFrames
        try settings.validate(windowFrames: windowFrames)
        let frontEnd = description.data.frontEnd
        // FFTW's heuristic plans: measuring took 0.14 s of every start (half of `file` on a
        // 1 s recording) and bought nothing measurable - 25 whole files and `replay`'s share of
        // a core the same within noise, the notes identical.
        cqt = StreamingCQT(bank: try CQTKernelBank(settings: frontEnd), planning: .estimate)
        network.freeze()
        self.network = network
        self.settings = settings
        self.description = description
        bins = frontEnd.binCount
        notes = network.config.nNotes
        embedding = network.config.embedDim
        decoder = NoteDecoder(notes: notes, heads: network.config.heads, settings: settings.decoder)
        width = decoder.rowWidth
        history = .allocate(capacity: windowFrames * bins)
        history.initialize(repeating: frontEnd.floor)
        encoded = .allocate(capacity: windowFrames * embedding)
        encoded.initialize(repeating: 0)
        staging = .allocate(capacity: windowFrames * bins)
        staging.initialize(repeating: frontEnd.floor)
        stagingOut = .allocate(capacity: windowFrames * embedding)
        stagingOut.initialize(repeating: 0)
        silentEmbedding = .allocate(capacity: embedding)
        network.encode(staging.baseAddress!, frames: 1, into: silentEmbedding.baseAddress!)
        context = network.config.hasContext ? ContextSummary(bins: bins, timeConstant: network.config.contextFrames) : nil
        summaries = .allocate(capacity: context == nil ? 1 : settings.windowBatch * bins)
        summaries.initialize(repeating: 0)
        windows = .allocate(capacity: settings.windowBatch * windowFrames * embedding)
        windows.initialize(repeating: 0)
        probabilities = .allocate(capacity: settings.windowBatch * windowFrames * width)
        probabilities.initialize(repeating: 0)
        pending.reserveCapacity(settings.windowBatch)
        silence = .allocate(capacity: width)
        silence.initialize(repeating: 0)
        sums = .allocate(capacity: windowFrames * width)
        sums.initialize(repeating: 0)
        counts = .allocate(capacity: windowFrames)
        counts.initialize(repeating: 0)
        positionWeights = settings.overlap.weights(frames: windowFrames)
    }

    /// An engine for the weights at hand (`Weights.load`), on `threads` cores.
    public convenience init(weights: Weights, threads: Int = 1, settings: EngineSettings = EngineSettings()) throws {
        try self.init(network: try ParallelNetwork(network: weights.network, threads: threads),
                      description: weights.description, settings: settings)
    }

    deinit {
        history.deallocate(); encoded.deallocate(); staging.deallocate(); stagingOut.deallocate()
        silentEmbedding.deallocate(); summaries.deallocate(); windows.deallocate(); probabilities.deallocate(); silence.deallocate()
        sums.deallocate(); counts.deallocate()
    }

    public func add(_ sink: NoteSink) { sinks.append(sink) }

    /// Drops every sink (the next recording of a batch writes to its own files).
    public func removeSinks() { sinks.removeAll() }

    /// Ready for a new recording: the CQT, the windows, the decoder and the counters start again
    /// (the kernels, FFT plans and sinks are kept).
    public func reset() {
        cqt.reset()
        history.update(repeating: cqt.settings.floor)
        context?.reset()
        pending.removeAll(keepingCapacity: true)
        sums.update(repeating: 0)
        counts.update(repeating: 0)
        decoder.reset()
        lastWindowEnd = -1
        framesEncoded = 0
        fedFrames = false
        framesSeen = 0; framesDecoded = 0; windowsSkipped = 0; framesDropped = 0; windowsRun = 0; notesEmitted = 0
    }

    public var sampleRate: Int { cqt.settings.sampleRate }
    public var frameSeconds: Double { Double(cqt.settings.hopLength) / Double(cqt.settings.sampleRate) }

    /// When a note the decoder starts (or ends) at frame `frame` began (or ended), in seconds. A
    /// labelled note sounds in frame t when it began at or before t's instant (LabelRoll), so
    /// one first heard in frame t began, on average, half a frame before that instant; likewise
    /// its end. Read at the frames' instants, onsets came a median 10 ms after the labelled ones
    /// on both held-out sets; at this time, within 2 ms.
    public static func noteSeconds(atFrame frame: Int, frameSeconds: Double) -> Double {
        max(0, (Double(frame) - 0.5) * frameSeconds)
    }

    /// Pushes samples; runs the network every `stride` frames. With `catchUp`, windows that fall
    /// due during this push are not run but the last one (the caller is behind real time); their
    /// frames are decoded from it, or given up as silence when older than a window.
    public func push(_ samples: UnsafeBufferPointer<Float>, catchUp: Bool = false) throws {
        guard !fedFrames else { throw EngineError("this engine was given CQT frames; it cannot take audio as well") }
        var due = 0
        try cqt.push(samples) { t, frame in
            if add(frame: frame.baseAddress!, t) { if catchUp { due += 1 } else { scheduleWindow() } }
        }
        if due > 0 {
            windowsSkipped += due - 1
            scheduleWindow()
        }
    }

    /// Pushes CQT frames made elsewhere with the weights' front end ([frames, bins], `predict`),
    /// in place of audio.
    public func push(frames: UnsafeBufferPointer<Float>) throws {
        guard framesSeen == 0 || fedFrames else { throw EngineError("this engine was given audio; it cannot take CQT frames as well") }
        guard frames.count % bins == 0 else { throw EngineError("\(frames.count) values are not whole frames of \(bins) bins") }
        fedFrames = true
        for t in 0..<(frames.count / bins) where add(frame: frames.baseAddress! + t * bins, framesSeen) { scheduleWindow() }
    }

    /// End of input: the remaining frames (the CQT's look-ahead) are computed, the last partial
    /// stride decoded, every sounding note ended, every sink flushed.
    public func finish() throws {
        if !fedFrames {
            try cqt.finish { t, frame in if add(frame: frame.baseAddress!, t) { scheduleWindow() } }
        }
        if settings.lookahead == nil {
            if lastWindowEnd < framesSeen - 1 { scheduleWindow() }
            runPending()
            decodeAveraged(through: framesSeen - 1)
        } else {
            runPending()
            if framesDecoded < framesSeen {
                scheduleWindow(lookahead: 0)
                runPending()
            }
        }
        decoder.finish { emit($0) }
        for sink in sinks { try sink.flush() }
    }

    /// Stores frame `t` in the history; true when a window falls due with it.
    private func add(frame: UnsafePointer<Float>, _ t: Int) -> Bool {
        let slot = history.baseAddress! + (t % windowFrames) * bins
        // Frame t - T leaves the history, and no window from here on covers it: into the context.
        if context != nil && t >= windowFrames { context!.add(slot) }
        slot.update(from: frame, count: bins)
        framesSeen = t + 1
        return framesSeen % settings.stride == 0
    }

    /// Encodes the window's frames not encoded yet, copies the embeddings of the window ending at
    /// the newest frame into the batch (frames before the first are silence) and runs the batch
    /// when it is full. `lookahead` overrides the settings' for this window (the end of the input
    /// decodes everything left).
    private func scheduleWindow(lookahead: Int? = nil) {
        let t = windowFrames, d = embedding, newest = framesSeen - 1, first = newest - t + 1
        encodeFrames(from: max(framesEncoded, first, 0), through: newest)
        let destination = windows.baseAddress! + pending.count * t * d
        for i in 0..<t {
            let frame = first + i
            let row = destination + i * d
            if frame < 0 { row.update(from: silentEmbedding.baseAddress!, count: d) }
            else { row.update(from: encoded.baseAddress! + (frame % t) * d, count: d) }
        }
        context?.write(into: summaries.baseAddress! + pending.count * bins)
        pending.append((newest, lookahead))
        lastWindowEnd = newest
        if pending.count == settings.windowBatch { runPending() }
    }

    /// Frames `first...last` (at most a window) through the encoder, as one batch, into the ring
    /// of embeddings.
    private func encodeFrames(from first: Int, through last: Int) {
        guard first <= last else { return }
        let t = windowFrames, d = embedding, count = last - first + 1
        for (i, frame) in (first...last).enumerated() {
            (staging.baseAddress! + i * bins).update(from: history.baseAddress! + (frame % t) * bins, count: bins)
        }
        network.encode(staging.baseAddress!, frames: count, into: stagingOut.baseAddress!)
        for (i, frame) in (first...last).enumerated() {
            (encoded.baseAddress! + (frame % t) * d).update(from: stagingOut.baseAddress! + i * d, count: d)
        }
        framesEncoded = last + 1
    }

    /// Runs the pending windows through the network as one batch and hands each, in order, to
    /// the decoding rule.
    private func runPending() {
        guard !pending.isEmpty else { return }
        let t = windowFrames, count = pending.count
        let wanted = rowsDecoded()
        network.forward(.encoded(windows.baseAddress!), batch: count, frames: t, outputRows: wanted,
                        summaries: context == nil ? nil : UnsafePointer(summaries.baseAddress!))
        // Each head's sigmoid (the velocity head's is velocity / 127) into its K of every row read.
        let rows = wanted ?? 0..<t
        for (h, head) in network.config.heads.enumerated() {
            let logits = network.output(head).baseAddress!
            for window in 0..<count {
                for frame in rows {
                    let row = window * t + frame
                    sigmoidArray(probabilities.baseAddress! + row * width + h * notes, logits + row * notes, count: notes)
                }
            }
        }
        for (i, window) in pending.enumerated() {
            windowsRun += 1
            let rows = UnsafeBufferPointer(rebasing: probabilities[(i * t * width)..<((i + 1) * t * width)])
            decodeWindow(rows, newest: window.newest, lookahead: window.lookahead)
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// With a look-ahead, the frames of each pending window that decoding will read (the rule
    /// below, run ahead over the batch): a window every 6 frames decodes 6 of its 43, so the
    /// network's last block and heads need run on no others. nil (every frame) when averaging.
    private func rowsDecoded() -> Range<Int>? {
        var decoded = framesDecoded, low = windowFrames, high = 0
        for window in pending {
            guard let ahead = (window.lookahead ?? settings.lookahead).map({ min($0, windowFrames - 1) }) else { return nil }
            let first = window.newest - windowFrames + 1, last = window.newest - ahead
            if last >= max(decoded, first) {
                low = min(low, max(decoded, first) - first)
                high = max(high, last - first + 1)
            }
            decoded = max(decoded, last + 1)
        }
        return low < high ? low..<high : 0..<0
    }

    /// The rule: each frame is decoded from the first window computed at least `lookahead` frames
    /// after it (at the end of the input, the last window decodes all). Without a look-ahead
    /// (settings' nil), the window is added to its frames' means instead.
    private func decodeWindow(_ rows: UnsafeBufferPointer<Float>, newest: Int, lookahead: Int?) {
        let first = newest - windowFrames + 1
        guard let ahead = (lookahead ?? settings.lookahead).map({ min($0, windowFrames - 1) }) else {
            return accumulate(rows, first: first, newest: newest)
        }
        while framesDecoded <= newest - ahead {
            let frame = framesDecoded
            if frame < first {
                framesDropped += 1
                decode(UnsafeBufferPointer(silence))
            } else {
                decode(UnsafeBufferPointer(rebasing: rows[((frame - first) * width)..<((frame - first + 1) * width)]))
            }
        }
    }

    /// Averaging: adds the window (frames first...newest) to the sums of its frames not yet
    /// decoded, then decodes the frames no later window will cover. Frames older than the window
    /// (windows skipped to catch up) are decoded first, from what they have.
    private func accumulate(_ rows: UnsafeBufferPointer<Float>, first: Int, newest: Int) {
        decodeAveraged(through: first - 1)
        for frame in max(first, framesDecoded)...newest {
            let slot = frame % windowFrames
            let sum = sums.baseAddress! + slot * width, row = rows.baseAddress! + (frame - first) * width
            let w = positionWeights[frame - first]
            counts[slot] += w
            for k in 0..<width { sum[k] += w * row[k] }   // w = 1 (flat): the plain sum, bit for bit
        }
        decodeAveraged(through: newest + settings.stride - windowFrames)
    }

    /// Decodes the frames through `last` from their sums (a frame no window covered, skipped to
    /// catch up, is given up as silence) and clears their slots for the frames to come.
    private func decodeAveraged(through last: Int) {
        while framesDecoded <= last {
            let slot = framesDecoded % windowFrames
            let sum = UnsafeMutableBufferPointer(rebasing: sums[(slot * width)..<((slot + 1) * width)])
            if counts[slot] == 0 {
                framesDropped += 1
                decode(UnsafeBufferPointer(silence))
            } else {
                for k in 0..<width { sum[k] /= counts[slot] }
                decode(UnsafeBufferPointer(sum))
            }
            sum.update(repeating: 0)
            counts[slot] = 0
        }
    }

    private func decode(_ row: UnsafeBufferPointer<Float>) {
        frameObserver?(UnsafeBufferPointer(rebasing: row[0..<notes]))
        if decoder.hasOnsets { onsetObserver?(UnsafeBufferPointer(rebasing: row[notes..<(2 * notes)])) }
        decoder.push(row) { emit($0) }
        framesDecoded += 1
        let time = Double(framesDecoded - 1) * frameSeconds
        for sink in sinks { sink.advance(to: time) }
    }

    private func emit(_ event: NoteEvent) {
        switch event {
        case let .on(index, onset, confidence, velocity):
            let p = space.pitch(ofIndex: index), name = space.name(ofIndex: index)
            let velocity = velocity ?? TranscribedNote.velocity(confidence: confidence)
            for sink in sinks {
                sink.noteOn(pitch: p, name: name, time: Self.noteSeconds(atFrame: onset, frameSeconds: frameSeconds), confidence: confidence, velocity: velocity)
            }
        case let .off(note):
            notesEmitted += 1
            let transcribed = TranscribedNote(pitch: space.pitch(ofIndex: note.index), onset: Self.noteSeconds(atFrame: note.onset, frameSeconds: frameSeconds),
                                              offset: Self.noteSeconds(atFrame: note.offset, frameSeconds: frameSeconds), confidence: note.confidence,
                                              name: space.name(ofIndex: note.index), velocity: note.velocity)
            for sink in sinks { sink.noteOff(transcribed) }
        }
    }
}

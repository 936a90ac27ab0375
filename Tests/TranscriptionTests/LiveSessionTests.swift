// The engine end to end: a capture device that disappears mid-session (unplugged) ends with the
// device's reason and keeps the notes; every frame decoded once; the batch look-ahead rule agrees.
import Foundation
import LiveCapture
import Model
import StreamingCQT
import Synchronization
import Testing
import Trainer
@testable import Transcription

/// Delivers its samples at once, then fails the way an unplugged ALSA device does.
final class UnpluggedSource: AudioSource, @unchecked Sendable {
    // Sendable: `done` is atomic; the rest is written before start() returns.
    let sampleRate: Int
    let samples: [Float]
    private let done = Atomic<Bool>(false)
    private(set) var delivered = 0

    init(samples: [Float], sampleRate: Int) {
        self.samples = samples
        self.sampleRate = sampleRate
    }

    func start(into ring: RingBuffer) throws {
        delivered = samples.withUnsafeBufferPointer { ring.write($0) }
        done.store(true, ordering: .releasing)
    }
    func stop() {}
    var isFinished: Bool { done.load(ordering: .acquiring) }
    var statistics: SourceStatistics { var s = SourceStatistics(); s.samples = delivered; return s }
    var failure: String? { isFinished ? "\(ALSAError.readFailed(device: "hw:1,0", code: -ENODEV))" : nil }
}

@Suite struct LiveSessionTests {
    static let testModel = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/test-model.safetensors").path

    @Test func anUnpluggedDeviceEndsTheSessionWithItsReasonAndKeepsTheNotes() throws {
        var generator = SeededGenerator(seed: 41)
        let (samples, labels) = SyntheticCorpus.render(seconds: 3, rate: 22050, pitches: Array(48...84), voices: 2,
                                                       generator: &generator)
        let (network, metadata) = try WeightsFile.load(Self.testModel)
        let engine = try TranscriptionEngine(network: try ParallelNetwork(network: network, threads: 1), metadata: metadata)
        let midi = FileManager.default.temporaryDirectory.appendingPathComponent("unplugged-\(UUID().uuidString).mid").path
        defer { try? FileManager.default.removeItem(atPath: midi) }
        engine.add(try MIDIFileWriter(path: midi))
        let session = LiveSession(engine: engine, source: UnpluggedSource(samples: samples, sampleRate: 22050))
        #expect { _ = try session.run(stop: { false }) } throws: { error in
            let text = "\(error)"
            return text.contains("No such device") && text.contains("unplugged") && text.contains("3.0 s of audio")
        }
        let notes = try MIDIFile.notes(in: Data(contentsOf: URL(fileURLWithPath: midi)))
        #expect(!notes.isEmpty)
        // What the (small test) model heard before the device went: most of the labelled pitches.
        let labelled = Set(labels.map(\.note))
        #expect(Set(notes.map(\.pitch)).intersection(labelled).count * 2 >= labelled.count)
    }
}

/// Counts what the engine tells its sinks.
final class CountingSink: NoteSink {
    var lastTime = -1.0, advances = 0, ons = 0, offs = 0
    func noteOn(pitch: Int, name: String, time: Double, confidence: Float) { ons += 1 }
    func noteOff(_ note: TranscribedNote) { offs += 1 }
    func advance(to time: Double) { precondition(time > lastTime); lastTime = time; advances += 1 }
    func flush() throws {}
}

@Suite struct LookaheadTests {
    /// Every frame is decoded once, in order, whatever the stride and look-ahead; every note
    /// that starts also ends.
    /// The window is the weights' `window_frames` (43, one second, unless preprocess was given
    /// another --batch-seconds; 86 is two seconds).
    @Test(arguments: [(6, 0, 43), (6, 4, 43), (22, 21, 43), (1, 42, 43), (43, 0, 43), (11, nil, 43), (1, nil, 43),
                      (43, nil, 43), (7, nil, 43), (6, 4, 86), (11, nil, 86), (86, nil, 86), (40, 45, 86)] as [(Int, Int?, Int)])
    func everyFrameIsDecodedOnce(stride: Int, lookahead: Int?, window: Int) throws {
        var generator = SeededGenerator(seed: 43)
        let (samples, _) = SyntheticCorpus.render(seconds: 4, rate: 22050, pitches: Array(48...84), voices: 2, generator: &generator)
        let (network, saved) = try WeightsFile.load(LiveSessionTests.testModel)
        let metadata = saved.merging(["window_frames": "\(window)"]) { $1 }
        let engine = try TranscriptionEngine(network: try ParallelNetwork(network: network, threads: 1), metadata: metadata,
                                             settings: EngineSettings(stride: stride, lookahead: lookahead))
        let sink = CountingSink()
        engine.add(sink)
        try samples.withUnsafeBufferPointer { try engine.push($0) }
        try engine.finish()
        #expect(sink.advances == samples.count / 512 + 1)
        #expect(sink.ons == sink.offs && sink.ons > 0)
        #expect(engine.framesDropped == 0)
    }

    /// `evaluate` scores what `file` prints: the batch rule (WindowedPrediction's look-ahead or
    /// streamed-mean probabilities over the batch CQT, then the note decoder) gives the engine's
    /// notes exactly, with a look-ahead (live) and without (file's mean of the windows).
    @Test(arguments: [(22, 21, 43), (6, 4, 43), (43, 0, 43), (5, 11, 43), (11, nil, 43), (6, nil, 43), (43, nil, 43),
                      (9, nil, 43), (6, 4, 86), (11, nil, 86), (30, 50, 86)] as [(Int, Int?, Int)])
    func theBatchRuleGivesTheEnginesNotes(stride: Int, lookahead: Int?, window: Int) throws {
        var generator = SeededGenerator(seed: 44)
        let (samples, _) = SyntheticCorpus.render(seconds: 5, rate: 22050, pitches: Array(48...84), voices: 3, generator: &generator)
        let (loaded, saved) = try WeightsFile.load(LiveSessionTests.testModel)
        let metadata = saved.merging(["window_frames": "\(window)"]) { $1 }
        let network = try ParallelNetwork(network: loaded, threads: 1)
        let engine = try TranscriptionEngine(network: network, metadata: metadata,
                                             settings: EngineSettings(stride: stride, lookahead: lookahead))
        let sink = NoteCollector()
        engine.add(sink)
        try samples.withUnsafeBufferPointer { try engine.push($0) }
        try engine.finish()

        let settings = try CQTSettings(metadata: metadata)
        let frames = try BatchCQT.transform(samples, settings: settings)
        let count = frames.count / settings.binCount
        let probabilities = try lookahead.map { ahead throws(ModelError) in
            try WindowedPrediction.lookaheadProbabilities(network: network, features: frames, frames: count, window: window,
                                                          stride: stride, lookahead: ahead, padding: settings.floor)
        } ?? WindowedPrediction.streamedMeanProbabilities(network: network, features: frames, frames: count, window: window,
                                                          stride: stride, padding: settings.floor)
        let batch = NoteDecoder.decode(probabilities, notes: network.config.nNotes).map {
            [settings.lowestNote + $0.index, $0.onset, $0.offset]
        }
        let frameSeconds = Double(settings.hopLength) / Double(settings.sampleRate)
        let live = sink.notes.map { [$0.pitch, Int(($0.onset / frameSeconds).rounded()), Int(($0.offset / frameSeconds).rounded())] }
        #expect(!live.isEmpty)
        #expect(Set(batch) == Set(live))
        #expect(batch.count == live.count)
    }

    @Test func aLookaheadPastTheWindowIsRefused() throws {
        let (network, metadata) = try WeightsFile.load(LiveSessionTests.testModel)
        #expect { try TranscriptionEngine(network: try ParallelNetwork(network: network, threads: 1), metadata: metadata,
                                          settings: EngineSettings(stride: 22, lookahead: 22)) } throws: {
            "\($0)".contains("plus the look-ahead (22) must be at most a window (43 frames)")
        }
        // Averaging (no look-ahead): a stride past the window would leave frames no window covers.
        #expect { try TranscriptionEngine(network: try ParallelNetwork(network: network, threads: 1), metadata: metadata,
                                          settings: EngineSettings(stride: 44, lookahead: nil)) } throws: {
            "\($0)".contains("the stride (44) must be at most a window (43 frames)")
        }
    }
}

/// Keeps the notes the engine ends.
final class NoteCollector: NoteSink {
    var notes: [TranscribedNote] = []
    func noteOn(pitch: Int, name: String, time: Double, confidence: Float) {}
    func noteOff(_ note: TranscribedNote) { notes.append(note) }
    func advance(to time: Double) {}
    func flush() throws {}
}

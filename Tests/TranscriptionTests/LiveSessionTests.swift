// A capture device that disappears mid-session (unplugged): the session ends with the device's
// reason and the summary, and every output holds what was transcribed until then.
import Foundation
import LiveCapture
import Model
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
    @Test(arguments: [(6, 0), (6, 4), (22, 21), (1, 42), (43, 0)])
    func everyFrameIsDecodedOnce(stride: Int, lookahead: Int) throws {
        var generator = SeededGenerator(seed: 43)
        let (samples, _) = SyntheticCorpus.render(seconds: 4, rate: 22050, pitches: Array(48...84), voices: 2, generator: &generator)
        let (network, metadata) = try WeightsFile.load(LiveSessionTests.testModel)
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

    @Test func aLookaheadPastTheWindowIsRefused() throws {
        let (network, metadata) = try WeightsFile.load(LiveSessionTests.testModel)
        #expect { try TranscriptionEngine(network: try ParallelNetwork(network: network, threads: 1), metadata: metadata,
                                          settings: EngineSettings(stride: 22, lookahead: 22)) } throws: {
            "\($0)".contains("plus the look-ahead (22) must be at most a window (43 frames)")
        }
    }
}

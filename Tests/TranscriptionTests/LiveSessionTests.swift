// The live session end to end: a capture device that disappears mid-session (unplugged) ends with
// the device's reason and keeps the notes.
import Foundation
import LiveCapture
import Model
import StreamingCQT
import Synchronization
import Testing
import Trainer
import Pipeline
import TestSupport
@testable import Transcription
import Support

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
    @Test func anUnpluggedDeviceEndsTheSessionWithItsReasonAndKeepsTheNotes() throws {
        var generator = SeededGenerator(seed: 41)
        let (samples, labels) = SyntheticCorpus.render(seconds: 3, rate: 22050, pitches: Array(48...84), voices: 2,
                                                       generator: &generator)
        let engine = try TranscriptionEngine(weights: try Weights.load(Fixtures.testModel))
        let midi = FileManager.default.temporaryDirectory.appendingPathComponent("unplugged-\(UUID().uuidString).mid").path
        defer { try? FileManager.default.removeItem(atPath: midi) }
        engine.add(try MIDIFileWriter(path: midi))
        let session = LiveSession(engine: engine, source: UnpluggedSource(samples: samples, sampleRate: 22050))
        #expect { _ = try session.run(stop: { false }) } throws: { error in
            let text = "\(error)"
            return text.contains("No such device") && text.contains("unplugged") && text.contains("3.0 s of audio")
        }
        let notes = try LabelMIDI.notes(in: Data(contentsOf: URL(fileURLWithPath: midi)))
        #expect(!notes.isEmpty)
        // What the (small test) model heard before the device went: most of the labelled pitches.
        let labelled = Set(labels.map(\.note))
        #expect(Set(notes.map(\.pitch)).intersection(labelled).count * 2 >= labelled.count)
    }
}

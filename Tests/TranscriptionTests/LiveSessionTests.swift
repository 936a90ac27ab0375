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

/// The session reads the ring only when a window can be due, so one read holds up to a stride of
/// audio; the latency meter dates each sample back from the newest one the ring held, at the
/// audio's pace, but never before the read that came earlier. A clock the test sets, in ms.
@Suite struct LatencyMeterTests {
    final class Clock: @unchecked Sendable {
        var milliseconds: UInt64 = 10_000
        var read: () -> UInt64 { { self.milliseconds * 1_000_000 } }
    }

    /// Read at 10.000 s with the ring holding samples up to 22050 (1 s of audio at 22.05 kHz);
    /// the note at sample 11025 (0.5 s) is printed 100 ms later: it arrived 0.5 s before the read,
    /// so its latency is 600 ms.
    @Test func aSampleIsDatedBackFromTheNewestInTheRing() {
        let clock = Clock()
        let meter = LatencyMeter(sampleRate: 22050, clock: clock.read)
        meter.arrived(upTo: 11026, newest: 22050)
        clock.milliseconds += 100
        meter.noteOn(pitch: 60, name: "C4", time: 0.5, confidence: 1, velocity: 64)
        #expect(meter.latencies.count == 1)
        #expect(abs(meter.latencies[0] - 600) < 0.1, "\(meter.latencies)")
    }

    /// The read before (at 9.800 s) found the ring without the sample, so it came after that read:
    /// dated back 500 ms from 10.000 s it would be before it, and is put at 9.800 s instead.
    @Test func aSampleIsNeverDatedBeforeThePreviousRead() {
        let clock = Clock()
        clock.milliseconds = 9_800
        let meter = LatencyMeter(sampleRate: 22050, clock: clock.read)
        meter.arrived(upTo: 11000, newest: 11000)
        clock.milliseconds = 10_000
        meter.arrived(upTo: 22050, newest: 22050)
        clock.milliseconds += 100
        meter.noteOn(pitch: 60, name: "C4", time: 0.5, confidence: 1, velocity: 64)
        #expect(abs(meter.latencies[0] - 300) < 0.1, "\(meter.latencies)")
    }
}

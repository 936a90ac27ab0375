// LiveSession: the consumer side - drains the ring into the engine, catches up when it falls
// behind (skipping network windows, never letting latency grow), measures latency, and ends with
// every output flushed and a summary.
import Foundation
import Pipeline
import LiveCapture

public struct SessionSummary: Sendable {
    public var audioSeconds: Double
    public var notes: Int
    public var overruns: Int
    /// Audio lost because the ring was full, in seconds.
    public var droppedAudioSeconds: Double
    /// Network windows skipped to catch up, and frames given up as silence.
    public var skippedWindows: Int
    public var droppedFrames: Int
    /// From the sample at a note's detected onset entering the ring to its note-on being
    /// printed, in ms (`transcriber bench` measures from known onsets instead).
    public var latencies: [Double]

    public var meanLatency: Double { latencies.isEmpty ? .nan : latencies.reduce(0, +) / Double(latencies.count) }
    public var maxLatency: Double { latencies.max() ?? .nan }

    public var text: String {
        String(format: "%.1f s of audio, %d notes, %d overruns, %.2f s of audio dropped, %d windows skipped; "
               + "from detected onset to print: mean %.0f ms, max %.0f ms (%d notes)",
               audioSeconds, notes, overruns, droppedAudioSeconds, skippedWindows, meanLatency, maxLatency, latencies.count)
    }
}

public final class LiveSession {
    public let engine: TranscriptionEngine
    public let source: AudioSource
    let ring: RingBuffer
    /// Backlog beyond which the engine catches up instead of running every window.
    let maximumBacklog: Int
    private let meter: LatencyMeter

    public init(engine: TranscriptionEngine, source: AudioSource, ringSeconds: Double = 4, maximumBacklogSeconds: Double = 0.25) {
        self.engine = engine
        self.source = source
        ring = RingBuffer(capacity: Int(ringSeconds * Double(engine.sampleRate)))
        maximumBacklog = Int(maximumBacklogSeconds * Double(engine.sampleRate))
        meter = LatencyMeter(sampleRate: engine.sampleRate)
        engine.add(meter)
    }

    /// Runs until the source is finished, `stop()` says so, or the source fails (then the
    /// outputs are still flushed and the failure is thrown).
    public func run(stop: () -> Bool) throws -> SessionSummary {
        try source.start(into: ring)
        let chunk = UnsafeMutableBufferPointer<Float>.allocate(capacity: 2048)
        defer { chunk.deallocate() }
        var read = 0
        while true {
            if stop() { source.stop(); break }
            let backlog = ring.available
            let n = ring.read(into: chunk)
            if n > 0 {
                meter.arrived(upTo: read + n, newest: read + backlog)
                read += n
                try engine.push(UnsafeBufferPointer(rebasing: chunk[0..<n]), catchUp: backlog > maximumBacklog)
            } else if source.isFinished {
                break
            } else {
                usleep(pollMicroseconds())
            }
        }
        try engine.finish()
        let stats = source.statistics
        let summary = SessionSummary(audioSeconds: Double(read) / Double(engine.sampleRate), notes: engine.notesEmitted,
                                     overruns: stats.overruns, droppedAudioSeconds: Double(stats.dropped) / Double(engine.sampleRate),
                                     skippedWindows: engine.windowsSkipped, droppedFrames: engine.framesDropped,
                                     latencies: meter.latencies)
        if let failure = source.failure { throw SessionError(description: failure + "\n" + summary.text) }
        return summary
    }
}

extension LiveSession {
    /// How long to sleep when the ring is empty. Only windows print notes, and the next one falls
    /// due when `k` more frames are complete (k = 1 ... stride), which takes at least k - 1 hops
    /// of new audio: so sleep those hops, then poll every 4 ms until it is due. Polling every
    /// 4 ms throughout woke the thread 250 times a second, 35 times a window, mostly for nothing.
    func pollMicroseconds() -> UInt32 {
        let stride = engine.settings.stride, hop = engine.cqt.settings.hopLength
        let framesToWindow = stride - engine.framesSeen % stride
        let quiet = Double((framesToWindow - 1) * hop) / Double(engine.sampleRate)
        return UInt32(max(quiet * 1e6, 4000))
    }
}

public struct SessionError: Error, CustomStringConvertible { public var description: String }

/// When each sample reached the consumer, and from that each note-on's latency.
final class LatencyMeter: NoteSink {
    let sampleRate: Int
    private var arrivals: [(samples: Int, newest: Int, time: UInt64)] = []
    private(set) var latencies: [Double] = []

    /// Nanoseconds on a monotonic clock (the tests give their own).
    private let clock: () -> UInt64

    init(sampleRate: Int, clock: @escaping () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }) {
        self.sampleRate = sampleRate
        self.clock = clock
    }

    /// Samples up to `count` were read from the ring now, which held samples up to `newest`.
    func arrived(upTo count: Int, newest: Int) {
        arrivals.append((count, max(newest, count), clock()))
        if arrivals.count > 4096 { arrivals.removeFirst(2048) }
    }

    /// The latency from the note's onset sample entering the ring. The session reads the ring
    /// only when a window can be due, so a read holds up to a stride of audio: the sample's
    /// arrival is put back from the read's time, at the audio's pace (a live source delivers in
    /// real time), from the newest sample the ring held then; never before the read before.
    func noteOn(pitch: Int, name: String, time: Double, confidence: Float, velocity: Int) {
        let sample = Int(time * Double(sampleRate))
        guard let i = arrivals.firstIndex(where: { $0.samples > sample }) else { return }
        let entry = arrivals[i], now = clock()
        let after = UInt64(Double(entry.newest - 1 - sample) / Double(sampleRate) * 1e9)
        var arrival = entry.time > after ? entry.time - after : 0
        if i > 0 { arrival = max(arrival, arrivals[i - 1].time) }
        latencies.append(Double(now - arrival) / 1e6)
    }

    func noteOff(_ note: TranscribedNote) {}
    func advance(to time: Double) {}
    func flush() throws {}
}

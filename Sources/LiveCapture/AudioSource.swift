// AudioSource: where live audio comes from - an ALSA device, a file replayed in real time, or a
// synthetic signal - behind one protocol, so the pipeline runs and is tested with no hardware.
import AudioIO
import Foundation
import Synchronization

/// What a source has done, for the end-of-run summary.
public struct SourceStatistics: Sendable {
    /// Samples delivered into the ring (at the model rate).
    public var samples = 0
    /// Device overruns (ALSA xruns) recovered.
    public var overruns = 0
    /// Samples lost because the ring was full (the consumer fell behind).
    public var dropped = 0

    public init(samples: Int = 0, overruns: Int = 0, dropped: Int = 0) {
        self.samples = samples
        self.overruns = overruns
        self.dropped = dropped
    }
}

/// A producer of mono samples at `sampleRate` into a ring buffer, on a thread of its own.
public protocol AudioSource: AnyObject, Sendable {
    /// The rate of the samples written into the ring (the model's).
    var sampleRate: Int { get }
    /// Starts producing into `ring`; returns at once.
    func start(into ring: RingBuffer) throws
    /// Asks the source to stop; it finishes its current chunk.
    func stop()
    /// True once the source has nothing more to give (end of file) or has stopped.
    var isFinished: Bool { get }
    var statistics: SourceStatistics { get }
    /// Why the source stopped early, if it failed (device unplugged...).
    var failure: String? { get }
}

/// Shared machinery of the sources: the thread, the stop flag, the counters.
open class ThreadedSource: @unchecked Sendable {
    // Sendable: counters are atomics; `failure` is written once by the thread before `finished`.
    let stopRequested = Atomic<Bool>(false)
    let finished = Atomic<Bool>(false)
    let samples = Atomic<Int>(0)
    let overruns = Atomic<Int>(0)
    let dropped = Atomic<Int>(0)
    private let failureText = Mutex<String?>(nil)

    public init() {}

    public func stop() { stopRequested.store(true, ordering: .releasing) }
    public var isFinished: Bool { finished.load(ordering: .acquiring) }
    public var failure: String? { failureText.withLock { $0 } }
    public var statistics: SourceStatistics {
        SourceStatistics(samples: samples.load(ordering: .relaxed), overruns: overruns.load(ordering: .relaxed),
                         dropped: dropped.load(ordering: .relaxed))
    }

    func fail(_ message: String) { failureText.withLock { $0 = message } }

    /// Writes into the ring, counting what did not fit as dropped.
    func deliver(_ chunk: UnsafeBufferPointer<Float>, to ring: RingBuffer) {
        let stored = ring.write(chunk)
        samples.add(stored, ordering: .relaxed)
        if stored < chunk.count { dropped.add(chunk.count - stored, ordering: .relaxed) }
    }

    func launch(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            body()
            finished.store(true, ordering: .releasing)
        }
        thread.name = name
        thread.qualityOfService = .userInteractive
        thread.start()
    }
}

/// Samples held in memory, delivered at `speed` times real time (0: as fast as the ring takes
/// them). Serves file replay (the file is decoded and resampled before it starts) and tests.
public final class MemorySource: ThreadedSource, AudioSource, @unchecked Sendable {
    public let sampleRate: Int
    public let speed: Double
    private let signal: [Float]
    private let chunk: Int

    public init(samples: [Float], sampleRate: Int, speed: Double = 1, chunk: Int = 256) {
        signal = samples
        self.sampleRate = sampleRate
        self.speed = speed
        self.chunk = chunk
    }

    /// A file decoded, downmixed and resampled to `sampleRate`, to replay as if live.
    public convenience init(file: String, sampleRate: Int, speed: Double = 1) throws {
        let (samples, _) = try AudioLoading.mono(file, sampleRate: sampleRate)
        self.init(samples: samples, sampleRate: sampleRate, speed: speed)
    }

    public func start(into ring: RingBuffer) throws {
        let (signal, chunk, speed, rate) = (self.signal, self.chunk, self.speed, Double(sampleRate))
        launch(name: "replay") { [self] in
            let start = DispatchTime.now().uptimeNanoseconds
            var offset = 0
            signal.withUnsafeBufferPointer { all in
                while offset < all.count && !stopRequested.load(ordering: .acquiring) {
                    let n = min(chunk, all.count - offset)
                    if speed > 0 {
                        // Release each chunk when its last sample would have been heard.
                        let due = start + UInt64(Double(offset + n) / rate / speed * 1e9)
                        let now = DispatchTime.now().uptimeNanoseconds
                        if due > now { usleep(UInt32((due - now) / 1000)) }
                        deliver(UnsafeBufferPointer(rebasing: all[offset..<(offset + n)]), to: ring)
                        offset += n
                    } else {
                        let stored = ring.write(UnsafeBufferPointer(rebasing: all[offset..<(offset + n)]))
                        samples.add(stored, ordering: .relaxed)
                        offset += stored
                        if stored == 0 { usleep(200) }
                    }
                }
            }
        }
    }
}

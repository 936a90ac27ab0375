// ALSASource: the capture thread - reads the device, downmixes, resamples to the model rate and
// writes into the ring. No locks, allocation or printing on that thread: its buffers are made
// before it starts, overruns are recovered and counted, a fatal error is recorded for the
// consumer to report.
import AudioIO
import Foundation

public final class ALSASource: ThreadedSource, AudioSource, @unchecked Sendable {
    public let sampleRate: Int
    public let device: ALSACaptureDevice
    private let resampler: StreamingResampler
    private let period: Int
    /// The capture thread's buffers, allocated here so that the thread allocates nothing.
    private let interleaved: UnsafeMutableBufferPointer<Float>
    private let mono: UnsafeMutableBufferPointer<Float>

    /// Opens `name` (an ALSA PCM) and negotiates a format; throws a clear ALSAError when the
    /// device is missing, busy or cannot record a usable format.
    public init(device name: String, sampleRate: Int) throws {
        self.sampleRate = sampleRate
        device = try ALSACaptureDevice(name: name, sampleRate: sampleRate, channels: 1)
        period = max(device.format.periodFrames, 64)
        resampler = try StreamingResampler(from: device.format.sampleRate, to: sampleRate, maximumInput: period, mode: .lowLatency)
        interleaved = .allocate(capacity: period * device.format.channels)
        mono = .allocate(capacity: period)
    }

    deinit {
        interleaved.deallocate()
        mono.deallocate()
    }

    public func start(into ring: RingBuffer) throws {
        let channels = device.format.channels
        launch(name: "alsa capture") { [self] in
            while !stopRequested.load(ordering: .acquiring) {
                let frames: Int
                do { frames = try device.read(into: interleaved) } catch {
                    fail("\(error)")
                    return
                }
                if frames == 0 { continue }
                let scale = 1 / Float(channels)
                for i in 0..<frames {
                    var sum: Float = 0
                    for c in 0..<channels { sum += interleaved[i * channels + c] }
                    mono[i] = sum * scale
                }
                deliver(resampler.process(UnsafeBufferPointer(rebasing: mono[0..<frames])), to: ring)
                overruns.store(device.overruns, ordering: .relaxed)
            }
        }
    }
}

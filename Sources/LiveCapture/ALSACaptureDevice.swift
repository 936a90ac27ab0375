// ALSACaptureDevice: one opened ALSA capture PCM, its negotiated format, and reads as floats.
import CALSA
import Foundation

/// Sample encodings the capture path accepts from a device, in order of preference.
public enum CaptureSampleFormat: String, Sendable, CaseIterable {
    case s16 = "S16_LE", s32 = "S32_LE", f32 = "FLOAT_LE"

    var alsa: snd_pcm_format_t {
        switch self {
        case .s16: return SND_PCM_FORMAT_S16_LE
        case .s32: return SND_PCM_FORMAT_S32_LE
        case .f32: return SND_PCM_FORMAT_FLOAT_LE
        }
    }

    var bytesPerSample: Int { self == .s16 ? 2 : 4 }
}

/// The format a device agreed to.
public struct CaptureFormat: Sendable, Equatable {
    public var sampleRate: Int
    public var channels: Int
    public var sampleFormat: CaptureSampleFormat
    /// Frames ALSA transfers per period (the granularity of a read).
    public var periodFrames: Int
}

/// An ALSA PCM opened for capture, interleaved read/write access.
///
/// `read(into:)` blocks until frames arrive, converts them to floats in [-1, 1] and recovers
/// from overruns with `snd_pcm_recover`, counting them. It allocates nothing: the raw buffer is
/// sized once at open. Not thread-safe; one capture thread owns it.
public final class ALSACaptureDevice {
    public let name: String
    public let format: CaptureFormat
    /// Overruns (the device filled its buffer before it was read) recovered so far.
    public private(set) var overruns = 0

    private let pcm: OpaquePointer
    private let raw: UnsafeMutableRawBufferPointer
    private let rawFrames: Int

    /// Opens `name` for capture and negotiates a format: the first of `formats` the device
    /// takes, `channels` channels (or the nearest it offers), and the rate nearest `sampleRate`.
    public init(name: String, sampleRate: Int, channels: Int = 1,
                formats: [CaptureSampleFormat] = CaptureSampleFormat.allCases,
                periodFrames: Int = 512) throws {
        calsa_silence_errors()
        defer { calsa_restore_errors() }
        var handle: OpaquePointer?
        let openCode = snd_pcm_open(&handle, name, SND_PCM_STREAM_CAPTURE, 0)
        guard openCode == 0, let handle else { throw ALSAError.cannotOpen(device: name, code: openCode) }
        var params: OpaquePointer?
        snd_pcm_hw_params_malloc(&params)
        defer { snd_pcm_hw_params_free(params) }
        do {
            snd_pcm_hw_params_any(handle, params)
            guard snd_pcm_hw_params_set_access(handle, params, SND_PCM_ACCESS_RW_INTERLEAVED) == 0 else {
                throw ALSAError.unsupported(device: name, what: "interleaved read access", offered: "mmap access only")
            }
            guard let chosen = formats.first(where: { snd_pcm_hw_params_test_format(handle, params, $0.alsa) == 0 }) else {
                let offered = CaptureSampleFormat.allCases.filter { snd_pcm_hw_params_test_format(handle, params, $0.alsa) == 0 }
                throw ALSAError.unsupported(device: name,
                    what: "the sample formats " + formats.map(\.rawValue).joined(separator: ", "),
                    offered: offered.isEmpty ? "none of S16_LE, S32_LE, FLOAT_LE" : offered.map(\.rawValue).joined(separator: ", "))
            }
            snd_pcm_hw_params_set_format(handle, params, chosen.alsa)
            var channelCount = UInt32(channels)
            guard snd_pcm_hw_params_set_channels_near(handle, params, &channelCount) == 0 else {
                throw ALSAError.unsupported(device: name, what: "\(channels) channel(s)", offered: Self.channelRange(handle, params))
            }
            var rate = UInt32(sampleRate)
            guard snd_pcm_hw_params_set_rate_near(handle, params, &rate, nil) == 0 else {
                throw ALSAError.unsupported(device: name, what: "\(sampleRate) Hz", offered: Self.rateRange(handle, params))
            }
            var period = snd_pcm_uframes_t(periodFrames)
            snd_pcm_hw_params_set_period_size_near(handle, params, &period, nil)
            var bufferSize = snd_pcm_uframes_t(periodFrames * 8)
            snd_pcm_hw_params_set_buffer_size_near(handle, params, &bufferSize)
            let applied = snd_pcm_hw_params(handle, params)
            guard applied == 0 else { throw ALSAError.cannotOpen(device: name, code: applied) }
            snd_pcm_hw_params_get_period_size(params, &period, nil)
            format = CaptureFormat(sampleRate: Int(rate), channels: Int(channelCount),
                                   sampleFormat: chosen, periodFrames: Int(period))
        } catch {
            snd_pcm_close(handle)
            throw error
        }
        self.name = name
        pcm = handle
        rawFrames = max(format.periodFrames, 1) * 4
        raw = .allocate(byteCount: rawFrames * format.channels * format.sampleFormat.bytesPerSample,
                        alignment: 16)
        snd_pcm_prepare(pcm)
    }

    deinit {
        snd_pcm_close(pcm)
        raw.deallocate()
    }

    /// Reads up to `destination.count / channels` frames as interleaved floats; returns how many
    /// frames it wrote. Blocks until at least one period is available. An overrun is recovered
    /// and counted, and the read goes on.
    public func read(into destination: UnsafeMutableBufferPointer<Float>) throws -> Int {
        let channels = format.channels
        let wanted = min(destination.count / channels, rawFrames)
        guard wanted > 0 else { return 0 }
        while true {
            let got = snd_pcm_readi(pcm, raw.baseAddress, snd_pcm_uframes_t(wanted))
            if got >= 0 {
                convert(frames: Int(got), into: destination)
                return Int(got)
            }
            let code = Int32(got)
            if code == -EPIPE || code == -ESTRPIPE || code == -EINTR {
                if code == -EPIPE { overruns += 1 }
                if snd_pcm_recover(pcm, code, 1) == 0 { continue }
            }
            throw ALSAError.readFailed(device: name, code: code)
        }
    }

    private func convert(frames: Int, into destination: UnsafeMutableBufferPointer<Float>) {
        let count = frames * format.channels
        switch format.sampleFormat {
        case .s16:
            let source = raw.bindMemory(to: Int16.self)
            for i in 0..<count { destination[i] = Float(source[i]) * (1 / 32768) }
        case .s32:
            let source = raw.bindMemory(to: Int32.self)
            for i in 0..<count { destination[i] = Float(source[i]) * (1 / 2_147_483_648) }
        case .f32:
            let source = raw.bindMemory(to: Float.self)
            for i in 0..<count { destination[i] = source[i] }
        }
    }

    private static func rateRange(_ pcm: OpaquePointer, _ params: OpaquePointer?) -> String {
        var low: UInt32 = 0, high: UInt32 = 0
        snd_pcm_hw_params_get_rate_min(params, &low, nil)
        snd_pcm_hw_params_get_rate_max(params, &high, nil)
        let common = [8000, 11025, 16000, 22050, 32000, 44100, 48000, 88200, 96000, 192000]
            .filter { snd_pcm_hw_params_test_rate(pcm, params, UInt32($0), 0) == 0 }
        return "\(low)-\(high) Hz" + (common.isEmpty ? "" : " (" + common.map(String.init).joined(separator: ", ") + ")")
    }

    private static func channelRange(_ pcm: OpaquePointer, _ params: OpaquePointer?) -> String {
        var low: UInt32 = 0, high: UInt32 = 0
        snd_pcm_hw_params_get_channels_min(params, &low)
        snd_pcm_hw_params_get_channels_max(params, &high)
        return "\(low)-\(high) channels"
    }
}

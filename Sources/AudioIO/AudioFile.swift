// AudioFile: reading and writing audio files of any libsndfile format (WAV, FLAC, OGG, AIFF, ...).
import CSndFile
import Foundation
import Support

/// What a file holds, as its header says.
public struct AudioInfo: Sendable, Equatable {
    public var sampleRate: Int
    public var channels: Int
    /// Frames (samples per channel); 0 when the header does not say (`lengthKnown` false).
    public var frames: Int
    /// libsndfile's name of the container and encoding, e.g. "WAV (Microsoft), Signed 16 bit PCM".
    public var formatName: String
    /// False for a file whose header does not state its length (a streamed FLAC writes 0 total
    /// samples; libsndfile then reports SF_COUNT_MAX frames): it is read to the end of its data.
    public var lengthKnown = true
    public var duration: Double { sampleRate > 0 ? Double(frames) / Double(sampleRate) : 0 }
}

/// Audio samples in memory: `channels` interleaved channels of 32-bit floats in [-1, 1].
public struct AudioBuffer: Sendable {
    public var samples: [Float]
    public var sampleRate: Int
    public var channels: Int
    public var frames: Int { channels > 0 ? samples.count / channels : 0 }

    public init(samples: [Float], sampleRate: Int, channels: Int) {
        self.samples = samples
        self.sampleRate = sampleRate
        self.channels = channels
    }

    /// The channels averaged into one.
    public func mono() -> [Float] { downmixToMono(samples, channels: channels) }
}

/// The encodings the program writes.
public enum AudioFileFormat: String, Sendable, CaseIterable {
    case wavPCM16, wavPCM24, wavFloat, flacPCM16, flacPCM24

    var sndfileFormat: Int32 {
        switch self {
        case .wavPCM16: return Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
        case .wavPCM24: return Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_24)
        case .wavFloat: return Int32(SF_FORMAT_WAV | SF_FORMAT_FLOAT)
        case .flacPCM16: return Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
        case .flacPCM24: return Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_24)
        }
    }
}

public enum AudioFileError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case empty(path: String)
    case truncated(path: String, expectedFrames: Int, readFrames: Int)
    case cannotWrite(path: String, reason: String)
    /// Samples that are NaN or infinite (a float file written by a broken program).
    case nonFinite(path: String, count: Int, firstSecond: Double)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "cannot read audio file '\(path)': \(reason). "
                + "Give a WAV, FLAC, OGG or AIFF file (anything libsndfile reads); convert others with sox or ffmpeg."
        case let .empty(path):
            return "audio file '\(path)' holds no samples; record or render something first."
        case let .truncated(path, expected, read):
            return "audio file '\(path)' is truncated or damaged: its header promises \(expected) frames "
                + "but only \(read) could be read. Re-export or re-download it."
        case let .cannotWrite(path, reason):
            return "cannot write audio file '\(path)': \(reason). Check that the folder exists, is writable and the disk has room."
        case let .nonFinite(path, count, first):
            return "audio file '\(path)' is damaged: \(count) sample(s) are NaN or infinite, the first at "
                + String(format: "%.3f s", first) + ". Re-export it from the program that made it."
        }
    }
}

public enum AudioFile {
    /// The header of `path`, without reading the samples.
    public static func info(_ path: String) throws -> AudioInfo {
        var sfInfo = SF_INFO()
        guard let file = sf_open(path, Int32(SFM_READ), &sfInfo) else {
            throw AudioFileError.cannotOpen(path: path, reason: openFailureReason(path))
        }
        defer { sf_close(file) }
        return makeInfo(file, sfInfo)
    }

    /// Reads every sample of `path` as interleaved floats in [-1, 1], with the block reader's
    /// checks (truncated, empty, NaN). Integer encodings are scaled by 1 / 2^(bits-1), so 16-bit
    /// sample s reads as s / 32768.
    public static func read(_ path: String) throws -> AudioBuffer {
        let reader = try AudioFileReader(path)
        var samples: [Float] = []
        samples.reserveCapacity(reader.info.frames * reader.info.channels)
        while true {
            let block = try reader.read(frames: 1 << 16)
            if block.isEmpty { break }
            samples += block
        }
        return AudioBuffer(samples: samples, sampleRate: reader.info.sampleRate, channels: reader.info.channels)
    }

    /// Writes `buffer` to `path` in `format`. The file appears whole or not at all: it is written
    /// beside the target under a temporary name and renamed when complete.
    /// Integer formats round `x * 2^(bits-1)` and clip to the format's range.
    public static func write(_ buffer: AudioBuffer, to path: String, format: AudioFileFormat) throws {
        var sfInfo = SF_INFO()
        sfInfo.samplerate = Int32(buffer.sampleRate)
        sfInfo.channels = Int32(buffer.channels)
        sfInfo.format = format.sndfileFormat
        guard sf_format_check(&sfInfo) != 0 else {
            throw AudioFileError.cannotWrite(path: path,
                reason: "\(format.rawValue) cannot hold \(buffer.channels) channel(s) at \(buffer.sampleRate) Hz")
        }
        do {
            try AtomicFile.write(to: path) { temporary in
                guard let file = sf_open(temporary, Int32(SFM_WRITE), &sfInfo) else {
                    throw AtomicWriteError(path: path, reason: String(cString: sf_strerror(nil)))
                }
                var written = 0
                let frames = buffer.frames
                switch format {
                case .wavFloat:
                    written = buffer.samples.withUnsafeBufferPointer {
                        Int(sf_writef_float(file, $0.baseAddress, sf_count_t(frames)))
                    }
                case .wavPCM16, .flacPCM16:
                    let ints = buffer.samples.map { x -> Int16 in
                        Int16(max(-32768, min(32767, (x * 32768).rounded())))
                    }
                    written = ints.withUnsafeBufferPointer { Int(sf_writef_short(file, $0.baseAddress, sf_count_t(frames))) }
                case .wavPCM24, .flacPCM24:
                    // libsndfile takes 24-bit data as the top 24 bits of an Int32.
                    let ints = buffer.samples.map { x -> Int32 in
                        Int32(max(-8_388_608, min(8_388_607, (x * 8_388_608).rounded()))) << 8
                    }
                    written = ints.withUnsafeBufferPointer { Int(sf_writef_int(file, $0.baseAddress, sf_count_t(frames))) }
                }
                let closeError = sf_close(file)
                guard written == frames, closeError == 0 else {
                    throw AtomicWriteError(path: path, reason: "only \(written) of \(frames) frames were written (disk full?)")
                }
            }
        } catch {
            throw AudioFileError.cannotWrite(path: path, reason: error.reason)
        }
    }

    /// libsndfile quietly shortens a file whose data chunk claims more bytes than the file holds,
    /// noting "data : CLAIMED (should be ACTUAL)" in its log. Returns the frames the header
    /// promised when that happened, so a cut-off download is an error rather than half a song.
    static func promisedFrames(_ file: OpaquePointer, available: Int) -> Int? {
        var log = [CChar](repeating: 0, count: 4096)
        sf_command(file, Int32(SFC_GET_LOG_INFO), &log, Int32(log.count))
        let text = log.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        for line in text.split(separator: "\n") where line.hasPrefix("data") && line.contains("(should be") {
            let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            guard numbers.count >= 2, numbers[0] > numbers[1], numbers[1] > 0 else { continue }
            return Int((Double(available) * Double(numbers[0]) / Double(numbers[1])).rounded())
        }
        return nil
    }

    /// Whether the header states the length: libsndfile reports SF_COUNT_MAX frames when not.
    static func lengthKnown(_ sfInfo: SF_INFO) -> Bool { sfInfo.frames >= 0 && sfInfo.frames < Int64.max }

    static func makeInfo(_ file: OpaquePointer, _ sfInfo: SF_INFO) -> AudioInfo {
        var formatInfo = SF_FORMAT_INFO()
        formatInfo.format = sfInfo.format & Int32(SF_FORMAT_TYPEMASK)
        sf_command(file, Int32(SFC_GET_FORMAT_INFO), &formatInfo, Int32(MemoryLayout<SF_FORMAT_INFO>.size))
        let container = formatInfo.name.map { String(cString: $0) } ?? "unknown"
        var subtype = SF_FORMAT_INFO()
        subtype.format = sfInfo.format & Int32(SF_FORMAT_SUBMASK)
        sf_command(file, Int32(SFC_GET_FORMAT_INFO), &subtype, Int32(MemoryLayout<SF_FORMAT_INFO>.size))
        let encoding = subtype.name.map { String(cString: $0) } ?? "unknown"
        let known = lengthKnown(sfInfo)
        return AudioInfo(sampleRate: Int(sfInfo.samplerate), channels: Int(sfInfo.channels),
                         frames: known ? Int(sfInfo.frames) : 0, formatName: "\(container), \(encoding)", lengthKnown: known)
    }

    static func openFailureReason(_ path: String) -> String {
        if !FileManager.default.fileExists(atPath: path) { return "no such file" }
        if !FileManager.default.isReadableFile(atPath: path) { return "permission denied" }
        return "not a recognised audio format (" + String(cString: sf_strerror(nil)) + ")"
    }
}

/// Averages `channels` interleaved channels into one: `y[i] = (1/C) * sum_c x[i*C + c]`.
public func downmixToMono(_ interleaved: [Float], channels: Int) -> [Float] {
    precondition(channels >= 1)
    if channels == 1 { return interleaved }
    let frames = interleaved.count / channels
    let scale = 1 / Float(channels)
    var mono = [Float](repeating: 0, count: frames)
    interleaved.withUnsafeBufferPointer { x in
        for i in 0..<frames {
            var sum: Float = 0
            for c in 0..<channels { sum += x[i * channels + c] }
            mono[i] = sum * scale
        }
    }
    return mono
}


// Tests of the libsndfile binding and the resampler: files round-trip, bad files say why.
import Foundation
import Testing
import Model
@testable import AudioIO
import Support

func temporaryDirectory() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("audioio-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

@Suite struct AudioFileTests {
    /// Samples on the format's own grid (k / 2^(bits-1)) must come back bit for bit.
    @Test(arguments: [(AudioFileFormat.wavPCM16, 16, "wav"), (.flacPCM16, 16, "flac"),
                      (.wavPCM24, 24, "wav"), (.flacPCM24, 24, "flac"), (.wavFloat, 0, "wav")])
    func roundTripKeepsEverySample(format: AudioFileFormat, bits: Int, ext: String) throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let channels = 2, frames = 5000
        let full = Float(1 << max(bits - 1, 0))
        var generator = SplitMix64(seed: UInt64(bits) + 1)
        let samples: [Float] = (0..<(frames * channels)).map { i in
            if i < 4 { return [-1, 0, 1 - 1 / max(full, 2), 0.5][i] }   // the extremes
            let x = Float.random(in: -1..<1, using: &generator)
            // On the format's grid, within its range [-1, 1 - 1/full].
            return bits == 0 ? x : min((x * full).rounded(), full - 1) / full
        }
        let path = dir.appendingPathComponent("t.\(ext)").path
        try AudioFile.write(AudioBuffer(samples: samples, sampleRate: 44100, channels: channels), to: path, format: format)
        let info = try AudioFile.info(path)
        #expect(info.sampleRate == 44100 && info.channels == channels && info.frames == frames)
        let back = try AudioFile.read(path)
        #expect(back.samples.count == samples.count)
        let mismatch = zip(back.samples, samples).enumerated().first { $0.element.0 != $0.element.1 }
        #expect(mismatch == nil, "first mismatch at \(mismatch.map { "\($0.offset): \($0.element)" } ?? "")")
        // Nothing but the file itself is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["t.\(ext)"])
    }

    @Test func missingFileSaysSo() {
        #expect { try AudioFile.read("/nonexistent/x.wav") } throws: { error in
            "\(error)".contains("no such file")
        }
    }

    @Test func nonAudioFileSaysSo() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("notes.wav").path
        try Data("this is text, not audio\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect { try AudioFile.read(path) } throws: { error in
            "\(error)".contains("not a recognised audio format")
        }
    }

    /// A WAV cut off mid-download: the header promises more than the file holds.
    @Test func truncatedFileIsAnErrorNotHalfASong() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("cut.wav").path
        try AudioFile.write(AudioBuffer(samples: [Float](repeating: 0.25, count: 22050), sampleRate: 22050, channels: 1),
                            to: path, format: .wavPCM16)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: path))
        #expect { try AudioFile.read(path) } throws: { error in
            guard case let .truncated(_, expected, read) = error as? AudioFileError else { return false }
            return abs(expected - 22050) < 16 && read < 11100 && "\(error)".contains("truncated or damaged")
        }
    }

    /// A float file with NaN or infinite samples is refused, saying where, instead of filling
    /// every frame near it (and a training loss) with NaN.
    @Test func nanOrInfiniteSamplesAreAnError() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var samples = [Float](repeating: 0.1, count: 16000 * 2)
        samples[2 * 8000 + 1] = .nan
        samples[2 * 9000] = -.infinity
        let path = dir.appendingPathComponent("nan.wav").path
        try AudioFile.write(AudioBuffer(samples: samples, sampleRate: 16000, channels: 2), to: path, format: .wavFloat)
        #expect(throws: AudioFileError.nonFinite(path: path, count: 2, firstSecond: 0.5)) { _ = try AudioFile.read(path) }
        #expect("\(AudioFileError.nonFinite(path: path, count: 2, firstSecond: 0.5))".contains("2 sample(s) are NaN or infinite, the first at 0.500 s"))
    }

    @Test func aFileWithNoSamplesSaysSo() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("empty.wav").path
        // A 44-byte WAV header with a data chunk of 0 bytes.
        var header = Data("RIFF".utf8) + le32(36) + Data("WAVEfmt ".utf8) + le32(16)
        header += le16(1) + le16(1) + le32(22050) + le32(44100) + le16(2) + le16(16) + Data("data".utf8) + le32(0)
        try header.write(to: URL(fileURLWithPath: path))
        #expect(throws: AudioFileError.empty(path: path)) { _ = try AudioFile.read(path) }
        #expect("\(AudioFileError.empty(path: path))".contains("holds no samples"))
    }

    /// A FLAC whose header does not state its length (a streamed FLAC: total samples 0; libsndfile
    /// then reports SF_COUNT_MAX frames) is read to the end of its data, whole, in blocks and
    /// resampled, giving the samples of the same file with its length stated. (It was refused as
    /// truncated, and at another rate the loader trapped converting the length.)
    @Test func aFileThatDoesNotStateItsLengthIsReadToItsEnd() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let frames = 30_000
        let interleaved = (0..<(frames * 2)).map { i in (Float((i * 7919) % 2001) - 1000) / 2048 }
        let known = dir.appendingPathComponent("known.flac").path
        try AudioFile.write(AudioBuffer(samples: interleaved, sampleRate: 44100, channels: 2), to: known, format: .flacPCM16)
        // STREAMINFO's 36-bit total-samples field: the low 4 bits of byte 21 and bytes 22-25.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: known)))
        #expect(Array(bytes[0..<4]) == Array("fLaC".utf8))
        bytes[21] &= 0xF0
        for i in 22..<26 { bytes[i] = 0 }
        let unknown = dir.appendingPathComponent("unknown.flac").path
        try Data(bytes).write(to: URL(fileURLWithPath: unknown))

        #expect(try AudioFile.info(known).lengthKnown)
        let info = try AudioFile.info(unknown)
        #expect(!info.lengthKnown && info.frames == 0 && info.channels == 2 && info.sampleRate == 44100)
        let reference = try AudioFile.read(known).samples
        #expect(try AudioFile.read(unknown).samples == reference)
        let reader = try AudioFileReader(unknown)
        var blocks: [Float] = []
        while true {
            let block = try reader.read(frames: 4096)
            if block.isEmpty { break }
            blocks += block
        }
        #expect(blocks == reference)
        let mono = try AudioLoading.mono(unknown, sampleRate: 22050).samples
        let stated = try AudioLoading.mono(known, sampleRate: 22050).samples
        #expect(stated.count == 15_000 && mono == stated)
    }

    /// The input AudioFramesFuzz found (Fuzz/corpus/audio): a FLAC header with no length and no
    /// decodable audio. A clear error, not a trap.
    @Test func theFuzzersLengthlessFLACIsAClearError() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/corpus/audio/regression-flac-length-unknown.flac").path
        #expect { _ = try AudioLoading.mono(path, sampleRate: 22050) } throws: { "\($0)".contains("holds no samples") }
    }

    /// A file read a block at a time (`file`, for recordings of any length) gives the samples a
    /// whole-file read gives, whatever the block size, as many as the rates promise.
    @Test(arguments: [777, 4096, 1 << 16])
    func readingInBlocksGivesTheWholeFilesSamples(blockFrames: Int) throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let frames = 110_250   // 2.5 s at 44.1 kHz, stereo
        var interleaved = [Float](repeating: 0, count: frames * 2)
        for i in 0..<frames {
            interleaved[2 * i] = Float(0.4 * sin(2 * Double.pi * 440 * Double(i) / 44100))
            interleaved[2 * i + 1] = Float(0.2 * sin(2 * Double.pi * 660 * Double(i) / 44100))
        }
        let path = dir.appendingPathComponent("stereo.wav").path
        try AudioFile.write(AudioBuffer(samples: interleaved, sampleRate: 44100, channels: 2), to: path, format: .wavFloat)
        var blocks: [Float] = []
        try AudioLoading.stream(path, sampleRate: 22050, blockFrames: blockFrames) { blocks.append(contentsOf: $0) }
        let whole = try AudioLoading.mono(path, sampleRate: 22050).samples
        #expect(whole.count == 55_125 && blocks.count == whole.count)
        let worst = zip(blocks, whole).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-6, "largest difference \(worst)")
    }

    @Test func writingToAMissingFolderFailsClearly() {
        let buffer = AudioBuffer(samples: [0, 0.5], sampleRate: 22050, channels: 1)
        #expect { try AudioFile.write(buffer, to: "/nonexistent/dir/x.wav", format: .wavPCM16) } throws: { error in
            "\(error)".contains("cannot write audio file '/nonexistent/dir/x.wav'")
        }
    }

    @Test func downmixAveragesChannels() {
        #expect(downmixToMono([1, 0, 0.5, 0.5, -1, 1], channels: 2) == [0.5, 0.5, 0])
        #expect(downmixToMono([0.25, 0.5], channels: 1) == [0.25, 0.5])
    }

    @Test func resamplingKeepsPitchAndDuration() throws {
        let sourceRate = 44100, targetRate = 22050, frequency = 440.0
        let input = (0..<sourceRate).map { Float(sin(2 * Double.pi * frequency * Double($0) / Double(sourceRate))) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("resample-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("a.wav").path
        try AudioFile.write(AudioBuffer(samples: input, sampleRate: sourceRate, channels: 1), to: path, format: .wavFloat)
        let output = try AudioLoading.mono(path, sampleRate: targetRate).samples
        #expect(output.count == targetRate)
        // Compare with the ideal sine at the new rate, away from the filter's edges.
        let ideal = (0..<targetRate).map { Float(sin(2 * Double.pi * frequency * Double($0) / Double(targetRate))) }
        let worst = (1000..<(targetRate - 1000)).map { abs(output[$0] - ideal[$0]) }.max()!
        #expect(worst < 1e-3, "largest deviation from the ideal sine: \(worst)")
    }

    /// Both converters, fed in capture-sized pieces: in time (no delay left in the output), at the
    /// right pitch, and - for files, whose length AudioLoading promises - every sample out with
    /// the flush (libsamplerate's flush leaves the last ~2 ms, which capture, never ending, does
    /// not miss).
    @Test(arguments: [ResamplingMode.wholeFile, .lowLatency])
    func bothConvertersKeepPitchAndTimeInPieces(mode: ResamplingMode) throws {
        let sourceRate = 48000, targetRate = 22050, frequency = 440.0, piece = 480
        let input = (0..<sourceRate).map { Float(sin(2 * Double.pi * frequency * Double($0) / Double(sourceRate))) }
        let resampler = try StreamingResampler(from: sourceRate, to: targetRate, maximumInput: piece, mode: mode)
        var output: [Float] = []
        input.withUnsafeBufferPointer { all in
            for start in stride(from: 0, to: all.count, by: piece) {
                output += resampler.process(UnsafeBufferPointer(rebasing: all[start..<min(start + piece, all.count)]))
            }
        }
        while true {
            let tail = resampler.flush()
            if tail.isEmpty { break }
            output += tail
        }
        #expect(abs(output.count - targetRate) <= (mode == .wholeFile ? 2 : 64), "\(output.count) samples for one second at \(targetRate) Hz")
        let ideal = (0..<targetRate).map { Float(sin(2 * Double.pi * frequency * Double($0) / Double(targetRate))) }
        let worst = (1000..<(targetRate - 1000)).map { abs(output[$0] - ideal[$0]) }.max()!
        #expect(worst < 1e-3, "largest deviation from the ideal sine: \(worst)")
    }

    @Test func resamplingRejectsNonsenseRates() {
        #expect(throws: ResamplerError.self) { try StreamingResampler(from: 0, to: 22050, maximumInput: 16, mode: .wholeFile) }
    }
}

/// The seeded generator of the Model module, under the name these tests use.
typealias SplitMix64 = SeededGenerator

func le32(_ v: UInt32) -> Data { withUnsafeBytes(of: v.littleEndian) { Data($0) } }
func le16(_ v: UInt16) -> Data { withUnsafeBytes(of: v.littleEndian) { Data($0) } }

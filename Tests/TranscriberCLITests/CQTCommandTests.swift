// `transcriber cqt` as a user runs it: any rate and channel count in, the model's frames out.
import AudioIO
import Foundation
import Model
import StreamingCQT
import Testing

@Suite struct CQTCommandTests {
    @Test func stereo44kToneGivesItsNoteAtTheModelRate() throws {
        let dir = cliScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rate = 44100, seconds = 2.0
        let frequency = 440.0
        var samples: [Float] = []
        for i in 0..<Int(Double(rate) * seconds) {
            let v = Float(0.4 * sin(2 * Double.pi * frequency * Double(i) / Double(rate)))
            samples += [v, v * 0.5]
        }
        let wav = dir.appendingPathComponent("a4.wav").path
        try AudioFile.write(AudioBuffer(samples: samples, sampleRate: rate, channels: 2), to: wav, format: .wavPCM16)
        let out = dir.appendingPathComponent("a4.safetensors").path
        let result = try runTranscriber(["cqt", wav, "-o", out])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let file = try SafeTensorsFile.read(out)
        let frames = 44100 / 512 + 1   // 2 s at 22050 Hz
        #expect(file.info("cqt")?.shape == [frames, 352])
        let settings = try CQTSettings(metadata: file.metadata)
        #expect(settings == CQTSettings())
        #expect(file.metadata["source_sample_rate"] == "44100" && file.metadata["source_channels"] == "2")
        let values = try file.floats("cqt")
        let middle = Array(values[(60 * 352)..<(61 * 352)])
        let notes = stride(from: 0, to: 352, by: 4).map { middle[$0..<($0 + 4)].max()! }
        #expect(notes.indices.max { notes[$0] < notes[$1] }! + 21 == 69)
    }

    @Test func unreadableFileFailsClearlyAndWritesNothing() throws {
        let dir = cliScratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("x.safetensors").path
        let result = try runTranscriber(["cqt", dir.appendingPathComponent("missing.wav").path, "-o", out])
        #expect(result.status != 0)
        #expect(result.stderr.contains("no such file"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func badSettingsAreExplained() throws {
        let result = try runTranscriber(["cqt", "/dev/null", "-o", "/tmp/never.safetensors", "--hop-length", "500"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("must be a multiple of 256"))
    }
}

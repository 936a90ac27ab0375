// Preprocess meets broken files: each is reported with its reason, no other file's work is lost,
// and a second run resumes without redoing what is finished.
import AudioIO
import Foundation
import Pipeline
import Testing
import TestSupport
@testable import Trainer

@Suite struct PreprocessTests {
    @Test func brokenRecordingsAreReportedAndTheRestGoOn() throws {
        let root = scratchFolder("trainer")
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data")
        try TinyCorpus.make(root: data, count: 7, seconds: 2, seed: 3)
        let labels = data.appendingPathComponent("train_labels"), audio = data.appendingPathComponent("train_data")
        // 100: a wav with no CSV; 101: a CSV with a missing column; 102: end before start;
        // 103: a truncated wav; 104 and 105 are fine; 106: a float wav with a NaN; 999: labels with no audio.
        try FileManager.default.removeItem(at: labels.appendingPathComponent("train100.csv"))
        try "start_time,instrument,note\n0,1,60\n".write(to: labels.appendingPathComponent("train101.csv"), atomically: true, encoding: .utf8)
        try (LabelCSV.header + "\n5000,100,1,60,0,0,q\n").write(to: labels.appendingPathComponent("train102.csv"), atomically: true, encoding: .utf8)
        let wav = try Data(contentsOf: audio.appendingPathComponent("train103.wav"))
        try wav.prefix(wav.count / 2).write(to: audio.appendingPathComponent("train103.wav"))
        try (LabelCSV.header + "\n").write(to: labels.appendingPathComponent("train999.csv"), atomically: true, encoding: .utf8)
        var withNaN = try AudioFile.read(audio.appendingPathComponent("train106.wav").path)
        withNaN.samples[withNaN.samples.count / 2] = .nan
        try AudioFile.write(withNaN, to: audio.appendingPathComponent("train106.wav").path, format: .wavFloat)

        var options = PreprocessOptions(data: data.path, output: root.appendingPathComponent("out").path)
        options.windowsPerRecording = 0
        let report = try Preprocess.run(options)
        #expect(Set(report.written) == ["train104", "train105"])
        let reasons = report.skipped.joined(separator: "\n")
        #expect(reasons.contains("train100.wav: no labels"))
        #expect(reasons.contains("train101.csv:1: the header has no 'end_time' column"))
        #expect(reasons.contains("train102.csv:2: end_time 100 is not after start_time 5000"))
        #expect(reasons.contains("train103.wav") && reasons.contains("truncated"))
        #expect(reasons.contains("train999.csv: no audio"))
        #expect(reasons.contains("train106.wav") && reasons.contains("NaN or infinite"))
        #expect(report.skipped.count == 6, "\(reasons)")

        // Resume: finished files are kept and not redone.
        let again = try Preprocess.run(options)
        #expect(again.written.isEmpty && Set(again.alreadyDone) == ["train104", "train105"])
        // Nothing half-written is left behind.
        let left = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("out/train").path)
        #expect(left.sorted() == ["train104.safetensors", "train105.safetensors"])
    }

    @Test func anEmptySplitIsAClearError() throws {
        let root = scratchFolder("trainer")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("train_data"), withIntermediateDirectories: true)
        #expect { try Preprocess.run(PreprocessOptions(data: root.path, output: root.appendingPathComponent("o").path)) }
            throws: { "\($0)".contains("has no audio file with labels") }
        #expect { try Preprocess.run(PreprocessOptions(data: "/nonexistent", output: "/tmp/o")) }
            throws: { "\($0)".contains("no folder '/nonexistent/train_data'") }
    }

    @Test func changedSettingsAreRedoneNotReused() throws {
        let root = scratchFolder("trainer")
        defer { try? FileManager.default.removeItem(at: root) }
        try TinyCorpus.make(root: root.appendingPathComponent("data"), count: 1, seconds: 2, seed: 4)
        var options = PreprocessOptions(data: root.appendingPathComponent("data").path, output: root.appendingPathComponent("out").path)
        #expect(try Preprocess.run(options).written.count == 1)
        options.windowsPerRecording = 0
        #expect(try Preprocess.run(options).written.count == 1)
    }
}

// `transcriber preprocess` on corpora that are not whole: a train-only folder, a test folder
// whose audio has no labels.
import Foundation
import Testing
import Trainer

@Suite struct PreprocessCommandTests {
    /// `--split both` (the default) on a corpus with an empty test_data writes the train windows
    /// and succeeds with a note; a test_data whose audio lacks labels is still an error that
    /// names the file.
    @Test func aTrainOnlyCorpusIsPreprocessedWithANote() throws {
        let root = cliScratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data"), out = root.appendingPathComponent("chunks")
        let ids = try SyntheticCorpus.make(root: data, count: 2, seconds: 3, seed: 12)
        try FileManager.default.createDirectory(at: data.appendingPathComponent("test_data"), withIntermediateDirectories: true)
        let result = try runTranscriber(["preprocess", "--data", data.path, "--out", out.path, "--n-batches", "0"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("only the train split was preprocessed"), "\(result.stderr)")
        #expect(Set(files(in: out.appendingPathComponent("train"))) == Set(ids.map { "\($0).safetensors" }))

        let stray = data.appendingPathComponent("test_data/test1.wav")
        try FileManager.default.copyItem(at: data.appendingPathComponent("train_data/\(ids[0]).wav"), to: stray)
        let unlabelled = try runTranscriber(["preprocess", "--data", data.path, "--out", out.path, "--n-batches", "0"])
        #expect(unlabelled.status != 0)
        #expect(unlabelled.stderr.contains("test1.wav: no labels"), "\(unlabelled.stderr)")
    }
}

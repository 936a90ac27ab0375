// TrainerBenchmarks: preprocessing throughput, and training speed with the data loader's waits.
import Foundation
import Model
import Trainer

public enum TrainerBenchmarks {
    /// Preprocess and train on a synthetic corpus written to a scratch folder (removed after).
    public static func rows(threads: Int, workers: Int, recordings: Int = 8, seconds: Double = 30) throws -> [BenchmarkRow] {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("bench-trainer-\(getpid())")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let data = scratch.appendingPathComponent("data")
        try SyntheticCorpus.make(root: data, count: recordings, seconds: seconds, seed: 1, pitches: Array(36...96), voices: 3)
        let input = "\(recordings) synthetic recordings of \(Int(seconds)) s (half 44.1 kHz stereo, half 22.05 kHz mono)"
        var rows: [BenchmarkRow] = []

        var options = PreprocessOptions(data: data.path, output: scratch.appendingPathComponent("chunks").path)
        options.windowsPerRecording = 0
        options.workers = workers
        let report = try Preprocess.run(options)
        let perWorker = report.audioSeconds / report.elapsed / Double(workers)
        rows.append(BenchmarkRow(name: "preprocess", value: perWorker, unit: "x real time", threads: workers,
                                 input: input + ", every window kept", runs: 1,
                                 note: String(format: "per worker; %.0fx with %d workers (decode, resample, CQT, rolls, write)",
                                              report.audioSeconds / report.elapsed, workers)))

        var training = TrainingOptions(data: scratch.appendingPathComponent("chunks").path,
                                       runDirectory: scratch.appendingPathComponent("run").path)
        training.epochs = 2
        training.threads = threads
        training.validationFraction = 0
        let run = try TrainingRun(training)
        try run.run()
        let epoch = run.history.last!
        rows.append(BenchmarkRow(name: "train.epoch.b8", value: epoch.windowsPerSecond, unit: "windows/s", threads: threads,
                                 input: "default model, batch 8, \(run.train.count) windows from disk, second epoch", runs: 1,
                                 note: String(format: "the step waited %.3f s for data in a %.1f s epoch (%.2f%%)",
                                              epoch.dataWaitSeconds, epoch.seconds, 100 * epoch.dataWaitSeconds / epoch.seconds)))
        rows.append(BenchmarkRow(name: "train.loader.wait", value: 100 * epoch.dataWaitSeconds / epoch.seconds, unit: "% of epoch",
                                 threads: threads, input: "as train.epoch.b8", runs: 1))
        return rows
    }

    /// Peak resident memory of this process so far (VmHWM), in MiB.
    public static func peakMemoryMiB() -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kb / 1024
    }
}

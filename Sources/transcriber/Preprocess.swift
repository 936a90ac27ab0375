// `transcriber preprocess`: MusicNet-layout audio and labels into CQT windows with target rolls.
import ArgumentParser
import Foundation
import StreamingCQT
import Trainer

struct PreprocessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preprocess",
        abstract: "Turn a MusicNet-layout folder into CQT windows and note targets for training.",
        discussion: """
            Reads DATA/{split}_data/*.wav with DATA/{split}_labels/*.csv (or the labels in --labels: \
            MusicNetEM's ID.mid, or ID.csv) and writes OUT/{split}/ID.safetensors per recording. Resumable: recordings already done with the \
            same settings are skipped; files are written whole or not at all. A broken recording is \
            reported (file and line) and the others go on.
            """)

    @Option(help: "The MusicNet-layout folder.") var data: String
    @Option(help: "Where the windows go.") var out: String
    @Option(help: "train, test, or both.") var split: String = "both"
    @Option(help: "Recordings processed in parallel.") var numWorkers: Int = 2
    @Option(help: "Window length in seconds.") var batchSeconds: Double = 1
    @Option(help: "Windows kept per recording (0 = every window).") var nBatches: Int = 60
    @Flag(help: "Targets are the 12 pitch classes instead of the 88 keys.") var onlyNoteNames = false
    @Option(help: "Seed for choosing windows.") var seed: UInt64 = 0
    @Option(help: "Labels from this folder instead of {split}_labels: ID.mid (MusicNetEM's realigned labels) or ID.csv.")
    var labels: String?
    @OptionGroup var cqt: CQTOptions

    func validate() throws {
        guard ["train", "test", "both"].contains(split) else { throw ValidationError("--split is train, test or both") }
        guard numWorkers >= 1 else { throw ValidationError("--num-workers must be at least 1") }
        guard batchSeconds > 0 else { throw ValidationError("--batch-seconds must be positive") }
        guard nBatches >= 0 else { throw ValidationError("--n-batches must be 0 (all) or more") }
    }

    func run() throws {
        Interrupt.install()
        let group = try Cluster.group()
        defer { Cluster.finish(group) }
        var failed = false
        for split in split == "both" ? ["train", "test"] : [split] {
            var options = PreprocessOptions(data: data, output: out)
            options.split = split
            options.cqt = cqt.settings
            options.windowSeconds = batchSeconds
            options.windowsPerRecording = nBatches
            options.onlyNoteNames = onlyNoteNames
            options.workers = numWorkers
            options.seed = seed
            options.labels = labels
            options.shard = Shard(index: group.rank, count: group.size)
            // `--split both` on a train-only corpus (no test_data, or an empty one) is not a
            // failure: the train windows are written and good. A test folder with audio but no
            // labels still is (the layout says which files lack what).
            let testData = (data as NSString).appendingPathComponent("test_data")
            if split == "test" && self.split == "both" && !Self.holdsAudio(testData) {
                printError("no test recordings in '\(data)' (test_data is missing or holds no audio): only the train split was preprocessed")
                continue
            }
            let bar = ProgressBar()
            let primary = group.isPrimary, share = group.size > 1 ? " (rank 0's share)" : ""
            let report = try Trainer.Preprocess.run(options, stop: { Interrupt.isRequested }) { p in
                guard primary else { return }
                let rate = p.audioSeconds / max(p.elapsed, 1e-9)
                let left = p.filesDone > 0 ? p.elapsed / Double(p.filesDone) * Double(p.filesTotal - p.filesDone) : .nan
                bar.update(Double(p.filesDone) / Double(max(p.filesTotal, 1)),
                           String(format: "%@ %d/%d files%@, %.2f h of audio, %.0fx real time, ETA %@", split, p.filesDone,
                                  p.filesTotal, share, p.audioSeconds / 3600, rate, formatDuration(left)))
            }
            if primary { bar.finish() }
            // Every process's counts, summed (each reports its own skipped recordings).
            var totals = [Double(report.written.count), Double(report.alreadyDone.count), Double(report.skipped.count),
                          report.audioSeconds, Interrupt.isRequested ? 1 : 0]
            try totals.withUnsafeMutableBufferPointer { try group.sum($0.baseAddress!, count: $0.count) }
            let prefix = group.size > 1 ? "rank \(group.rank): " : ""
            for line in report.skipped { printError("  \(prefix)skipped \(line)") }
            if primary {
                printError(String(format: "%@: %d written, %d already done, %d skipped; %.2f h of audio in %@%@", split,
                                  Int(totals[0]), Int(totals[1]), Int(totals[2]), totals[3] / 3600, formatDuration(report.elapsed),
                                  group.size > 1 ? " (\(group.size) processes)" : ""))
            }
            if totals[4] > 0 {
                throw UserError("interrupted: the recordings finished so far are kept; run the same command to resume")
            }
            failed = failed || (totals[0] == 0 && totals[1] == 0)
        }
        if failed { throw UserError("no recording could be preprocessed; see the reasons above") }
    }

    /// Whether `folder` exists and holds at least one audio file.
    static func holdsAudio(_ folder: String) -> Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.contains { MusicNetLayout.audioExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
    }
}

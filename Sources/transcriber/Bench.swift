// `transcriber bench`: the performance measurements, as a table and optionally JSON.
import ArgumentParser
import Benchmarks
import Foundation
import Model
import Pipeline

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure speed (release builds only): CQT, model, trainer and the live path.",
        discussion: "Each row is the median of several runs and names its thread count and input. Compare ratios within one run.")

    @Option(help: "Write the rows as JSON to this file.")
    var json: String?

    @Option(help: "OpenBLAS threads for the model rows.")
    var threads: Int = 1

    @Option(help: "Timed runs per row (the median is reported).")
    var runs: Int = 5

    @Option(help: "Run only the rows whose name starts with this (e.g. model.train).")
    var only: String?

    @Flag(help: "The model rows with onset and velocity heads, as the bundled weights have them (default: the frame head only).")
    var heads = false

    @Option(help: "Frames between network windows in the latency rows (live's default).") var stride: Int = EngineSettings.live.stride
    @Option(help: "Look-ahead frames in the latency rows (live's default).") var lookahead: Int = EngineSettings.liveLookahead
    @Option(help: "The weights the latency rows listen with (default: the bundled weights).")
    var weights: String?

    @Option(help: "Minutes of synthetic audio for the preprocess and training rows (and their peak memory).")
    var corpusMinutes: Double = 4

    @Option(help: "Variable-Q offset in Hz for the CQT rows (0: constant Q): what shorter low filters cost and save.")
    var gamma: Double = 0

    func validate() throws {
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if runs < 1 { throw ValidationError("--runs must be at least 1") }
        if !(gamma >= 0 && gamma.isFinite) { throw ValidationError("--gamma must be zero or a positive number of Hz") }
    }

    func run() throws {
        #if DEBUG
        printError("warning: this is a debug build; timings mean little. Build with `swift build -c release`.")
        #endif
        printError("OpenBLAS kernels: \(BLASKernels.current); threads at start: \(BLASThreads.current)")
        var rows: [BenchmarkRow] = []
        func report(_ new: [BenchmarkRow]) {
            for row in new {
                print(String(format: "%-18@ %12.3f %-10@ threads=%d  %@%@", row.name, row.value, row.unit, row.threads,
                             row.input, row.note.map { "  [\($0)]" } ?? ""))
            }
            rows += new
        }
        let include = { (name: String) in only.map { name.hasPrefix($0) || $0.hasPrefix(name) } ?? true }
        if include("cqt") { report(try CQTBenchmarks.rows(runs: runs, gamma: gamma)) }
        let ceiling = ModelBenchmarks.sgemmCeiling(threads: threads, runs: runs)
        report([ceiling])
        report(try ModelBenchmarks.network(config: ModelConfig(onsetHead: heads, velocityHead: heads), frames: 43,
                                           threads: threads, runs: runs,
                                           ceiling: ceiling.value, include: include))
        if include("preprocess") || include("train") {
            let recordings = max(2, Int((corpusMinutes * 2).rounded()))
            report(try TrainerBenchmarks.rows(threads: threads, workers: max(threads, 2), recordings: recordings, seconds: 30))
            if let peak = TrainerBenchmarks.peakMemoryMiB() {
                report([BenchmarkRow(name: "memory.peak", value: peak, unit: "MiB", threads: threads,
                                     input: "this bench process after preprocess and 2 training epochs on \(recordings / 2) min of audio",
                                     runs: 1)])
            }
        }
        if include("file") || include("live") {
            // Latency needs a model that hears notes: the bundled weights (or --weights).
            let heard = weights ?? defaultWeightsPath()
            if !FileManager.default.fileExists(atPath: heard) {
                printError("live.latency: no weights at '\(heard)' to hear the notes with; pass --weights for the latency rows")
            }
            report(try LiveBenchmarks.rows(threads: threads, trainedModel: (heard, weights == nil ? "default weights" : heard),
                                           latencySettings: EngineSettings(stride: stride, lookahead: lookahead)))
        }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            do { try encoder.encode(rows).write(to: URL(fileURLWithPath: json)) } catch {
                throw UserError("cannot write '\(json)': \(error.localizedDescription)")
            }
        }
    }
}

// `transcriber live`, `replay` and `file`: audio in, notes out, on the terminal and into files.
import ArgumentParser
import AudioIO
import Foundation
import LiveCapture
import Model
import Pipeline
import Synchronization
import Transcription

/// What every transcribing command shares: the weights, the outputs, the pace of inference.
struct TranscriptionOptions: ParsableArguments {
    @Option(help: "The weights file (default: the bundled Models/default.safetensors).") var weights: String?
    @Option(help: "Write the notes to this Standard MIDI File (flushed every 5 s and at the end).") var midi: String?
    @Option(help: "Write note events (onset, offset, pitch, name, confidence) as CSV here.") var csv: String?
    @Option(help: "Write note events as JSON lines here.") var jsonl: String?
    @Flag(help: "Send the notes to an ALSA sequencer port a synth or DAW can connect to.") var midiPort = false
    @Option(help: "Cores for the network.") var threads: Int = 1
    @Flag(help: "Print nothing but errors and the summary.") var quiet = false
    @Option(help: "Seconds of audio the capture ring holds before it drops (live and replay).") var bufferSeconds: Double = 4
    @Option(help: ArgumentHelp("Seconds of audio the transcriber may fall behind before it skips network windows to catch up "
                               + "(live and replay).", discussion: "Larger keeps every window on a busy machine, at the cost of latency."))
    var maxLag: Double = 0.25
    @Option(help: "notes (a line each time the sounding notes change) or roll (a scrolling piano roll, in colour on a terminal).")
    var view: String = "notes"
    @OptionGroup(title: "Note decoding") var decoding: DecodingOptions

    func validate() throws {
        guard ["notes", "roll"].contains(view) else { throw ValidationError("--view is notes or roll") }
        guard bufferSeconds > 0, maxLag >= 0 else { throw ValidationError("--buffer-seconds must be positive and --max-lag not negative") }
        guard maxLag < bufferSeconds else {
            throw ValidationError("--max-lag (\(maxLag) s) must be less than --buffer-seconds (\(bufferSeconds) s): the ring holds the lag")
        }
    }

    /// The transcription engine for the weights asked for (or the bundled ones), with `settings`.
    func engine(_ settings: EngineSettings) throws -> TranscriptionEngine { try engineMaker(settings)() }

    /// Makes such engines, each with a network of its own (one per worker of a batch).
    func engineMaker(_ settings: EngineSettings) throws -> @Sendable () throws -> TranscriptionEngine {
        let path = weights ?? defaultWeightsPath()
        guard FileManager.default.fileExists(atPath: path) else {
            throw UserError(weights == nil
                ? "no --weights given and the bundled weights (\(path)) are not there; train some with `transcriber train` "
                  + "and pass --weights RUN/weights.safetensors"
                : "weights file '\(path)' does not exist")
        }
        let (decoding, threads) = (decoding, threads)
        return {
            let loaded = try Weights.load(path)
            var settings = settings
            settings.decoder = decoding.settings(frameSeconds: 1 / loaded.description.data.frontEnd.frameRate)
            return try TranscriptionEngine(weights: loaded, threads: threads, settings: settings)
        }
    }

    /// Opens every requested output; a path that cannot be written fails here, before any audio.
    func sinks() throws -> [NoteSink] {
        var sinks: [NoteSink] = []
        if !quiet { sinks.append(view == "roll" ? PianoRollView() : TerminalView()) }
        if let midi { sinks.append(try MIDIFileWriter(path: midi)) }
        if let csv { sinks.append(try EventFileWriter(path: csv, format: .csv)) }
        if let jsonl { sinks.append(try EventFileWriter(path: jsonl, format: .jsonl)) }
        if midiPort { sinks.append(try MIDIPort()) }
        return sinks
    }
}

/// Runs a live session from `source` and prints its summary.
func runSession(source: AudioSource, engine: TranscriptionEngine, options: TranscriptionOptions) throws {
    for sink in try options.sinks() { engine.add(sink) }
    Interrupt.install()
    let session = LiveSession(engine: engine, source: source, ringSeconds: options.bufferSeconds,
                              maximumBacklogSeconds: options.maxLag)
    let summary = try session.run(stop: { Interrupt.isRequested })
    printError(summary.text)
}

struct Live: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Listen to a capture device and print the notes being played, as they sound.")

    @Option(help: "The ALSA capture device (see `transcriber devices`).") var device: String = "default"
    @Option(help: "Frames between network windows (each frame is 23 ms).") var stride: Int = EngineSettings.live.stride
    @Option(help: "Frames of audio after a frame before it is decoded: each adds 23 ms of latency and accuracy (README).")
    var lookahead: Int = EngineSettings.liveLookahead
    @OptionGroup var options: TranscriptionOptions

    func run() throws {
        let engine = try options.engine(EngineSettings(stride: stride, lookahead: lookahead))
        let source = try ALSASource(device: device, sampleRate: engine.sampleRate)
        if !options.quiet {
            printError("listening on '\(device)' (\(source.device.format.sampleRate) Hz, \(source.device.format.channels) channel(s), "
                + "\(source.device.format.sampleFormat.rawValue)); Ctrl-C to stop")
        }
        try runSession(source: source, engine: engine, options: options)
    }
}

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Play a recording through the live path at real-time pace and print its notes as they sound.")

    @Argument(help: "An audio file (WAV, FLAC, OGG, AIFF, ...).") var file: String
    @Option(help: "Pace relative to real time (2 = twice as fast).") var speed: Double = 1
    @Option(help: "Frames between network windows (each frame is 23 ms).") var stride: Int = EngineSettings.live.stride
    @Option(help: "Frames of audio after a frame before it is decoded: each adds 23 ms of latency and accuracy (README).")
    var lookahead: Int = EngineSettings.liveLookahead
    @OptionGroup var options: TranscriptionOptions

    func validate() throws { guard speed > 0 else { throw ValidationError("--speed must be positive") } }

    func run() throws {
        let engine = try options.engine(EngineSettings(stride: stride, lookahead: lookahead))
        let source = try MemorySource(file: file, sampleRate: engine.sampleRate, speed: speed)
        try runSession(source: source, engine: engine, options: options)
    }
}

struct File: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "file",
        abstract: "Transcribe recordings as fast as possible (to the terminal, MIDI, CSV or JSON lines).",
        discussion: """
            The same engine as live and replay, fed the whole recording a block at a time. Latency \
            does not matter here, so by default each frame is the mean of every window over it (a \
            window every 11 frames: four per frame), which is more accurate than any one window. \
            With --lookahead, frames are decoded as live and replay decode them, and with the same \
            --stride and --lookahead the three give the same notes.

            Several files: `transcriber file A.wav B.flac ... --out-dir DIR` writes DIR/A.mid and \
            DIR/A.csv for each, --jobs files at once (one per core by default); a file that cannot be \
            transcribed is reported and the others go on.
            """)

    @Argument(help: "Audio files (WAV, FLAC, OGG, AIFF, ...); more than one needs --out-dir.") var files: [String]
    @Option(help: "Write NAME.mid and NAME.csv here for each input NAME.ext.") var outDir: String?
    @Option(help: "With --out-dir: files transcribed at once, each on a core of its own (default: one per core).")
    var jobs: Int?
    @Option(help: "Frames between network windows.") var stride: Int = EngineSettings.file.stride
    @Option(help: "Decode each frame from the first window with this many frames of audio after it, as live does (default: the mean of every window over it).")
    var lookahead: Int?
    @Option(help: overlapHelp) var overlap: OverlapWeighting = EngineSettings.file.overlap
    @OptionGroup var options: TranscriptionOptions

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give an audio file to transcribe") }
        try validateOverlap(overlap, lookahead: lookahead)
        guard files.count == 1 || outDir != nil else {
            throw ValidationError("\(files.count) files: give --out-dir DIR, where each gets its NAME.mid and NAME.csv")
        }
        if outDir != nil {
            guard options.midi == nil, options.csv == nil, options.jsonl == nil, !options.midiPort else {
                throw ValidationError("--out-dir writes NAME.mid and NAME.csv for each file; leave out --midi, --csv, --jsonl and --midi-port")
            }
            var seen: [String: String] = [:]
            for file in files {
                let name = File.outputName(file)
                if let other = seen[name] {
                    throw ValidationError("'\(other)' and '\(file)' would both be written as \(name).mid: transcribe them into different --out-dir folders")
                }
                seen[name] = file
            }
        } else if jobs != nil {
            throw ValidationError("--jobs is for several files with --out-dir")
        }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    /// An input's name without folder and extension: what its outputs are called.
    static func outputName(_ file: String) -> String {
        (URL(fileURLWithPath: file).lastPathComponent as NSString).deletingPathExtension
    }

    var settings: EngineSettings {
        EngineSettings(stride: stride, lookahead: lookahead, windowBatch: EngineSettings.fileWindowBatch, overlap: overlap)
    }

    func run() throws {
        if let outDir { return try runBatch(into: outDir) }
        let file = files[0]
        let engine = try options.engine(settings)
        _ = try AudioFileReader(file)   // unreadable, empty or truncated: fail before any output exists
        for sink in try options.sinks() { engine.add(sink) }
        let start = Date()
        let seconds = try File.transcribe(file, with: engine)
        let elapsed = Date().timeIntervalSince(start)
        printError(String(format: "%.1f s of audio, %d notes, in %.2f s (%.0fx real time)", seconds, engine.notesEmitted,
                          elapsed, seconds / elapsed))
    }

    /// Streams `file` through `engine`, a block at a time (a recording of hours needs no more
    /// memory than one of seconds); the seconds of audio.
    static func transcribe(_ file: String, with engine: TranscriptionEngine) throws -> Double {
        var count = 0
        try AudioLoading.stream(file, sampleRate: engine.sampleRate) { block in
            try engine.push(block)
            count += block.count
        }
        try engine.finish()
        return Double(count) / Double(engine.sampleRate)
    }

    /// Bytes on disk, 0 when unknown (the file's own error comes when it is transcribed).
    private func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    /// Every file into `folder`, `jobs` at a time, each worker with an engine of its own; a file
    /// that fails is reported (its partial outputs removed) and the others go on. Ctrl-C stops
    /// after the files being transcribed.
    func runBatch(into folder: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw UserError("cannot create --out-dir '\(folder)': \(error.localizedDescription)")
        }
        let makeEngine = try options.engineMaker(settings)
        _ = try makeEngine()   // bad weights or settings: fail before any file
        let workers = min(jobs ?? ProcessInfo.processInfo.activeProcessorCount, files.count)
        struct Progress { var next = 0, done = 0, written = 0, notes = 0, seconds = 0.0, failures: [String] = [] }
        let progress = Mutex(Progress()), bar = ProgressBar(), files = self.files
        // Largest files first: the workers then finish together instead of one transcribing the
        // last long file while the others wait (sizes on disk stand in for durations).
        let sizes = files.map(fileSize)
        let order = files.indices.sorted { sizes[$0] > sizes[$1] }
        Interrupt.install()
        let start = Date()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let engine: TranscriptionEngine
            do { engine = try makeEngine() } catch {
                progress.withLock { $0.failures.append("a worker could not start: \(error)") }
                return
            }
            while !Interrupt.isRequested, let index = progress.withLock({ p -> Int? in
                guard p.next < files.count else { return nil }
                p.next += 1
                return order[p.next - 1]
            }) {
                let file = files[index], name = File.outputName(file)
                let midi = (folder as NSString).appendingPathComponent(name + ".mid")
                let csv = (folder as NSString).appendingPathComponent(name + ".csv")
                var report: (notes: Int, seconds: Double)?
                var failure: String?
                do {
                    _ = try AudioFileReader(file)
                    engine.reset()
                    engine.removeSinks()
                    engine.add(try MIDIFileWriter(path: midi))
                    engine.add(try EventFileWriter(path: csv, format: .csv))
                    let seconds = try File.transcribe(file, with: engine)
                    report = (engine.notesEmitted, seconds)
                } catch {
                    engine.removeSinks()
                    for path in [midi, csv] { try? FileManager.default.removeItem(atPath: path) }
                    failure = "\(file): \(error)"
                }
                let (fraction, line) = progress.withLock { p -> (Double, String) in
                    p.done += 1
                    if let report { p.written += 1; p.notes += report.notes; p.seconds += report.seconds }
                    if let failure { p.failures.append(failure) }
                    return (Double(p.done) / Double(files.count),
                            "\(p.done)/\(files.count) files, \(p.notes) notes, \(String(format: "%.0f", p.seconds)) s of audio")
                }
                if let failure { printError("failed: \(failure) (the other files go on)") }
                bar.update(fraction, line, force: failure != nil)
            }
        }
        bar.finish()
        let result = progress.withLock { $0 }
        let elapsed = Date().timeIntervalSince(start)
        printError(String(format: "%d of %d files written to %@ (%.1f s of audio, %d notes) in %.2f s (%.0fx real time, %d at once)",
                          result.written, files.count, folder, result.seconds, result.notes, elapsed, result.seconds / elapsed, workers))
        var problems = result.failures
        if result.done < files.count {
            problems.append("\(files.count - result.done) files were not transcribed"
                            + (Interrupt.isRequested ? " (interrupted; the written ones are complete)" : ""))
        }
        if !problems.isEmpty {
            throw UserError("\(files.count - result.written) of \(files.count) files were not written:\n  " + problems.joined(separator: "\n  "))
        }
    }
}

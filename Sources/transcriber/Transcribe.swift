// `transcriber live`, `replay` and `file`: audio in, notes out, on the terminal and into files.
import ArgumentParser
import AudioIO
import Foundation
import LiveCapture
import Model
import Pipeline
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
    func engine(_ settings: EngineSettings) throws -> TranscriptionEngine {
        let path = weights ?? defaultWeightsPath()
        guard FileManager.default.fileExists(atPath: path) else {
            throw UserError(weights == nil
                ? "no --weights given and the bundled weights (\(path)) are not there; train some with `transcriber train` "
                  + "and pass --weights RUN/weights.safetensors"
                : "weights file '\(path)' does not exist")
        }
        let loaded = try Weights.load(path)
        var settings = settings
        settings.decoder = decoding.settings(frameSeconds: 1 / loaded.description.data.frontEnd.frameRate)
        return try TranscriptionEngine(weights: loaded, threads: threads, settings: settings)
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
        abstract: "Transcribe a recording as fast as possible (to the terminal, MIDI, CSV or JSON lines).",
        discussion: """
            The same engine as live and replay, fed the whole recording a block at a time. Latency \
            does not matter here, so by default each frame is the mean of every window over it (a \
            window every 11 frames: four per frame), which is more accurate than any one window. \
            With --lookahead, frames are decoded as live and replay decode them, and with the same \
            --stride and --lookahead the three give the same notes.
            """)

    @Argument(help: "An audio file (WAV, FLAC, OGG, AIFF, ...).") var file: String
    @Option(help: "Frames between network windows.") var stride: Int = EngineSettings.file.stride
    @Option(help: "Decode each frame from the first window with this many frames of audio after it, as live does (default: the mean of every window over it).")
    var lookahead: Int?
    @OptionGroup var options: TranscriptionOptions

    func run() throws {
        let engine = try options.engine(EngineSettings(stride: stride, lookahead: lookahead,
                                                       windowBatch: EngineSettings.fileWindowBatch))
        _ = try AudioFileReader(file)   // unreadable, empty or truncated: fail before any output exists
        for sink in try options.sinks() { engine.add(sink) }
        let start = Date()
        // A block at a time: a recording of hours needs no more memory than one of seconds.
        var count = 0
        try AudioLoading.stream(file, sampleRate: engine.sampleRate) { block in
            try engine.push(block)
            count += block.count
        }
        try engine.finish()
        let seconds = Double(count) / Double(engine.sampleRate), elapsed = Date().timeIntervalSince(start)
        printError(String(format: "%.1f s of audio, %d notes, in %.2f s (%.0fx real time)", seconds, engine.notesEmitted,
                          elapsed, seconds / elapsed))
    }
}

// The `transcriber` command line: parses arguments and calls the libraries; no logic of its own.
import ArgumentParser

@main
struct Transcriber: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transcriber",
        abstract: "Real-time polyphonic music transcription: audio in, notes out.",
        subcommands: [Live.self, Replay.self, File.self, Devices.self, PreprocessCommand.self, TrainCommand.self, EvaluateCommand.self, CQT.self, Predict.self, Info.self, Bench.self]
    )
}

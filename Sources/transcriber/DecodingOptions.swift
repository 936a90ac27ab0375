// The note decoder's flags, shared by every command that decodes notes (live, replay, file,
// evaluate), named as basic-pitch's users know them.
import ArgumentParser
import Pipeline

struct DecodingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Onset probability at which a note begins (0-1).",
                               discussion: "For weights without an onset head, the frame probability at which it begins."))
    var onsetThreshold: Float = NoteDecoderSettings().onsetThreshold
    @Option(help: "Frame probability a note must keep to go on sounding (0-1, at most --onset-threshold).")
    var frameThreshold: Float = NoteDecoderSettings().frameThreshold
    @Option(help: ArgumentHelp("With an onset head: the frame probability at which a note begins though no onset was heard (0-1).",
                               discussion: "An attack the onset head missed; 1 leaves every note to the onset head."))
    var frameOnsetThreshold: Float = NoteDecoderSettings().frameOnsetThreshold
    @Option(help: ArgumentHelp("With an onset head: the onset probability at which a sounding note is struck again (0-1).",
                               discussion: "A repeated note; at or below --onset-threshold every onset the head hears splits a sounding note."))
    var restrikeThreshold: Float = NoteDecoderSettings().restrikeThreshold
    @Option(help: "Shortest note kept, in milliseconds (default: two frames, 46 ms at the bundled weights' rate).")
    var minNoteMs: Double?

    func validate() throws {
        do { try settings(frameSeconds: 1).validate() } catch { throw ValidationError("\(error)") }
        if let minNoteMs, !(minNoteMs > 0 && minNoteMs < 60_000) {
            throw ValidationError("--min-note-ms must be above 0 (and below a minute); it is \(minNoteMs)")
        }
    }

    /// The decoder's settings for frames `frameSeconds` long (--min-note-ms rounds up to whole frames).
    func settings(frameSeconds: Double) -> NoteDecoderSettings {
        var settings = NoteDecoderSettings(onsetThreshold: onsetThreshold, frameThreshold: frameThreshold,
                                           frameOnsetThreshold: frameOnsetThreshold, restrikeThreshold: restrikeThreshold)
        if let minNoteMs {
            settings.minimumFrames = max(1, Int((minNoteMs / 1000 / frameSeconds - 1e-9).rounded(.up)))
        }
        return settings
    }
}

extension OverlapWeighting: ExpressibleByArgument {
    /// How the mean is weighted, for reports ("" for flat weights, the plain mean).
    var inWords: String {
        switch self {
        case .flat: ""
        case .triangular: ", each window weighted by how central the frame is in it (triangular)"
        }
    }
}

/// `--overlap` weighs a mean that `--lookahead` replaces (each frame from one window): asked for
/// together, the weights would be ignored without a word.
func validateOverlap(_ overlap: OverlapWeighting, lookahead: Int?) throws {
    if overlap != .flat, lookahead != nil {
        throw ValidationError("--overlap weighs the mean of the windows over a frame, and with --lookahead each frame comes from one window: give one or the other")
    }
}

/// `--overlap`'s help, the same in `file`, `evaluate` and `predict`.
let overlapHelp = ArgumentHelp(
    "Without --lookahead: how a frame's mean weighs the windows over it (flat: alike; triangular: by how central the frame is in each).",
    discussion: "--stride 22 --overlap triangular runs half the windows of the default and keeps most of its notes (docs/PERFORMANCE.md).")

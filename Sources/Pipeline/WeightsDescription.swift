// WeightsDescription: what a weights file's metadata says, typed and checked once - the front
// end, the window, the note space (DataDescription, which chunk files share) and the network.
// Every command reads weights through `Weights.load`, so one parser and one compatibility check
// serve them all.
import Model
import StreamingCQT

public struct WeightsError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// What a network's frames are: the constant-Q front end that makes them, the window the network
/// sees, and the notes its outputs name. Chunk files (`preprocess`) and weights files both carry it.
public struct DataDescription: Sendable, Equatable {
    public var frontEnd: CQTSettings
    /// CQT frames per network window (43 = one second at the defaults).
    public var windowFrames: Int
    public var space: NoteSpace

    /// The window of weights written before `window_frames` was recorded: one second.
    public static let defaultWindowFrames = 43

    public init(frontEnd: CQTSettings, windowFrames: Int = DataDescription.defaultWindowFrames, space: NoteSpace) {
        self.frontEnd = frontEnd
        self.windowFrames = windowFrames
        self.space = space
    }

    /// Reads and checks the metadata keys of MODEL.md (sample_rate, hop_length, ..., window_frames,
    /// n_notes, only_note_names); `what` names the file in errors.
    public init(metadata: [String: String], of what: String) throws(WeightsError) {
        do { frontEnd = try CQTSettings(metadata: metadata) } catch {
            throw WeightsError("'\(what)': \(error.description)")
        }
        if let text = metadata["window_frames"] {
            guard let frames = Int(text), frames > 0 else {
                throw WeightsError("'\(what)': window_frames is '\(text)', not a positive number of frames")
            }
            windowFrames = frames
        } else {
            windowFrames = Self.defaultWindowFrames
        }
        space = metadata["only_note_names"] == "true" ? .pitchClasses
            : .keys(lowestNote: frontEnd.lowestNote, count: frontEnd.notes)
        if let text = metadata["n_notes"], Int(text) != space.count {
            throw WeightsError("'\(what)': n_notes is \(text) but its front end and only_note_names give \(space.count) notes")
        }
    }

    public var onlyNoteNames: Bool { space == .pitchClasses }

    /// The keys `init(metadata:of:)` reads, for writing.
    public var metadata: [String: String] {
        frontEnd.metadata.merging([
            "window_frames": "\(windowFrames)", "n_notes": "\(space.count)", "only_note_names": "\(onlyNoteNames)",
        ]) { $1 }
    }

    /// The one compatibility check: data made with `other`'s front end and notes can go through
    /// a network made for this one. Window lengths may differ (the weights do not depend on it).
    /// The error names every setting that differs.
    public func checkCompatible(with other: DataDescription, this: String, other otherName: String) throws(WeightsError) {
        var differences = frontEndDifferences(other.frontEnd)
        if space != other.space {
            differences.append("notes \(describe(space)) against \(describe(other.space))")
        }
        guard differences.isEmpty else {
            throw WeightsError("'\(otherName)' was not made with the front end of '\(this)': "
                + differences.joined(separator: "; ") + ". Use data and weights made with the same settings")
        }
    }

    /// "hop_length 512 against 256" for each front-end setting that differs.
    public func frontEndDifferences(_ other: CQTSettings) -> [String] {
        let mine = frontEnd.metadata, theirs = other.metadata
        return mine.keys.sorted().compactMap { key in
            mine[key] == theirs[key] ? nil : "\(key) \(mine[key] ?? "none") against \(theirs[key] ?? "none")"
        }
    }

    private func describe(_ space: NoteSpace) -> String {
        switch space {
        case let .keys(lowest, count): return "\(count) keys from \(NoteName.name(ofMIDI: lowest))"
        case .pitchClasses: return "12 pitch classes"
        }
    }
}

/// A weights file's settings: its data (front end, window, notes) and its network.
public struct WeightsDescription: Sendable, Equatable {
    public var data: DataDescription
    public var network: ModelConfig

    public init(data: DataDescription, network: ModelConfig, of what: String = "the weights") throws(WeightsError) {
        self.data = data
        self.network = network
        try check(what: what)
    }

    public init(metadata: [String: String], of what: String) throws(WeightsError) {
        data = try DataDescription(metadata: metadata, of: what)
        do { network = try ModelConfig(metadata: metadata) } catch {
            throw WeightsError("'\(what)': \(error.description)")
        }
        try check(what: what)
    }

    /// The network must take the front end's bins and name the space's notes.
    private func check(what: String) throws(WeightsError) {
        guard network.nBins == data.frontEnd.binCount, network.binsPerNote == data.frontEnd.binsPerNote else {
            throw WeightsError("'\(what)': the network takes \(network.nBins) bins (\(network.binsPerNote) per note) but its "
                + "front end makes \(data.frontEnd.binCount) (\(data.frontEnd.binsPerNote) per note); the file is inconsistent")
        }
        guard network.nNotes == data.space.count else {
            throw WeightsError("'\(what)': the network has \(network.nNotes) outputs but its note space has \(data.space.count) notes")
        }
    }

    public var metadata: [String: String] { data.metadata.merging(network.metadata) { $1 } }
}

/// A weights file loaded: the network with its parameters, the typed settings and the whole
/// metadata (training facts, lineage) as the file has it.
public struct Weights {
    public let network: TranscriptionNetwork
    public let description: WeightsDescription
    public let metadata: [String: String]

    /// Loads, validates and describes the weights at `path`.
    public static func load(_ path: String) throws -> Weights {
        let (network, metadata) = try WeightsFile.load(path)
        let description: WeightsDescription
        description = try WeightsDescription(data: DataDescription(metadata: metadata, of: path), network: network.config, of: path)
        return Weights(network: network, description: description, metadata: metadata)
    }
}

// MusicNetLayout: the recordings of a MusicNet-layout folder - {split}_data/*.wav with
// {split}_labels/*.csv (or labels from another folder, as MusicNetEM's MIDI files) - paired by
// id, with what could not be paired said plainly.
import Foundation

public struct Recording: Sendable, Equatable {
    public var id: String
    public var audioPath: String
    public var labelPath: String
}

public struct LayoutError: Error, CustomStringConvertible {
    public var description: String
}

public enum MusicNetLayout {
    public static let audioExtensions: Set<String> = ["wav", "flac", "ogg", "aiff", "aif"]

    /// The paired recordings of `split` under `root`, sorted by id, and the files skipped, each
    /// with its reason (an audio file with no labels, labels with no audio, two label files for
    /// one recording). Labels are `<id>.csv`, `<id>.mid` or `<id>.midi` in `labels`, by default
    /// `{split}_labels`.
    public static func recordings(root: String, split: String, labels: String? = nil)
        throws -> (recordings: [Recording], skipped: [String]) {
        let dataDir = (root as NSString).appendingPathComponent("\(split)_data")
        let labelDir = labels ?? (root as NSString).appendingPathComponent("\(split)_labels")
        let fm = FileManager.default
        guard let audio = try? fm.contentsOfDirectory(atPath: dataDir) else {
            throw LayoutError(description: "no folder '\(dataDir)': a MusicNet-layout folder has \(split)_data/ (audio) "
                + "and \(split)_labels/ (CSV)")
        }
        if let labels, !fm.fileExists(atPath: labels) {
            throw LayoutError(description: "no labels folder '\(labels)': give the folder that holds <id>.mid or <id>.csv")
        }
        var labelById: [String: String] = [:], ambiguous: Set<String> = [], skipped: [String] = []
        for name in ((try? fm.contentsOfDirectory(atPath: labelDir)) ?? []).sorted()
        where Labels.extensions.contains((name as NSString).pathExtension.lowercased()) {
            let id = (name as NSString).deletingPathExtension, path = (labelDir as NSString).appendingPathComponent(name)
            if let other = labelById[id] {
                skipped.append("\(path): recording \(id) has two label files (also \(other)); keep one")
                ambiguous.insert(id)
            } else {
                labelById[id] = path
            }
        }
        var recordings: [Recording] = []
        var seen = Set<String>()
        for name in audio.sorted() where audioExtensions.contains((name as NSString).pathExtension.lowercased()) {
            let id = (name as NSString).deletingPathExtension
            let path = (dataDir as NSString).appendingPathComponent(name)
            seen.insert(id)
            if ambiguous.contains(id) { continue }
            if let labelPath = labelById[id] {
                recordings.append(Recording(id: id, audioPath: path, labelPath: labelPath))
            } else {
                skipped.append("\(path): no labels (\((labelDir as NSString).appendingPathComponent(id)).csv or .mid is missing)")
            }
        }
        // A labels folder of its own (MusicNetEM's) holds every split's labels: only
        // {split}_labels says that its files without audio are strays.
        for (id, path) in labelById.sorted(by: { $0.key < $1.key }) where labels == nil && !seen.contains(id) && !ambiguous.contains(id) {
            skipped.append("\(path): no audio (\(split)_data/\(id).wav is missing)")
        }
        guard !recordings.isEmpty else {
            throw LayoutError(description: "'\(dataDir)' has no audio file with labels"
                + (skipped.isEmpty ? "" : ": " + skipped.joined(separator: "; ")))
        }
        return (recordings, skipped)
    }
}

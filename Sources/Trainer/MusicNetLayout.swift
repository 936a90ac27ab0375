// MusicNetLayout: the recordings of a MusicNet-layout folder - {split}_data/*.wav with
// {split}_labels/*.csv - paired by id, with what could not be paired said plainly.
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
    /// with its reason (an audio file with no labels, labels with no audio).
    public static func recordings(root: String, split: String) throws -> (recordings: [Recording], skipped: [String]) {
        let dataDir = (root as NSString).appendingPathComponent("\(split)_data")
        let labelDir = (root as NSString).appendingPathComponent("\(split)_labels")
        let fm = FileManager.default
        guard let audio = try? fm.contentsOfDirectory(atPath: dataDir) else {
            throw LayoutError(description: "no folder '\(dataDir)': a MusicNet-layout folder has \(split)_data/ (audio) "
                + "and \(split)_labels/ (CSV)")
        }
        let labels = (try? fm.contentsOfDirectory(atPath: labelDir)) ?? []
        var labelById: [String: String] = [:]
        for name in labels where (name as NSString).pathExtension.lowercased() == "csv" {
            labelById[(name as NSString).deletingPathExtension] = (labelDir as NSString).appendingPathComponent(name)
        }
        var recordings: [Recording] = [], skipped: [String] = []
        var seen = Set<String>()
        for name in audio.sorted() where audioExtensions.contains((name as NSString).pathExtension.lowercased()) {
            let id = (name as NSString).deletingPathExtension
            let path = (dataDir as NSString).appendingPathComponent(name)
            seen.insert(id)
            if let labelPath = labelById[id] {
                recordings.append(Recording(id: id, audioPath: path, labelPath: labelPath))
            } else {
                skipped.append("\(path): no labels (\(split)_labels/\(id).csv is missing)")
            }
        }
        for (id, path) in labelById.sorted(by: { $0.key < $1.key }) where !seen.contains(id) {
            skipped.append("\(path): no audio (\(split)_data/\(id).wav is missing)")
        }
        guard !recordings.isEmpty else {
            throw LayoutError(description: "'\(dataDir)' has no audio file with labels"
                + (skipped.isEmpty ? "" : ": " + skipped.joined(separator: "; ")))
        }
        return (recordings, skipped)
    }
}

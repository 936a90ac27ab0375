// Labels: a recording's note labels from its file - MusicNet's CSV, or a MIDI file (MusicNetEM's
// realigned labels) - by the file's extension.

public enum Labels {
    /// The extensions a label file may have.
    public static let extensions: Set<String> = ["csv", "mid", "midi"]

    /// The labels in `path`: `.csv` as MusicNet writes them, `.mid`/`.midi` through LabelMIDI.
    public static func read(_ path: String) throws -> [NoteLabel] {
        switch (path as NSString).pathExtension.lowercased() {
        case "mid", "midi": return try LabelMIDI.read(path)
        default: return try LabelCSV.read(path)
        }
    }
}

import Foundation

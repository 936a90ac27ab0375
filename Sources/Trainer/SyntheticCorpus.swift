// SyntheticCorpus: a MusicNet-layout corpus of harmonic tones at known pitches, with labels -
// for tests, benchmarks and the small test model, where no real recordings are needed.
import AudioIO
import Foundation
import Model
import Support

public enum SyntheticCorpus {
    /// Writes `count` recordings of `seconds` each into root/{split}_data and root/{split}_labels.
    /// Each holds notes of 0.25-0.6 s from `pitches`, in `voices` overlapping voices, as decaying
    /// harmonic tones (partials 1, 1/2, 1/4). Odd recordings are written at 44.1 kHz stereo and
    /// even ones at 22.05 kHz mono, so readers' resampling and downmixing are exercised. Labels
    /// are sample indices at 44.1 kHz, as MusicNet's. Returns the ids.
    @discardableResult
    public static func make(root: URL, split: String = "train", count: Int, seconds: Double, seed: UInt64,
                            pitches: [Int] = Array(60...71), voices: Int = 2) throws -> [String] {
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("\(split)_data"), withIntermediateDirectories: true)
        try fm.createDirectory(at: root.appendingPathComponent("\(split)_labels"), withIntermediateDirectories: true)
        var generator = SeededGenerator(seed: seed)
        var ids: [String] = []
        for r in 0..<count {
            let id = "\(split)\(100 + r)"
            let rate = r % 2 == 1 ? 44100 : 22050, channels = r % 2 == 1 ? 2 : 1
            let (mono, labels) = render(seconds: seconds, rate: rate, pitches: pitches, voices: voices, generator: &generator)
            let interleaved = channels == 1 ? mono : mono.flatMap { [$0, $0] }
            try AudioFile.write(AudioBuffer(samples: interleaved, sampleRate: rate, channels: channels),
                                to: root.appendingPathComponent("\(split)_data/\(id).wav").path, format: .wavPCM16)
            try LabelCSV.format(labels).write(to: root.appendingPathComponent("\(split)_labels/\(id).csv"),
                                              atomically: true, encoding: .utf8)
            ids.append(id)
        }
        return ids
    }

    /// One recording: mono samples at `rate` and its labels (sorted by start).
    public static func render(seconds: Double, rate: Int, pitches: [Int], voices: Int,
                              generator: inout SeededGenerator) -> ([Float], [NoteLabel]) {
        let (samples, notes) = ToneSynthesis.render(seconds: seconds, rate: rate, pitches: pitches, voices: voices,
                                                    generator: &generator)
        return (samples, notes.map {
            NoteLabel(start: Int($0.start * 44100), end: Int($0.end * 44100), instrument: 1, note: $0.pitch)
        })
    }
}

// LabelRoll: note labels turned into per-frame targets on the CQT frame grid.
import Pipeline

public enum LabelRoll {
    /// Targets [frames, space.count]: 1 where a note sounds at the frame's instant.
    ///
    /// Frame t's instant is t * hop / sampleRate seconds; a label [start, end) (in seconds, from
    /// 44.1 kHz sample indices) is active in frame t iff start <= t * hop / sampleRate < end.
    /// Equivalently the first active frame is ceil(start * rate / hop) and the last is
    /// ceil(end * rate / hop) - 1, computed exactly in integers. Notes outside the space are dropped.
    public static func roll(_ labels: [NoteLabel], frames: Int, hop: Int, sampleRate: Int, space: NoteSpace) -> [Float] {
        let k = space.count
        var roll = [Float](repeating: 0, count: frames * k)
        for label in labels {
            guard let (column, lo, hi) = span(label, frames: frames, hop: hop, sampleRate: sampleRate, space: space) else { continue }
            for t in lo...hi { roll[t * k + column] = 1 }
        }
        return roll
    }

    /// Onset targets [frames, space.count]: 1 in the first frame of each labelled note (the first
    /// frame whose instant is at or after its start - the frame `roll` first marks it in), so a
    /// note struck again right after it ends has an onset of its own even where the rolls' frames
    /// run on. One frame: the head learns where notes begin, the decoder's thresholds how sure.
    /// A note that begins before the audio (or shorter than a frame) has none.
    public static func onsets(_ labels: [NoteLabel], frames: Int, hop: Int, sampleRate: Int, space: NoteSpace) -> [Float] {
        var onsets = [Float](repeating: 0, count: frames * space.count)
        for label in labels {
            if let entry = onsetEntry(label, frames: frames, hop: hop, sampleRate: sampleRate, space: space) { onsets[entry] = 1 }
        }
        return onsets
    }

    /// Velocity targets [frames, space.count]: velocity / 127 at each onset of a note whose
    /// velocity the labels give, 0 everywhere else (the louder where two notes of one key begin
    /// in a frame). All zero for labels without velocities: they train no velocity.
    public static func velocities(_ labels: [NoteLabel], frames: Int, hop: Int, sampleRate: Int, space: NoteSpace) -> [Float] {
        var velocities = [Float](repeating: 0, count: frames * space.count)
        for label in labels {
            guard let velocity = label.velocity,
                  let entry = onsetEntry(label, frames: frames, hop: hop, sampleRate: sampleRate, space: space) else { continue }
            velocities[entry] = max(velocities[entry], Float(velocity) / 127)
        }
        return velocities
    }

    /// Where the label's onset sits in a [frames, space.count] roll: its first frame, nil if
    /// that frame is not within the audio.
    static func onsetEntry(_ label: NoteLabel, frames: Int, hop: Int, sampleRate: Int, space: NoteSpace) -> Int? {
        guard label.start >= 0, let (column, lo, _) = span(label, frames: frames, hop: hop, sampleRate: sampleRate, space: space),
              lo == first(label, hop: hop, sampleRate: sampleRate) else { return nil }
        return lo * space.count + column
    }

    /// The label's column and its first and last frames within the audio, nil if it has none.
    static func span(_ label: NoteLabel, frames: Int, hop: Int, sampleRate: Int, space: NoteSpace) -> (Int, Int, Int)? {
        guard let column = space.index(of: label.note) else { return nil }
        // t * hop / sr >= start / 44100  <=>  t >= start * sr / (44100 * hop)
        let last = ceilDivide(label.end * sampleRate, LabelCSV.sampleRate * hop) - 1
        let lo = max(first(label, hop: hop, sampleRate: sampleRate), 0), hi = min(last, frames - 1)   // labels past the audio's end are cut
        return lo <= hi ? (column, lo, hi) : nil
    }

    static func first(_ label: NoteLabel, hop: Int, sampleRate: Int) -> Int {
        ceilDivide(label.start * sampleRate, LabelCSV.sampleRate * hop)
    }

    static func ceilDivide(_ a: Int, _ b: Int) -> Int { (a + b - 1) / b }
}

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
            guard let column = space.index(of: label.note) else { continue }
            // t * hop / sr >= start / 44100  <=>  t >= start * sr / (44100 * hop)
            let first = ceilDivide(label.start * sampleRate, LabelCSV.sampleRate * hop)
            let last = ceilDivide(label.end * sampleRate, LabelCSV.sampleRate * hop) - 1
            let lo = max(first, 0), hi = min(last, frames - 1)   // labels past the audio's end are cut
            guard lo <= hi else { continue }
            for t in lo...hi { roll[t * k + column] = 1 }
        }
        return roll
    }

    static func ceilDivide(_ a: Int, _ b: Int) -> Int { (a + b - 1) / b }
}

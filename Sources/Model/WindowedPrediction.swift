// WindowedPrediction: per-frame note probabilities for a whole recording, from 1-second windows
// slid over its CQT frames, batched through the network. Three ways to combine the windows: the
// mean of every window over a frame (`predict`), and the engine's two rules over its windows -
// each frame from the first window that holds `lookahead` frames after it (live, replay), or the
// mean of every window over it (`file` by default) - so that `evaluate` scores what they print.

public enum WindowedPrediction {
    /// Start frames of the windows covering `frames` frames: 0, stride, 2 stride, ... and a last
    /// window ending exactly at the last frame, so every frame is covered.
    public static func windowStarts(frames: Int, window: Int, stride: Int) -> [Int] {
        guard frames > window else { return [0] }
        var starts = Array(Swift.stride(from: 0, through: frames - window, by: stride))
        if starts.last! + window < frames { starts.append(frames - window) }
        return starts
    }

    /// Probabilities [frames, K] for `features` [frames, F].
    ///
    /// Windows of `window` frames start every `stride` frames (and one more ends at the last
    /// frame). A frame covered by several windows gets the mean of their probabilities; with
    /// stride == window the windows do not overlap (but for the last one) and each frame's value
    /// is exactly the network's. An input shorter than one window is padded at the end with
    /// its own minimum value (the silence floor of a log-compressed CQT).
    public static func probabilities(network: ParallelNetwork, features: [Float], frames: Int,
                                     window: Int, stride: Int, batchSize: Int = 16) throws(ModelError) -> [Float] {
        let bins = network.config.nBins, notes = network.config.nNotes
        guard features.count == frames * bins else {
            throw .inputShape("\(features.count) values are not \(frames) frames of \(bins) bins")
        }
        guard window > 0, stride > 0 else { throw .inputShape("window (\(window)) and stride (\(stride)) must be positive") }
        guard frames > 0 else { return [] }
        let starts = windowStarts(frames: frames, window: window, stride: stride)
        let floor = features.min() ?? 0
        var sums = [Float](repeating: 0, count: frames * notes)
        var counts = [Float](repeating: 0, count: frames)
        var batchInput = [Float](repeating: 0, count: batchSize * window * bins)
        var probabilities = [Float](repeating: 0, count: batchSize * window * notes)
        var first = 0
        while first < starts.count {
            let group = Array(starts[first..<min(first + batchSize, starts.count)])
            for (b, start) in group.enumerated() {
                for t in 0..<window {
                    let destination = (b * window + t) * bins
                    if start + t < frames {
                        let source = (start + t) * bins
                        batchInput.replaceSubrange(destination..<(destination + bins), with: features[source..<(source + bins)])
                    } else {
                        for i in destination..<(destination + bins) { batchInput[i] = floor }
                    }
                }
            }
            let logits = batchInput.withUnsafeBufferPointer {
                network.forward($0.baseAddress!, batch: group.count, frames: window)
            }
            probabilities.withUnsafeMutableBufferPointer {
                sigmoidArray($0.baseAddress!, logits.baseAddress!, count: logits.count)
            }
            for (b, start) in group.enumerated() {
                for t in 0..<window where start + t < frames {
                    let frame = start + t
                    counts[frame] += 1
                    for k in 0..<notes { sums[frame * notes + k] += probabilities[(b * window + t) * notes + k] }
                }
            }
            first += group.count
        }
        for frame in 0..<frames {
            let scale = 1 / counts[frame]
            for k in 0..<notes { sums[frame * notes + k] *= scale }
        }
        return sums
    }

    /// Probabilities [frames, K] as the live engine (Transcription's TranscriptionEngine) decodes
    /// them: windows of `window` frames end after frame stride - 1, 2 stride - 1, ... (frames
    /// before the first are `padding`, the silence floor), and each frame takes the first window
    /// that holds at least `lookahead` frames after it; the frames left at the end come from one
    /// last window ending at the last frame. `transcriber file` with the same stride and
    /// look-ahead decodes these very numbers.
    public static func lookaheadProbabilities(network: ParallelNetwork, features: [Float], frames: Int, window: Int,
                                              stride: Int, lookahead: Int, padding: Float,
                                              batchSize: Int = 16) throws(ModelError) -> [Float] {
        try checkStreamed(network: network, features: features, frames: frames, window: window, stride: stride, lookahead: lookahead)
        let notes = network.config.nNotes
        // (end, first frame, frames) of every window that decodes something, in order.
        var plan: [(end: Int, first: Int, count: Int)] = []
        var decoded = 0
        for end in Swift.stride(from: stride, through: frames, by: stride) where end - 1 - lookahead >= decoded {
            plan.append((end, decoded, end - lookahead - decoded))
            decoded = end - lookahead
        }
        if decoded < frames { plan.append((frames, decoded, frames - decoded)) }
        var result = [Float](repeating: 0, count: frames * notes)
        runStreamedWindows(network: network, features: features, window: window, ends: plan.map(\.end), padding: padding,
                           batchSize: batchSize) { index, probabilities in
            let item = plan[index]
            for frame in item.first..<(item.first + item.count) {
                let row = (frame - (item.end - window)) * notes
                result.replaceSubrange((frame * notes)..<((frame + 1) * notes), with: probabilities[row..<(row + notes)])
            }
        }
        return result
    }

    /// Probabilities [frames, K] as the engine decodes them with no look-ahead given (`file`'s
    /// default): the same windows as `lookaheadProbabilities` (ending after frame stride - 1,
    /// 2 stride - 1, ..., and one more ending at the last frame when the stride leaves frames
    /// after the last), and each frame the mean of every window that covers it, summed in order.
    /// The engine decodes a frame as soon as no window of the stride's will cover it, before it
    /// knows that the input ends, so that last extra window adds only to frames not yet decoded.
    public static func streamedMeanProbabilities(network: ParallelNetwork, features: [Float], frames: Int, window: Int,
                                                 stride: Int, padding: Float, batchSize: Int = 16) throws(ModelError) -> [Float] {
        try checkStreamed(network: network, features: features, frames: frames, window: window, stride: stride, lookahead: 0)
        let notes = network.config.nNotes
        var ends = Array(Swift.stride(from: stride, through: frames, by: stride))
        // Frames from here on are not yet decoded when the extra last window runs.
        let undecoded = max(0, (ends.last ?? 0) + stride - window)
        if ends.last != frames && frames > 0 { ends.append(frames) }
        var sums = [Float](repeating: 0, count: frames * notes)
        var counts = [Float](repeating: 0, count: frames)
        runStreamedWindows(network: network, features: features, window: window, ends: ends, padding: padding,
                           batchSize: batchSize) { index, probabilities in
            let end = ends[index], extra = end % stride != 0
            for frame in max(extra ? undecoded : 0, end - window)..<end {
                let row = (frame - (end - window)) * notes
                counts[frame] += 1
                for k in 0..<notes { sums[frame * notes + k] += probabilities[row + k] }
            }
        }
        for frame in 0..<frames {
            for k in 0..<notes { sums[frame * notes + k] /= counts[frame] }
        }
        return sums
    }

    private static func checkStreamed(network: ParallelNetwork, features: [Float], frames: Int, window: Int,
                                      stride: Int, lookahead: Int) throws(ModelError) {
        let bins = network.config.nBins
        guard features.count == frames * bins else {
            throw .inputShape("\(features.count) values are not \(frames) frames of \(bins) bins")
        }
        guard window > 0, stride > 0, lookahead >= 0, stride + lookahead <= window else {
            throw .inputShape("the stride (\(stride)) and look-ahead (\(lookahead)) must be positive and fit a window (\(window))")
        }
    }

    /// Runs the windows ending just before frame `ends[i]` (frames before 0 are `padding`) through
    /// the network, `batchSize` at a time, and hands each one's probabilities [window, K] to `body`
    /// in order.
    private static func runStreamedWindows(network: ParallelNetwork, features: [Float], window: Int, ends: [Int], padding: Float,
                                           batchSize: Int, body: (Int, UnsafeBufferPointer<Float>) -> Void) {
        let bins = network.config.nBins, notes = network.config.nNotes
        var batchInput = [Float](repeating: padding, count: batchSize * window * bins)
        var probabilities = [Float](repeating: 0, count: batchSize * window * notes)
        var next = 0
        while next < ends.count {
            let group = next..<min(next + batchSize, ends.count)
            for (b, end) in ends[group].enumerated() {
                for i in 0..<window {
                    let frame = end - window + i, destination = (b * window + i) * bins
                    if frame < 0 {
                        for j in destination..<(destination + bins) { batchInput[j] = padding }
                    } else {
                        batchInput.replaceSubrange(destination..<(destination + bins),
                                                   with: features[(frame * bins)..<((frame + 1) * bins)])
                    }
                }
            }
            let logits = batchInput.withUnsafeBufferPointer {
                network.forward($0.baseAddress!, batch: group.count, frames: window)
            }
            probabilities.withUnsafeMutableBufferPointer {
                sigmoidArray($0.baseAddress!, logits.baseAddress!, count: logits.count)
            }
            probabilities.withUnsafeBufferPointer { all in
                for (b, index) in group.enumerated() {
                    body(index, UnsafeBufferPointer(rebasing: all[(b * window * notes)..<((b + 1) * window * notes)]))
                }
            }
            next = group.upperBound
        }
    }
}

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
        let bins = network.config.nBins
        guard features.count == frames * bins else {
            throw .inputShape("\(features.count) values are not \(frames) frames of \(bins) bins")
        }
        guard window > 0, stride > 0 else { throw .inputShape("window (\(window)) and stride (\(stride)) must be positive") }
        guard frames > 0 else { return [] }
        let starts = windowStarts(frames: frames, window: window, stride: stride)
        return meanOfWindows(network: network, features: features, frames: frames, window: window, starts: starts,
                             from: starts.map { _ in 0 }, padding: features.min() ?? 0, batchSize: batchSize)
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
        runWindows(network: network, features: features, frames: frames, window: window, starts: plan.map { $0.end - window },
                   padding: padding, batchSize: batchSize) { index, probabilities in
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
        var ends = Array(Swift.stride(from: stride, through: frames, by: stride))
        var from = ends.map { _ in 0 }
        if ends.last != frames && frames > 0 {
            // Frames from here on are not yet decoded when the extra last window runs.
            from.append(max(0, (ends.last ?? 0) + stride - window))
            ends.append(frames)
        }
        return meanOfWindows(network: network, features: features, frames: frames, window: window,
                             starts: ends.map { $0 - window }, from: from, padding: padding, batchSize: batchSize)
    }

    /// Each frame's mean over the windows starting at `starts` that cover it, window i adding
    /// only to frames from `from[i]` on, summed in order.
    private static func meanOfWindows(network: ParallelNetwork, features: [Float], frames: Int, window: Int, starts: [Int],
                                      from: [Int], padding: Float, batchSize: Int) -> [Float] {
        let notes = network.config.nNotes
        var sums = [Float](repeating: 0, count: frames * notes)
        var counts = [Float](repeating: 0, count: frames)
        runWindows(network: network, features: features, frames: frames, window: window, starts: starts, padding: padding,
                   batchSize: batchSize) { index, probabilities in
            let start = starts[index]
            for frame in max(from[index], start)..<min(start + window, frames) {
                let row = (frame - start) * notes
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

    /// Runs the windows starting at frame `starts[i]` (frames outside the recording, before it
    /// or after it, are `padding`) through the network, `batchSize` at a time, and hands each
    /// one's probabilities [window, K] to `body` in order.
    private static func runWindows(network: ParallelNetwork, features: [Float], frames: Int, window: Int, starts: [Int],
                                   padding: Float, batchSize: Int, body: (Int, UnsafeBufferPointer<Float>) -> Void) {
        let bins = network.config.nBins, notes = network.config.nNotes
        var batchInput = [Float](repeating: padding, count: batchSize * window * bins)
        var probabilities = [Float](repeating: 0, count: batchSize * window * notes)
        var next = 0
        while next < starts.count {
            let group = next..<min(next + batchSize, starts.count)
            for (b, start) in starts[group].enumerated() {
                for i in 0..<window {
                    let frame = start + i, destination = (b * window + i) * bins
                    if frame < 0 || frame >= frames {
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

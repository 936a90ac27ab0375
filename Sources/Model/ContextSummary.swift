// ContextSummary: the running summary of everything heard before a window that a network with
// a context (ModelConfig.contextFrames) reads beside it - an exponentially weighted mean of the
// CQT frames, kept the same way by the trainer's windows and by the live engine.
import Foundation

/// The mean of the frames added so far, each weighted decay^age (the newest 1, one `timeConstant`
/// older 1/e): the recording's last half-minute or so at a time constant of 30 s, and all of a
/// shorter one. Before any frame it is zero - silence in the front end's log scale, which is what
/// the windows' own frames before a recording's start are.
///
/// Written by hand: it is four lines of arithmetic that training and the live engine must
/// compute identically.
public struct ContextSummary: Sendable {
    public let bins: Int
    /// How much a frame's weight shrinks with each newer frame: exp(-1 / timeConstant).
    public let decay: Float
    /// Sum of decay^age times each frame, and sum of decay^age.
    private var sums: [Float]
    private var weight: Float = 0

    public init(bins: Int, timeConstant frames: Int) {
        precondition(frames > 0, "a context summary needs a positive time constant")
        self.bins = bins
        decay = Float(exp(-1 / Double(frames)))
        sums = [Float](repeating: 0, count: bins)
    }

    /// Forgets every frame (a new recording).
    public mutating func reset() {
        sums.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        weight = 0
    }

    /// Adds the newest frame (F values).
    public mutating func add(_ frame: UnsafePointer<Float>) {
        let decay = self.decay
        sums.withUnsafeMutableBufferPointer { s in
            for b in 0..<bins { s[b] = decay * s[b] + frame[b] }
        }
        weight = decay * weight + 1
    }

    /// Writes the running state (F sums and the weight), to be `restore`d later.
    public func save(sums out: UnsafeMutablePointer<Float>, weight outWeight: UnsafeMutablePointer<Float>) {
        sums.withUnsafeBufferPointer { out.update(from: $0.baseAddress!, count: bins) }
        outWeight.pointee = weight
    }

    /// Takes up a state `save` wrote: what the summary was then.
    public mutating func restore(sums source: UnsafePointer<Float>, weight saved: Float) {
        sums.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: source, count: bins) }
        weight = saved
    }

    /// The summary (F values): the weighted mean, or zeros before the first frame.
    public func write(into out: UnsafeMutablePointer<Float>) {
        guard weight > 0 else { return out.update(repeating: 0, count: bins) }
        let scale = 1 / weight
        sums.withUnsafeBufferPointer { s in
            for b in 0..<bins { out[b] = s[b] * scale }
        }
    }
}

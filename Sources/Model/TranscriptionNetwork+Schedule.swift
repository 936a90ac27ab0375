// TranscriptionNetwork+Schedule: the order the parts run in, forward and backward, and the
// thread split of the forward - nothing else. Every part but attention works frame by frame, so
// the forward's rows can be split between threads; attention is split by head. With one part
// everything runs inline on the caller's thread. Two joins per block when split.
import Foundation
import Support

/// What a forward starts from: CQT frames, or frames the encoder has already seen
/// (`TranscriptionNetwork.encode`), whose embeddings are reused.
public enum NetworkInput {
    /// (B, T, F) CQT frames.
    case bins(UnsafePointer<Float>)
    /// (B, T, D) encoder outputs, before the positions (inference only).
    case encoded(UnsafePointer<Float>)

    /// The values of one window of `frames` frames.
    func perWindow(frames: Int, config: ModelConfig) -> Int {
        switch self {
        case .bins: return frames * config.nBins
        case .encoded: return frames * config.embedDim
        }
    }

    /// The same input from window `window` on.
    func advanced(byWindows window: Int, frames: Int, config: ModelConfig) -> NetworkInput {
        let offset = window * perWindow(frames: frames, config: config)
        switch self {
        case let .bins(p): return .bins(p + offset)
        case let .encoded(p): return .encoded(p + offset)
        }
    }
}

extension TranscriptionNetwork {
    /// Runs the network on `input` (B, T, F) and returns the logits (B, T, K), valid until the
    /// next call. `training` keeps the scratch the backward needs.
    /// `summaries` (B, F): each window's context summary, for a network with a context (else nil).
    @discardableResult
    public func forward(_ input: UnsafePointer<Float>, batch: Int, frames: Int,
                        training: Bool = false, summaries: UnsafePointer<Float>? = nil) -> UnsafeBufferPointer<Float> {
        forwardRows(.bins(input), batch: batch, frames: frames, training: training, parts: 1, summaries: summaries)
    }

    /// Runs the network on CQT frames or on encoder outputs; inference only for the latter.
    /// `outputRows`: the frames of each window whose outputs the caller will read (inference
    /// only; nil: all). The last block after its attention, and the heads, run only on those
    /// (attention still sees every frame); the other rows of the outputs are not written.
    @discardableResult
    public func forward(_ input: NetworkInput, batch: Int, frames: Int, training: Bool = false,
                        outputRows: Range<Int>? = nil, summaries: UnsafePointer<Float>? = nil) -> UnsafeBufferPointer<Float> {
        forwardRows(input, batch: batch, frames: frames, training: training, parts: 1, outputRows: outputRows,
                    summaries: summaries)
    }

    /// Logits (1, T, K) of one window, computed by `parts` threads; the same numbers as
    /// `forward(batch: 1)` up to summation order inside sgemm (tested). Inference only: the live
    /// path's case, where there is no batch to split between cores.
    public func forwardSplit(_ input: UnsafePointer<Float>, frames: Int, parts: Int,
                             summary: UnsafePointer<Float>? = nil) -> UnsafeBufferPointer<Float> {
        forwardRows(.bins(input), batch: 1, frames: frames, training: false, parts: max(1, parts), summaries: summary)
    }

    /// The same from CQT frames or encoder outputs, `outputRows` as in `forward`.
    public func forwardSplit(_ input: NetworkInput, frames: Int, parts: Int,
                             outputRows: Range<Int>? = nil, summary: UnsafePointer<Float>? = nil) -> UnsafeBufferPointer<Float> {
        forwardRows(input, batch: 1, frames: frames, training: false, parts: max(1, parts), outputRows: outputRows,
                    summaries: summary)
    }

    /// The forward pass over (B, T) windows with the rows split into `parts` (1: inline). Saves in
    /// the activations everything the backward reads.
    func forwardRows(_ input: NetworkInput, batch: Int, frames: Int, training: Bool,
                     parts: Int, outputRows: Range<Int>? = nil, summaries: UnsafePointer<Float>? = nil) -> UnsafeBufferPointer<Float> {
        if case .encoded = input { precondition(!training, "training needs the encoder's activations: start from CQT frames") }
        precondition(outputRows == nil || !training, "training needs every row's output")
        precondition(!training || !isFrozen, "a frozen network does not train")
        let wanted = outputRows?.clamped(to: 0..<frames)
        prepare(batch: batch, frames: frames, training: training, extraScratch: parts > 1 ? parts : 0)
        let acts = activations!, cfg = config, r = batch * frames
        contextForward(summaries, batch: batch)
        // Residual dropout: training forwards only, masks drawn here for the whole batch.
        acts.dropping = false
        if training, let dropout, dropout.rate > 0 {
            var generator = SeededGenerator(seed: dropout.seed)
            for mask in acts.dropMasks { fillDropoutMask(mask, count: r * cfg.embedDim, rate: dropout.rate, using: &generator) }
            acts.dropping = true
        }
        let rowParts = (0..<parts).map { ($0 * r / parts)..<(($0 + 1) * r / parts) }
        // The rows of a part the last phase computes: all of them, or each window's wanted frames.
        let lastRows: [[Range<Int>]] = rowParts.map { part in
            guard let wanted else { return [part] }
            return (0..<batch).map { b in ((b * frames + wanted.lowerBound)..<(b * frames + wanted.upperBound)).clamped(to: part) }
                .filter { !$0.isEmpty }
        }
        let headSplit = min(parts, cfg.nHeads)
        let headParts = (0..<headSplit).map { ($0 * cfg.nHeads / headSplit)..<(($0 + 1) * cfg.nHeads / headSplit) }
        /// Runs body(part) for every part: inline for one, on `count` threads otherwise.
        func each(_ count: Int, _ body: @Sendable (Int) -> Void) {
            if count == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: count, execute: body) }
        }
        let context = UncheckedSendable((self, input))
        for block in 0..<cfg.nLayers {
            each(parts) { part in
                let (net, input) = context.value
                if block == 0 {
                    switch input {
                    case let .bins(frames):
                        let acts = net.activations!
                        net.encoderForward(frames, rows: rowParts[part], part: part, parts: parts, acts: acts)
                        net.addPositions(acts.encoded, rows: rowParts[part])
                    case let .encoded(encoded):
                        net.addPositions(encoded, rows: rowParts[part])
                    }
                } else {
                    net.blockForwardAfterAttention(block - 1, rows: rowParts[part], part: part)
                }
                net.blockForwardBeforeAttention(block, rows: rowParts[part], part: part)
            }
            let queries = block == cfg.nLayers - 1 ? wanted : nil
            each(headParts.count) { part in context.value.0.blockForwardAttention(block, heads: headParts[part], queries: queries) }
        }
        each(parts) { part in
            let net = context.value.0
            for rows in lastRows[part] {
                net.blockForwardAfterAttention(cfg.nLayers - 1, rows: rows, part: part)
                net.headForward(rows: rows, part: part)
            }
        }
        return UnsafeBufferPointer(start: acts.logits, count: r * cfg.nNotes)
    }

    /// Back-propagates the mean BCE of the last forward (run with `training: true`) against
    /// frame targets (B, T, K) into `gradients`, which it overwrites. Returns the loss.
    @discardableResult
    public func backward(targets: UnsafePointer<Float>) -> Float {
        backward(targets: HeadTargets(frames: targets))
    }

    /// Back-propagates the heads' weighted loss (LossWeights) of the last forward (run with
    /// `training: true`) into `gradients`, which it overwrites. Returns the loss.
    @discardableResult
    public func backward(targets: HeadTargets) -> Float {
        guard let acts = activations, acts.trainingReady else {
            preconditionFailure("backward needs a forward with training: true first")
        }
        gradients.zero()
        // dResidual carries dLoss/d(residual stream) from the head back through every block.
        let loss = headBackward(targets: targets)
        for l in stride(from: config.nLayers - 1, through: 0, by: -1) { blockBackward(l) }
        contextBackward()
        encoderBackward()
        return loss
    }
}

// ParallelNetwork: the network run on several cores by splitting the batch between replicas.
//
// Why not OpenBLAS's own threads: on two cores its threaded sgemm is slower than one thread
// for these sizes (measured: training 75 vs 88 windows/s at batch 8), while whole-batch shards
// on separate cores keep every product single-threaded and every elementwise loop parallel.
import Foundation
import Support

/// `threads` replicas of one network sharing its parameters. A batch of B windows is cut into
/// `threads` contiguous shards, each run on its own core with OpenBLAS at one thread; a single
/// window (live inference) is split by frames and heads instead (forwardSplit).
/// Training combines the shards' gradients weighted by shard size, which is exactly the
/// gradient of the mean loss over the whole batch.
public final class ParallelNetwork {
    public let network: TranscriptionNetwork
    public let threads: Int
    private let replicas: [TranscriptionNetwork]
    /// Gathered logits of the shards, head after head; reallocated only when (B, T) changes.
    private var output = UnsafeMutableBufferPointer<Float>(start: nil, count: 0)
    /// Whether the last forward's logits are in `output` (else in the primary network).
    private var gathered = false
    private let losses: UnsafeMutableBufferPointer<Float>

    public init(network: TranscriptionNetwork, threads: Int) throws(ModelError) {
        self.network = network
        self.threads = max(1, threads)
        var replicas = [network]
        for _ in 1..<self.threads {
            replicas.append(try TranscriptionNetwork(config: network.config, sharing: network.parameters))
        }
        self.replicas = replicas
        losses = .allocate(capacity: self.threads)
        losses.initialize(repeating: 0)
        BLASThreads.set(1)
    }

    deinit {
        output.deallocate()
        losses.deallocate()
    }

    /// Freezes every replica (TranscriptionNetwork.freeze), with one set of packed weights between them.
    public func freeze() {
        network.freeze()
        for replica in replicas.dropFirst() { replica.freeze(sharing: network.inference!) }
    }

    public var isFrozen: Bool { network.isFrozen }

    public var config: ModelConfig { network.config }
    public var parameters: ParameterBlock { network.parameters }
    /// The combined gradients of the last `backward` (the primary network's block).
    public var gradients: ParameterBlock { network.gradients }

    /// Shards of `batch`: as equal as possible, at most `threads`, none empty.
    func shards(_ batch: Int) -> [Range<Int>] {
        let count = min(threads, batch)
        return (0..<count).map { i in (i * batch / count)..<((i + 1) * batch / count) }
    }

    /// Residual dropout for the training forwards that follow (nil: none). Each replica draws its
    /// own masks, from a seed of its own derived from `dropout.seed`.
    public func setDropout(_ dropout: ResidualDropout?) {
        guard let dropout else {
            for replica in replicas { replica.dropout = nil }
            return
        }
        var seeds = SeededGenerator(seed: dropout.seed)
        for replica in replicas { replica.dropout = ResidualDropout(rate: dropout.rate, seed: seeds.next()) }
    }

    /// Loss weights of the heads for the backwards that follow (every replica's).
    public var lossWeights: LossWeights {
        get { network.lossWeights }
        set { for replica in replicas { replica.lossWeights = newValue } }
    }

    /// Frame logits (B, T, K) for `input` (B, T, F); valid until the next call. The other heads'
    /// are in `output(_:)`.
    @discardableResult
    public func forward(_ input: UnsafePointer<Float>, batch: Int, frames: Int,
                        training: Bool = false, summaries: UnsafePointer<Float>? = nil) -> UnsafeBufferPointer<Float> {
        forward(.bins(input), batch: batch, frames: frames, training: training, summaries: summaries)
    }

    /// The same from CQT frames or from encoder outputs (`encode`; inference only). `outputRows`:
    /// the frames of each window whose outputs will be read (TranscriptionNetwork.forward).
    /// `summaries` (B, F): each window's context summary, for a network with a context.
    @discardableResult
    public func forward(_ input: NetworkInput, batch: Int, frames: Int, training: Bool = false,
                        outputRows: Range<Int>? = nil, summaries: UnsafePointer<Float>? = nil) -> UnsafeBufferPointer<Float> {
        gathered = false
        if batch == 1 && threads > 1 && !training {
            return network.forwardSplit(input, frames: frames, parts: threads, outputRows: outputRows, summary: summaries)
        }
        // Inference runs a large batch a few windows per replica at a time (see `inferenceWindows`).
        let round = training ? batch : threads * ParallelNetwork.inferenceWindows
        if batch <= round && shards(batch).count == 1 {
            return network.forward(input, batch: batch, frames: frames, training: training, outputRows: outputRows,
                                   summaries: summaries)
        }
        let heads = config.heads
        let perWindowOut = frames * config.nNotes, perHead = batch * perWindowOut
        if output.count != heads.count * perHead {
            output.deallocate()
            output = .allocate(capacity: heads.count * perHead)
            output.initialize(repeating: 0)
        }
        for first in stride(from: 0, to: batch, by: round) {
            let windows = first..<min(batch, first + round)
            let parts = shards(windows.count).map { ($0.lowerBound + first)..<($0.upperBound + first) }
            let work = UncheckedSendable((replicas, input, output.baseAddress!, config, summaries))
            let run = { @Sendable (i: Int) in
                let (replicas, input, out, config, summaries) = work.value
                let part = parts[i]
                replicas[i].forward(input.advanced(byWindows: part.lowerBound, frames: frames, config: config),
                                    batch: part.count, frames: frames, training: training, outputRows: outputRows,
                                    summaries: summaries.map { $0 + part.lowerBound * config.nBins })
                for (h, head) in heads.enumerated() {
                    let logits = replicas[i].output(head)
                    (out + h * perHead + part.lowerBound * perWindowOut).update(from: logits.baseAddress!, count: logits.count)
                }
            }
            if parts.count == 1 { run(0) } else { DispatchQueue.concurrentPerform(iterations: parts.count, execute: run) }
        }
        gathered = true
        return output(.frame)
    }

    /// Windows an inference forward runs on a replica at once: a larger batch goes through in
    /// rounds of this many, so that each round's activations stay in the core's L2 cache (8
    /// windows are 344 rows; `file` batches 8 for the same reason). The outputs are the same.
    public static let inferenceWindows = 8

    /// The encoder alone: `frames` CQT frames (frames, F) to embeddings (frames, D) for
    /// `forward(.encoded(...))`. On the calling thread: a stride of frames is little work.
    public func encode(_ input: UnsafePointer<Float>, frames: Int, into output: UnsafeMutablePointer<Float>) {
        network.encode(input, frames: frames, into: output)
    }

    /// A head's logits (B, T, K) of the last forward, empty if the network has no such head.
    public func output(_ head: NetworkHead) -> UnsafeBufferPointer<Float> {
        guard gathered else { return network.output(head) }
        guard let h = config.heads.firstIndex(of: head) else { return UnsafeBufferPointer(start: nil, count: 0) }
        let perHead = output.count / config.heads.count
        return UnsafeBufferPointer(rebasing: UnsafeBufferPointer(output)[(h * perHead)..<((h + 1) * perHead)])
    }

    /// Back-propagates the mean BCE over the whole batch of the last forward (training: true)
    /// into `gradients`; returns that loss.
    @discardableResult
    public func backward(targets: UnsafePointer<Float>, batch: Int, frames: Int) -> Float {
        backward(targets: HeadTargets(frames: targets), batch: batch, frames: frames)
    }

    /// Back-propagates the heads' weighted loss over the whole batch of the last forward
    /// (training: true) into `gradients`; returns that loss.
    @discardableResult
    public func backward(targets: HeadTargets, batch: Int, frames: Int) -> Float {
        let parts = shards(batch)
        if parts.count == 1 { return network.backward(targets: targets) }
        let perWindow = frames * config.nNotes
        let work = UncheckedSendable((replicas, targets, losses.baseAddress!))
        DispatchQueue.concurrentPerform(iterations: parts.count) { i in
            let (replicas, targets, losses) = work.value
            losses[i] = replicas[i].backward(targets: targets.advanced(by: parts[i].lowerBound * perWindow))
        }
        // Mean over all elements = sum_i (n_i / N) * mean_i, for the loss and its gradient alike.
        let weights = parts.map { Float($0.count) / Float(batch) }
        let total = network.gradients.values.count
        let slices = shards(total)
        let combine = UncheckedSendable((replicas.map { $0.gradients.values.baseAddress! }, weights))
        DispatchQueue.concurrentPerform(iterations: slices.count) { s in
            let (grads, weights) = combine.value
            let primary = grads[0]
            for i in slices[s] { primary[i] *= weights[0] }
            for r in 1..<grads.count {
                let other = grads[r], w = weights[r]
                for i in slices[s] { primary[i] += w * other[i] }
            }
        }
        return zip(losses.prefix(parts.count), weights).reduce(0) { $0 + $1.0 * $1.1 }
    }
}

/// Hands values that are not Sendable to concurrentPerform's iterations. Sound here because
/// each iteration touches only its own replica, shard and output range.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

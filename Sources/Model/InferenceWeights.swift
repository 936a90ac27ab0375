// InferenceWeights: the Linear weights of a network whose parameters no longer change (an engine
// that only transcribes), copied once into the [in, out] layout as well as PyTorch's [out, in].
//
// OpenBLAS 0.3.21 packs both operands on every call, and rows times an untransposed right-hand
// matrix run faster when the rows are few: one window's products (43 rows) 1.2-1.3x, the 6 rows
// the last block runs in live 3x, a file's 344 rows 1-3% (measured per shape, SkylakeX kernels).
// The products at 43 rows and more give the same bits either way but the heads' last (88 outputs).

/// A Linear's weight as a forward multiplies by it: PyTorch's [O, I], or a frozen network's
/// transposed copy [I, O].
struct LinearWeight {
    let pointer: UnsafePointer<Float>
    let isTransposed: Bool
}

/// The weights of every Linear layer, in the forward's order.
struct LinearWeights {
    struct Block { var qkv, out, fc1, fc2: LinearWeight }
    struct Head { var fc1, fc2: LinearWeight }
    var proj: LinearWeight
    var blocks: [Block]
    var heads: [Head]

    /// The parameters' own [O, I] weights.
    init(_ w: NetworkTensors) {
        func plain(_ p: UnsafeMutablePointer<Float>) -> LinearWeight { LinearWeight(pointer: p, isTransposed: false) }
        proj = plain(w.projWeight)
        blocks = w.blocks.map { Block(qkv: plain($0.qkvWeight), out: plain($0.outWeight), fc1: plain($0.fc1Weight), fc2: plain($0.fc2Weight)) }
        heads = w.heads.map { Head(fc1: plain($0.fc1Weight), fc2: plain($0.fc2Weight)) }
    }

    init(proj: LinearWeight, blocks: [Block], heads: [Head]) {
        self.proj = proj
        self.blocks = blocks
        self.heads = heads
    }
}

/// Transposed copies of every Linear weight, made once; shared by the replicas of a network.
final class InferenceWeights: @unchecked Sendable {
    let linears: LinearWeights
    private let storage: UnsafeMutableBufferPointer<Float>

    init(_ parameters: ParameterBlock, config: ModelConfig) {
        var names = ["encoder.proj"]
        for i in 0..<config.nLayers {
            names += ["attn.qkv", "attn.out", "mlp.fc1", "mlp.fc2"].map { "blocks.\(i).\($0)" }
        }
        for head in config.heads { names += [head.parameterPrefix + ".fc1", head.parameterPrefix + ".fc2"] }
        let entries = names.map { parameters.layout.entry($0 + ".weight")! }   // shapes [O, I]
        storage = .allocate(capacity: entries.reduce(0) { $0 + $1.count })
        var copies: [LinearWeight] = []
        var next = storage.baseAddress!
        for entry in entries {
            let (outputs, inputs) = (entry.shape[0], entry.shape[1])
            let weight = parameters.values.baseAddress! + entry.offset
            for o in 0..<outputs {
                for i in 0..<inputs { next[i * outputs + o] = weight[o * inputs + i] }
            }
            copies.append(LinearWeight(pointer: next, isTransposed: true))
            next += entry.count
        }
        var at = copies.makeIterator()
        let proj = at.next()!
        let blocks = (0..<config.nLayers).map { _ in
            LinearWeights.Block(qkv: at.next()!, out: at.next()!, fc1: at.next()!, fc2: at.next()!)
        }
        let heads = config.heads.map { _ in LinearWeights.Head(fc1: at.next()!, fc2: at.next()!) }
        linears = LinearWeights(proj: proj, blocks: blocks, heads: heads)
    }

    deinit { storage.deallocate() }
}

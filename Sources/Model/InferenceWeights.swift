// InferenceWeights: the Linear layers of a network whose parameters no longer change (an engine
// that only transcribes), packed once by oneDNN (PackedLinear), which then runs their products.

/// A Linear's weight as a forward multiplies by it: PyTorch's [O, I] on OpenBLAS, or in a frozen
/// network also packed by oneDNN, which then runs its products.
struct LinearWeight {
    let pointer: UnsafePointer<Float>
    var packed: PackedLinear? = nil
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
        func plain(_ p: UnsafeMutablePointer<Float>) -> LinearWeight { LinearWeight(pointer: p) }
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

/// Every Linear weight packed once; shared by the replicas of a network.
final class InferenceWeights: @unchecked Sendable {
    let linears: LinearWeights

    init(_ parameters: ParameterBlock, config: ModelConfig) {
        var names = ["encoder.proj"]
        for i in 0..<config.nLayers {
            names += ["attn.qkv", "attn.out", "mlp.fc1", "mlp.fc2"].map { "blocks.\(i).\($0)" }
        }
        for head in config.heads { names += [head.parameterPrefix + ".fc1", head.parameterPrefix + ".fc2"] }
        let packed = names.map { name in
            let entry = parameters.layout.entry(name + ".weight")!   // [O, I]
            let weight = parameters.values.baseAddress! + entry.offset
            return LinearWeight(pointer: weight, packed: PackedLinear(weight: weight, bias: parameters.pointer(name + ".bias"),
                                                                     outputs: entry.shape[0], inputs: entry.shape[1]))
        }
        var at = packed.makeIterator()
        let proj = at.next()!
        let blocks = (0..<config.nLayers).map { _ in
            LinearWeights.Block(qkv: at.next()!, out: at.next()!, fc1: at.next()!, fc2: at.next()!)
        }
        let heads = config.heads.map { _ in LinearWeights.Head(fc1: at.next()!, fc2: at.next()!) }
        linears = LinearWeights(proj: proj, blocks: blocks, heads: heads)
    }
}

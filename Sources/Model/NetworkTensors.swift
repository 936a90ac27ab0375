// NetworkTensors: pointers to each parameter of a ParameterBlock, resolved once by name so that
// the forward and backward passes do no name lookups (and no allocation) per step.

struct BlockTensors {
    var ln1Weight, ln1Bias, qkvWeight, qkvBias, outWeight, outBias: UnsafeMutablePointer<Float>
    var ln2Weight, ln2Bias, fc1Weight, fc1Bias, fc2Weight, fc2Bias: UnsafeMutablePointer<Float>
}

/// One output head's decoder: fc1 (D, D) + GELU, fc2 (K, D).
struct HeadTensors {
    var fc1Weight, fc1Bias, fc2Weight, fc2Bias: UnsafeMutablePointer<Float>
}

struct NetworkTensors {
    var conv1Weight, conv1Bias, conv2Weight, conv2Bias, projWeight, projBias: UnsafeMutablePointer<Float>
    /// (D, F), when the network reads a context summary.
    var contextWeight: UnsafeMutablePointer<Float>?
    var blocks: [BlockTensors]
    var lnFWeight, lnFBias: UnsafeMutablePointer<Float>
    /// In the order of ModelConfig.heads (the frame head first).
    var heads: [HeadTensors]

    init(_ block: ParameterBlock, config: ModelConfig) {
        let layers = config.nLayers
        let p = block.pointer
        conv1Weight = p("encoder.conv1.weight"); conv1Bias = p("encoder.conv1.bias")
        conv2Weight = p("encoder.conv2.weight"); conv2Bias = p("encoder.conv2.bias")
        projWeight = p("encoder.proj.weight"); projBias = p("encoder.proj.bias")
        contextWeight = config.hasContext ? p("context.weight") : nil
        blocks = (0..<layers).map { i in
            let b = "blocks.\(i)."
            return BlockTensors(
                ln1Weight: p(b + "ln1.weight"), ln1Bias: p(b + "ln1.bias"),
                qkvWeight: p(b + "attn.qkv.weight"), qkvBias: p(b + "attn.qkv.bias"),
                outWeight: p(b + "attn.out.weight"), outBias: p(b + "attn.out.bias"),
                ln2Weight: p(b + "ln2.weight"), ln2Bias: p(b + "ln2.bias"),
                fc1Weight: p(b + "mlp.fc1.weight"), fc1Bias: p(b + "mlp.fc1.bias"),
                fc2Weight: p(b + "mlp.fc2.weight"), fc2Bias: p(b + "mlp.fc2.bias"))
        }
        lnFWeight = p("ln_f.weight"); lnFBias = p("ln_f.bias")
        heads = config.heads.map { head in
            let h = head.parameterPrefix + "."
            return HeadTensors(fc1Weight: p(h + "fc1.weight"), fc1Bias: p(h + "fc1.bias"),
                               fc2Weight: p(h + "fc2.weight"), fc2Bias: p(h + "fc2.bias"))
        }
    }
}

// PackedLinear: a frozen network's Linear layers on oneDNN's matmul, each weight packed once.
//
// OpenBLAS 0.3.21 packs both operands of every product, and a frozen network multiplies by the
// same weights for ever: at one window's 43 rows packing them is a large part of each product.
// oneDNN (Debian's libdnnl 2.6) reorders a weight once into the blocked layout its kernels read,
// and adds the bias - and for the layers that end on the residual stream, the stream - in the
// same pass. Per product against OpenBLAS (measured shape by shape, one thread, AVX-512): 1.6x
// at 43 rows, 2.1x at 6, 1.13x at 344, the same at 1376; the same results to rounding, bit for
// bit at an inner dimension of 192. The convolutions and attention's products stay on OpenBLAS,
// and so does everything in training.
import CDNNL

/// A oneDNN call that failed: only a bug or exhausted memory gets here. fatalError, not
/// precondition, so that release builds print what failed.
@inline(__always)
func checkDNNL(_ status: dnnl_status_t, _ what: @autoclosure () -> String) {
    if status != dnnl_success { fatalError("oneDNN: \(what()) failed (status \(status.rawValue))") }
}

/// oneDNN's CPU engine, one for the process.
final class DNNLEngine: @unchecked Sendable {
    static let shared = DNNLEngine()
    let engine: dnnl_engine_t

    private init() {
        var engine: dnnl_engine_t?
        checkDNNL(dnnl_engine_create(&engine, dnnl_cpu, 0), "creating the CPU engine")
        self.engine = engine!
    }
}

/// One Linear's weight packed by oneDNN, and its bias: out (R, O) = inp (R, I) W^T + bias.
/// Read-only once made, so the replicas of a network share it.
final class PackedLinear: @unchecked Sendable {
    let inputs: Int, outputs: Int
    /// The packed layout, chosen by oneDNN for this weight (the same for every row count).
    var weightsDesc: dnnl_memory_desc_t
    var biasDesc: dnnl_memory_desc_t
    let packed: dnnl_memory_t
    let biasMemory: dnnl_memory_t

    /// `weight` is PyTorch's [O, I]; `bias` [O] is read in place (the parameters do not change).
    init(weight: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>, outputs: Int, inputs: Int) {
        self.inputs = inputs
        self.outputs = outputs
        let engine = DNNLEngine.shared.engine
        // [O, I] is oneDNN's (K, N) weight in the "ba" order; any layout may be chosen for it.
        var plainDesc = dnnl_memory_desc_t(), anyDesc = dnnl_memory_desc_t()
        var weightDims: [Int64] = [Int64(inputs), Int64(outputs)], biasDims: [Int64] = [1, Int64(outputs)]
        checkDNNL(dnnl_memory_desc_init_by_tag(&plainDesc, 2, &weightDims, dnnl_f32, dnnl_ba), "describing a weight")
        checkDNNL(dnnl_memory_desc_init_by_tag(&anyDesc, 2, &weightDims, dnnl_f32, dnnl_format_tag_any), "describing a weight")
        biasDesc = dnnl_memory_desc_t()
        checkDNNL(dnnl_memory_desc_init_by_tag(&biasDesc, 2, &biasDims, dnnl_f32, dnnl_ab), "describing a bias")
        // The layout oneDNN picks for one row; it picks the same for every row count (checked
        // at these sizes), and every primitive below is made for it explicitly.
        let probe = MatmulPrimitive(rows: 1, inputs: inputs, outputs: outputs, weights: &anyDesc, bias: &biasDesc,
                                    accumulate: false)
        weightsDesc = dnnl_primitive_desc_query_md(probe.descriptor, dnnl_query_weights_md, 0)!.pointee
        var plain: dnnl_memory_t?, packed: dnnl_memory_t?
        checkDNNL(dnnl_memory_create(&plain, &plainDesc, engine, weight), "wrapping a weight")
        checkDNNL(dnnl_memory_create(&packed, &weightsDesc, engine, dnnl_memory_allocate_marker()), "allocating a packed weight")
        self.packed = packed!
        var biasMemory: dnnl_memory_t?
        checkDNNL(dnnl_memory_create(&biasMemory, &biasDesc, engine, bias), "wrapping a bias")
        self.biasMemory = biasMemory!
        // The reorder, run once.
        var reorderDescriptor: dnnl_primitive_desc_t?, reorder: dnnl_primitive_t?, stream: dnnl_stream_t?
        checkDNNL(dnnl_reorder_primitive_desc_create(&reorderDescriptor, &plainDesc, engine, &weightsDesc, engine, nil),
                  "planning a weight's packing")
        checkDNNL(dnnl_primitive_create(&reorder, reorderDescriptor), "creating a weight's packing")
        checkDNNL(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "creating a stream")
        var args = [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: plain), dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: packed)]
        omp_set_num_threads(1)
        checkDNNL(dnnl_primitive_execute(reorder, stream, 2, &args), "packing a weight")
        checkDNNL(dnnl_stream_wait(stream), "packing a weight")
        dnnl_stream_destroy(stream)
        dnnl_primitive_destroy(reorder)
        dnnl_primitive_desc_destroy(reorderDescriptor)
        dnnl_memory_destroy(plain)
    }

    deinit {
        dnnl_memory_destroy(packed)
        dnnl_memory_destroy(biasMemory)
    }
}

/// A matmul for one row count: out = inp W^T + bias, or with `accumulate` out += inp W^T + bias.
final class MatmulPrimitive {
    let descriptor: dnnl_primitive_desc_t
    private(set) var primitive: dnnl_primitive_t?
    private(set) var source: dnnl_memory_t?, destination: dnnl_memory_t?

    init(rows: Int, inputs: Int, outputs: Int, weights: UnsafePointer<dnnl_memory_desc_t>,
         bias: UnsafePointer<dnnl_memory_desc_t>, accumulate: Bool, makePrimitive: Bool = false) {
        let engine = DNNLEngine.shared.engine
        var sourceDesc = dnnl_memory_desc_t(), destinationDesc = dnnl_memory_desc_t()
        var sourceDims: [Int64] = [Int64(rows), Int64(inputs)], destinationDims: [Int64] = [Int64(rows), Int64(outputs)]
        checkDNNL(dnnl_memory_desc_init_by_tag(&sourceDesc, 2, &sourceDims, dnnl_f32, dnnl_ab), "describing a product's rows")
        checkDNNL(dnnl_memory_desc_init_by_tag(&destinationDesc, 2, &destinationDims, dnnl_f32, dnnl_ab),
                  "describing a product's rows")
        var operation = dnnl_matmul_desc_t()
        checkDNNL(dnnl_matmul_desc_init(&operation, &sourceDesc, weights, bias, &destinationDesc), "describing a product")
        var attributes: dnnl_primitive_attr_t?
        checkDNNL(dnnl_primitive_attr_create(&attributes), "creating a product's attributes")
        defer { dnnl_primitive_attr_destroy(attributes) }
        if accumulate {
            var postOps: dnnl_post_ops_t?
            checkDNNL(dnnl_post_ops_create(&postOps), "creating a product's sum")
            checkDNNL(dnnl_post_ops_append_sum(postOps, 1), "adding a product's sum")
            checkDNNL(dnnl_primitive_attr_set_post_ops(attributes, postOps), "adding a product's sum")
            dnnl_post_ops_destroy(postOps)
        }
        var descriptor: dnnl_primitive_desc_t?
        checkDNNL(dnnl_primitive_desc_create(&descriptor, &operation, attributes, engine, nil), "planning a product")
        self.descriptor = descriptor!
        if makePrimitive {
            checkDNNL(dnnl_primitive_create(&primitive, descriptor), "creating a product")
            checkDNNL(dnnl_memory_create(&source, &sourceDesc, engine, nil), "wrapping a product's rows")
            checkDNNL(dnnl_memory_create(&destination, &destinationDesc, engine, nil), "wrapping a product's rows")
        }
    }

    deinit {
        if let source { dnnl_memory_destroy(source) }
        if let destination { dnnl_memory_destroy(destination) }
        if let primitive { dnnl_primitive_destroy(primitive) }
        dnnl_primitive_desc_destroy(descriptor)
    }
}

/// The matmuls one thread runs, made on first use for each (weight, row count, accumulate),
/// with a stream of its own. Not shared between threads: each part of a split forward has one.
final class MatmulCache {
    private struct Key: Hashable {
        let weight: ObjectIdentifier, rows: Int, accumulate: Bool
    }
    private var primitives: [Key: MatmulPrimitive] = [:]
    private let stream: dnnl_stream_t

    init() {
        var stream: dnnl_stream_t?
        checkDNNL(dnnl_stream_create(&stream, DNNLEngine.shared.engine, dnnl_stream_default_flags.rawValue), "creating a stream")
        self.stream = stream!
    }

    deinit { dnnl_stream_destroy(stream) }

    /// out (rows, O) = inp (rows, I) W^T + bias, or out += that with `accumulate`; rows contiguous.
    func run(_ linear: PackedLinear, _ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, rows: Int,
             accumulate: Bool) {
        let key = Key(weight: ObjectIdentifier(linear), rows: rows, accumulate: accumulate)
        let matmul: MatmulPrimitive
        if let known = primitives[key] {
            matmul = known
        } else {
            matmul = MatmulPrimitive(rows: rows, inputs: linear.inputs, outputs: linear.outputs, weights: &linear.weightsDesc,
                                     bias: &linear.biasDesc, accumulate: accumulate, makePrimitive: true)
            primitives[key] = matmul
        }
        checkDNNL(dnnl_memory_set_data_handle(matmul.source, UnsafeMutableRawPointer(mutating: inp)), "pointing at rows")
        checkDNNL(dnnl_memory_set_data_handle(matmul.destination, out), "pointing at rows")
        var args = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: matmul.source),
                    dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: linear.packed),
                    dnnl_exec_arg_t(arg: DNNL_ARG_BIAS, memory: linear.biasMemory),
                    dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: matmul.destination)]
        omp_set_num_threads(1)
        checkDNNL(dnnl_primitive_execute(matmul.primitive, stream, 4, &args), "running a product")
        checkDNNL(dnnl_stream_wait(stream), "running a product")
    }
}

// WeightsFile: the network's parameters and settings in one self-describing safetensors file.
//
// Tensors carry PyTorch's names and shapes (MODEL.md). `__metadata__` carries the network's
// hyper-parameters (keys below) plus whatever the caller adds: the front end's settings
// (sample_rate, hop_length, lowest_note, cqt_alignment, ...) and training facts (epoch, step).
import Foundation

public enum WeightsFile {
    /// Version of this layout; bumped when a reader of an older version would misread a file.
    public static let formatVersion = "1"

    /// Loads a weights file: validates it, rebuilds the network from its metadata, fills every
    /// parameter. Returns the network and the whole metadata.
    public static func load(_ path: String) throws(SafeTensorsError) -> (network: TranscriptionNetwork, metadata: [String: String]) {
        let file = try SafeTensorsFile.read(path)
        let config = try ModelConfig(metadata: file.metadata)
        let network: TranscriptionNetwork
        do { network = try TranscriptionNetwork(config: config) } catch {
            throw .badMetadata(key: "(model settings)", problem: error.description)
        }
        try fill(network.parameters, from: file)
        return (network, file.metadata)
    }

    /// Copies every parameter of `block`'s layout from `file` (named `prefix + name`), checking
    /// each shape. Extra tensors in the file are ignored (a checkpoint also holds Adam's state).
    public static func fill(_ block: ParameterBlock, from file: SafeTensorsFile, prefix: String = "") throws(SafeTensorsError) {
        for entry in block.layout.entries {
            let name = prefix + entry.name
            guard let info = file.info(name) else { throw .missingTensor(name) }
            guard info.shape == entry.shape else { throw .wrongShape(tensor: name, expected: entry.shape, found: info.shape) }
            let values = try file.floats(name)
            _ = block[entry.name].update(fromContentsOf: values)
        }
    }

    /// Adds every parameter of `block` to `writer` under `prefix + name`.
    public static func add(_ block: ParameterBlock, to writer: inout SafeTensorsWriter, prefix: String = "") {
        for entry in block.layout.entries {
            writer.add(prefix + entry.name, shape: entry.shape, values: UnsafeBufferPointer(block[entry.name]))
        }
    }

    /// Writes `network`'s parameters with its settings and `extra` metadata, atomically.
    public static func save(_ network: TranscriptionNetwork, extra: [String: String] = [:], to path: String) throws(SafeTensorsError) {
        var writer = SafeTensorsWriter(metadata: extra.merging(network.config.metadata) { _, model in model })
        add(network.parameters, to: &writer)
        try writer.write(to: path)
    }
}

extension ModelConfig {
    /// The metadata keys of MODEL.md for the network's settings.
    /// `outputs` lists the heads ("frame,onset,velocity"); a file without it (every file written
    /// before there were other heads) has the frame head alone. `harmonics` ("0.5,1,2,3") is
    /// written only for a stacked input; a file without it reads its input plain. `context_frames`
    /// likewise only for a network with a context summary.
    public var metadata: [String: String] {
        var keys = [
            "format_version": WeightsFile.formatVersion,
            "c": "\(c)", "embed_dim": "\(embedDim)", "n_layers": "\(nLayers)", "n_heads": "\(nHeads)",
            "head_dim": "\(headDim)", "n_notes": "\(nNotes)", "bins_per_note": "\(binsPerNote)",
            "n_bins": "\(nBins)", "mlp_ratio": "\(mlpRatio)", "kernel_size": "\(kernelSize)",
            "outputs": heads.map(\.rawValue).joined(separator: ","),
        ]
        if harmonics != [1] { keys["harmonics"] = harmonics.map { "\($0)" }.joined(separator: ",") }
        if hasContext { keys["context_frames"] = "\(contextFrames)" }
        return keys
    }

    /// "0.5,1,2,3" as harmonics; nil unless every entry is a positive number (train's --harmonics
    /// and the `harmonics` key read alike).
    public static func harmonics(parsing text: String) -> [Double]? {
        let values = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard values.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return values.map { $0! }
    }

    /// Reads the settings from weights metadata. Every MODEL.md key must be there;
    /// mlp_ratio and kernel_size default to 4 and 5, outputs to "frame".
    public init(metadata: [String: String]) throws(SafeTensorsError) {
        func value(_ key: String, default fallback: Int? = nil) throws(SafeTensorsError) -> Int {
            guard let text = metadata[key] else {
                if let fallback { return fallback }
                throw .badMetadata(key: key, problem: "is missing; a weights file must record the network's settings")
            }
            guard let number = Int(text), number > 0 else {
                throw .badMetadata(key: key, problem: "is '\(text)', not a positive integer")
            }
            return number
        }
        if let version = metadata["format_version"], version != WeightsFile.formatVersion {
            throw .badMetadata(key: "format_version", problem: "is \(version); this program reads version \(WeightsFile.formatVersion)")
        }
        self.init(c: try value("c"), embedDim: try value("embed_dim"), nLayers: try value("n_layers"),
                  nHeads: try value("n_heads"), headDim: try value("head_dim"), nNotes: try value("n_notes"),
                  binsPerNote: try value("bins_per_note"), nBins: try value("n_bins"),
                  mlpRatio: try value("mlp_ratio", default: 4), kernelSize: try value("kernel_size", default: 5))
        if let outputs = metadata["outputs"] {
            let names = outputs.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let known = NetworkHead.allCases.map(\.rawValue)
            guard names.first == "frame", Set(names).count == names.count, names.allSatisfy(known.contains) else {
                throw .badMetadata(key: "outputs", problem: "is '\(outputs)'; it must start with frame and name each of "
                    + "\(known.joined(separator: ", ")) at most once (a file from a newer version of the program?)")
            }
            onsetHead = names.contains("onset")
            velocityHead = names.contains("velocity")
        }
        if let text = metadata["harmonics"] {
            guard let values = ModelConfig.harmonics(parsing: text) else {
                throw .badMetadata(key: "harmonics", problem: "is '\(text)', not a list of positive numbers such as 0.5,1,2,3")
            }
            harmonics = values
        }
        if metadata["context_frames"] != nil { contextFrames = try value("context_frames") }
    }
}

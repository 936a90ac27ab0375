// ParameterBlock: every parameter of the network in one contiguous block, with named views.
// Gradients and Adam's moments are blocks of the same layout, so optimizers are flat loops.

/// Where each named tensor sits in the flat block.
public struct ParameterLayout: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var shape: [Int]
        public var offset: Int
        public var count: Int { shape.reduce(1, *) }
    }

    public let entries: [Entry]
    public let count: Int
    private let byName: [String: Int]

    public init(_ config: ModelConfig) {
        var entries: [Entry] = []
        var offset = 0
        for (name, shape) in config.parameterShapes {
            entries.append(Entry(name: name, shape: shape, offset: offset))
            offset += shape.reduce(1, *)
        }
        self.entries = entries
        count = offset
        byName = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.name, $0) })
    }

    public func entry(_ name: String) -> Entry? { byName[name].map { entries[$0] } }
}

/// A block of `layout.count` floats, zero-initialised, with a pointer per parameter name.
/// Owns its memory; not thread-safe.
public final class ParameterBlock {
    public let layout: ParameterLayout
    public let values: UnsafeMutableBufferPointer<Float>

    public init(layout: ParameterLayout) {
        self.layout = layout
        values = .allocate(capacity: layout.count)
        values.initialize(repeating: 0)
    }

    deinit { values.deallocate() }

    /// The start of parameter `name`. Names come from the layout; an unknown name is a bug.
    public func pointer(_ name: String) -> UnsafeMutablePointer<Float> {
        guard let entry = layout.entry(name) else { preconditionFailure("no parameter named \(name)") }
        return values.baseAddress! + entry.offset
    }

    /// The values of parameter `name`, as a buffer.
    public subscript(name: String) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer(name), count: layout.entry(name)!.count)
    }

    public func zero() { values.update(repeating: 0) }

}

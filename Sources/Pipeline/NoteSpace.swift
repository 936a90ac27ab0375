// NoteSpace: which notes the network's outputs name - 88 piano keys from A0, or 12 pitch classes.

public enum NoteSpace: Sendable, Equatable {
    /// One output per key from `lowestNote`, `count` keys (88 from A0 for the piano).
    case keys(lowestNote: Int, count: Int)
    /// One output per pitch class (C = 0 ... B = 11): --only-note-names.
    case pitchClasses

    public var count: Int {
        switch self {
        case let .keys(_, count): return count
        case .pitchClasses: return 12
        }
    }

    /// The output index of MIDI pitch `note`, or nil when outside the range.
    public func index(of note: Int) -> Int? {
        switch self {
        case let .keys(lowest, count): return (lowest..<(lowest + count)).contains(note) ? note - lowest : nil
        case .pitchClasses: return note % 12
        }
    }

    /// The MIDI pitch of output `index` (for pitch classes, the class itself: 0 = C ... 11 = B).
    public func pitch(ofIndex index: Int) -> Int {
        switch self {
        case let .keys(lowest, _): return lowest + index
        case .pitchClasses: return index
        }
    }

    /// The pitch class (0 = C) of output `index`.
    public func pitchClass(ofIndex index: Int) -> Int { pitch(ofIndex: index) % 12 }

    /// "C4", or "C" for a pitch class.
    public func name(ofIndex index: Int) -> String {
        switch self {
        case .keys: return NoteName.name(ofMIDI: pitch(ofIndex: index))
        case .pitchClasses: return NoteName.name(ofPitchClass: index)
        }
    }
}

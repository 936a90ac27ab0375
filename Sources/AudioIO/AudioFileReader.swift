// AudioFileReader: a file read a block at a time, so a recording of any length is transcribed
// in constant memory, with every check (truncated, empty, NaN) per block; AudioFile.read is
// this reader run to the end.
import CSndFile
import Foundation

public final class AudioFileReader {
    public let path: String
    public let info: AudioInfo
    private let file: OpaquePointer
    /// Frames read so far.
    public private(set) var position = 0

    public init(_ path: String) throws {
        var sfInfo = SF_INFO()
        guard let file = sf_open(path, Int32(SFM_READ), &sfInfo) else {
            throw AudioFileError.cannotOpen(path: path, reason: AudioFile.openFailureReason(path))
        }
        let known = AudioFile.lengthKnown(sfInfo)
        let frames = known ? Int(sfInfo.frames) : 0
        if known, let promised = AudioFile.promisedFrames(file, available: frames) {
            sf_close(file)
            throw AudioFileError.truncated(path: path, expectedFrames: promised, readFrames: frames)
        }
        guard frames > 0 || !known, sfInfo.channels > 0 else {
            sf_close(file)
            throw AudioFileError.empty(path: path)
        }
        self.path = path
        self.file = file
        info = AudioFile.makeInfo(file, sfInfo)
    }

    deinit { sf_close(file) }

    /// The next block of at most `frames` frames, interleaved floats in [-1, 1]; empty at the end.
    /// A file of unknown length (`info.lengthKnown` false) ends where its data ends.
    public func read(frames: Int) throws -> [Float] {
        guard info.lengthKnown else { return try readUntilTheDataEnds(frames: frames) }
        let wanted = min(frames, info.frames - position)
        guard wanted > 0 else { return [] }
        let channels = info.channels
        var block = [Float](repeating: 0, count: wanted * channels)
        var got = 0
        block.withUnsafeMutableBufferPointer { buffer in
            while got < wanted {
                let n = Int(sf_readf_float(file, buffer.baseAddress! + got * channels, sf_count_t(wanted - got)))
                if n <= 0 { break }
                got += n
            }
        }
        guard got == wanted else {
            throw AudioFileError.truncated(path: path, expectedFrames: info.frames, readFrames: position + got)
        }
        // A NaN would reach every frame whose filters cover it, and in training the loss.
        if let first = block.firstIndex(where: { !$0.isFinite }) {
            throw AudioFileError.nonFinite(path: path, count: block.count(where: { !$0.isFinite }),
                                           firstSecond: Double(position + first / channels) / Double(info.sampleRate))
        }
        position += wanted
        return block
    }

    private func readUntilTheDataEnds(frames: Int) throws -> [Float] {
        let channels = info.channels
        var block = [Float](repeating: 0, count: max(frames, 0) * channels)
        let got = block.withUnsafeMutableBufferPointer { buffer in
            frames > 0 ? max(0, Int(sf_readf_float(file, buffer.baseAddress!, sf_count_t(frames)))) : 0
        }
        if got == 0 && position == 0 { throw AudioFileError.empty(path: path) }
        block.removeLast((frames - got) * channels)
        if let first = block.firstIndex(where: { !$0.isFinite }) {
            throw AudioFileError.nonFinite(path: path, count: block.count(where: { !$0.isFinite }),
                                           firstSecond: Double(position + first / channels) / Double(info.sampleRate))
        }
        position += got
        return block
    }
}

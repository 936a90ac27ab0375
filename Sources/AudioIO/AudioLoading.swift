// AudioLoading: a file as the model hears it - decoded, downmixed to mono, resampled.

public enum AudioLoading {
    /// The mono samples of `path` at `sampleRate` (channels averaged, resampled with
    /// libsamplerate when the file's rate differs), and the file's own header.
    public static func mono(_ path: String, sampleRate: Int,
                            quality: ResamplerQuality = .medium) throws -> (samples: [Float], info: AudioInfo) {
        let info = try AudioFile.info(path)
        let buffer = try AudioFile.read(path)
        let samples = try resample(buffer.mono(), from: buffer.sampleRate, to: sampleRate, quality: quality)
        return (samples, info)
    }
}

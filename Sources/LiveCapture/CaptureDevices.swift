// CaptureDevices: the ALSA PCMs that can record, from ALSA's device hints and the sound cards.
import CALSA
import Foundation

/// One recordable ALSA PCM, by the name `--device` takes.
public struct CaptureDeviceDescription: Sendable, Equatable {
    /// The ALSA PCM name, e.g. `default`, `hw:CARD=PCH,DEV=0`, `plughw:1,0`.
    public var name: String
    /// ALSA's description, one line.
    public var description: String
}

public enum CaptureDevices {
    /// Every PCM that ALSA's configuration hints at for capture (or for both directions),
    /// except `null`, which records silence. Empty on a machine with no sound card and no
    /// hinted PCM; the caller says so.
    public static func list() -> [CaptureDeviceDescription] {
        var hints: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
        calsa_silence_errors()
        defer { calsa_restore_errors() }
        guard snd_device_name_hint(-1, "pcm", &hints) == 0, let hints else { return [] }
        defer { snd_device_name_free_hint(hints) }
        var found: [CaptureDeviceDescription] = []
        var index = 0
        while let hint = hints[index] {
            index += 1
            let name = takeString(snd_device_name_get_hint(hint, "NAME"))
            let description = takeString(snd_device_name_get_hint(hint, "DESC"))
            let direction = takeString(snd_device_name_get_hint(hint, "IOID"))
            guard let name, name != "null" else { continue }
            if let direction, direction != "Input" { continue }
            let oneLine = (description ?? "").split(whereSeparator: \.isNewline).joined(separator: " - ")
            found.append(CaptureDeviceDescription(name: name, description: oneLine))
        }
        return found
    }

    /// The advice printed when `list()` is empty.
    public static let noneFoundAdvice = """
        No audio capture device was found (no sound card, and no capture PCM hinted in the ALSA configuration).
        Plug in a microphone or audio interface, or name an ALSA PCM yourself with --device NAME \
        (e.g. --device hw:1,0, --device plughw:1, or a PCM defined in ~/.asoundrc).
        """

    /// Converts a string that ALSA allocated with malloc and frees it.
    private static func takeString(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
        guard let pointer else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}

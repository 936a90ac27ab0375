// ALSAError: what can go wrong with a sound device, phrased for the person at the keyboard.
import CALSA
import Foundation

public enum ALSAError: Error, CustomStringConvertible {
    /// The device could not be opened (missing, busy, no permission).
    case cannotOpen(device: String, code: Int32)
    /// The device refused a setting; `offered` says what it accepts instead.
    case unsupported(device: String, what: String, offered: String)
    /// A read failed and could not be recovered.
    case readFailed(device: String, code: Int32)

    public var description: String {
        switch self {
        case let .cannotOpen(device, code):
            var text = "cannot open capture device '\(device)': \(alsaMessage(code))."
            if code == -EBUSY {
                text += " Another program is using it; close that program or choose another device with --device."
            } else {
                text += " Run `transcriber devices` to list capture devices, and name one with"
                    + " --device (an ALSA PCM name such as default, hw:1,0 or plughw:1)."
            }
            return text
        case let .unsupported(device, what, offered):
            return "capture device '\(device)' does not support \(what); it offers \(offered). "
                + "Use a plughw: device (ALSA converts for you) or choose another with --device."
        case let .readFailed(device, code):
            return "reading from capture device '\(device)' failed: \(alsaMessage(code)). Was it unplugged?"
        }
    }
}

/// ALSA's text for a negative error code.
func alsaMessage(_ code: Int32) -> String {
    String(cString: snd_strerror(code))
}

// The C header of libasound (ALSA), exposed to Swift as the module CALSA.
#include <alsa/asoundlib.h>

// libasound prints its own error lines to stderr (e.g. "cannot find card '0'") on top of the
// error codes it returns. The program reports those codes itself, with advice, so it installs
// this silent handler. Swift cannot define a C variadic function, hence this tiny C helper.
static void calsa_silent_error_handler(const char *file, int line, const char *function,
                                       int err, const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err; (void)fmt;
}

static inline void calsa_silence_errors(void) {
    snd_lib_error_set_handler(calsa_silent_error_handler);
}

static inline void calsa_restore_errors(void) {
    snd_lib_error_set_handler(NULL);
}

// The C header of libsamplerate, exposed to Swift as the module CSampleRate.
#include <samplerate.h>

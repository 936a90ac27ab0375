// The C header of libsoxr, exposed to Swift as the module CSoxr.
#include <soxr.h>

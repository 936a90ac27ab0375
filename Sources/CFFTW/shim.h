// The C header of libfftw3f, exposed to Swift as the module CFFTW.
#include <fftw3.h>

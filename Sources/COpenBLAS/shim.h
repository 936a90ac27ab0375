// The C header of libopenblas, exposed to Swift as the module COpenBLAS.
#include <cblas.h>

// The C header of libsndfile, exposed to Swift as the module CSndFile.
#include <sndfile.h>

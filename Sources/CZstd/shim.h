#ifndef QZOO_CZSTD_SHIM_H
#define QZOO_CZSTD_SHIM_H
#include <zstd.h>
#endif

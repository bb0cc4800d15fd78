#ifndef QZOO_CBFLOAT16_H
#define QZOO_CBFLOAT16_H
/* The module's umbrella: every kernel's interface. */
#include "attention.h"
#include "bfloat16_products.h"
#include "e8p_listed.h"
#endif

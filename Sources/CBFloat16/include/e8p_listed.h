#ifndef QZOO_E8P_LISTED_H
#define QZOO_E8P_LISTED_H

/* The E8P search's listed norm-12 patterns scored on one vector's magnitudes `u` (8 floats),
 * operation for operation as QZooQuant's E8PEncoder.bestListed describes, with AVX2 (which the
 * whole program requires). `lanes` is its 36-vector table: 4 groups of 8 coordinate vectors
 * (8 patterns each, one per lane) and the group's bias. Returns the first pattern with the best
 * score when that score is strictly above `threshold`, else -1. */
int qzoo_e8p_best_listed(const float *lanes, const float *u, int odd_negatives, float threshold);

#endif
